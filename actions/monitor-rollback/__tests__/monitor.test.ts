import { describe, expect, it } from '@jest/globals';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import {
  AddTagsCommand,
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
  ModifyRuleCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { InputReader } from '../../../packages/shared/src/inputs.js';
import { fakeClock } from '../../../packages/shared/testing/fake-clock.js';
import { getInputs } from '../src/inputs.js';
import { monitor } from '../src/monitor.js';

const RULE =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';
const groups = {
  blue: 'arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/blue/1',
  green: 'arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/green/2',
};

function setUp(noData: string, metrics: { requests: number[]; errors: number[] }) {
  const ecs = mockClient(ECSClient);
  ecs.on(DescribeServicesCommand).resolves({
    services: (['blue', 'green'] as const).map((color) => ({
      serviceName: `svc-${color}`,
      status: 'ACTIVE',
      runningCount: 2,
      loadBalancers: [{ targetGroupArn: groups[color] }],
    })),
  });
  const elbv2 = mockClient(ElasticLoadBalancingV2Client);
  let weights = [0, 100];
  elbv2.on(DescribeRulesCommand).callsFake(() => ({
    Rules: [
      {
        Actions: [
          {
            Type: 'forward',
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: groups.blue, Weight: weights[0] },
                { TargetGroupArn: groups.green, Weight: weights[1] },
              ],
            },
          },
        ],
      },
    ],
  }));
  elbv2
    .on(ModifyRuleCommand)
    .callsFake((input: { Actions: { ForwardConfig: { TargetGroups: { Weight: number }[] } }[] }) => {
      weights = input.Actions[0]!.ForwardConfig.TargetGroups.map((group) => group.Weight);
      return {};
    });
  elbv2.on(AddTagsCommand).resolves({});
  const cloudwatch = mockClient(CloudWatchClient);
  let call = 0;
  cloudwatch.on(GetMetricDataCommand).callsFake(() => {
    const index = Math.min(call++, metrics.requests.length - 1);
    return {
      MetricDataResults: [
        { Id: 'requests', Values: metrics.requests[index] ? [metrics.requests[index]] : [] },
        { Id: 'errors', Values: metrics.errors[index] ? [metrics.errors[index]] : [] },
      ],
    };
  });
  const values: Record<string, string> = {
    cluster: 'prod',
    service: 'svc',
    'listener-rule-arn': RULE,
    'aws-region': 'eu-west-1',
    duration: '10s',
    interval: '1s',
    'no-data': noData,
    'failures-before-rollback': '3',
  };
  const inputs = getInputs(new InputReader((name) => values[name] ?? ''), {});
  const restore = () => [ecs, elbv2, cloudwatch].forEach((mock) => mock.restore());
  const context = {
    inputs,
    ecs: new ECSClient({ region: 'eu-west-1' }),
    elbv2: new ElasticLoadBalancingV2Client({ region: 'eu-west-1' }),
    cloudwatch: new CloudWatchClient({ region: 'eu-west-1' }),
    clock: fakeClock(),
    probe: async () => ({ ok: true, ms: 1 }),
    log: () => undefined,
  };
  return { context, restore, weights: () => weights };
}

describe('monitor', () => {
  it('treats checks without requests as inconclusive by default: no rollback, streak kept', async () => {
    const { context, restore, weights } = setUp('inconclusive', { requests: [0], errors: [0] });
    const result = await monitor(context);
    expect(result.outcome).toBe('healthy');
    expect(result.checks.map((check) => check.verdict)).toEqual(Array(10).fill('inconclusive'));
    expect(weights()).toEqual([0, 100]);
    restore();
  });

  it('rolls back on no data when no-data is fail', async () => {
    const { context, restore, weights } = setUp('fail', { requests: [0], errors: [0] });
    const result = await monitor(context);
    expect(result).toMatchObject({ outcome: 'rolled-back', liveColor: 'blue', previousColor: 'green' });
    expect(result.checks).toHaveLength(3);
    expect(weights()).toEqual([100, 0]);
    restore();
  });

  it('needs the failures in a row: a pass in between resets the count', async () => {
    const { context, restore } = setUp('inconclusive', {
      requests: [100, 100, 100, 100, 100, 100, 100],
      errors: [50, 50, 0, 50, 50, 0, 0],
    });
    const result = await monitor(context);
    expect(result.outcome).toBe('healthy');
    expect(result.checks.map((check) => check.verdict).slice(0, 6)).toEqual([
      'failed',
      'failed',
      'passed',
      'failed',
      'failed',
      'passed',
    ]);
    restore();
  });
});
