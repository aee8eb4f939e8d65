import { afterEach, describe, expect, it } from '@jest/globals';
import {
  DescribeRulesCommand,
  DescribeTagsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import path from 'node:path';
import { startTwin, type Twin } from '../../../packages/aws-twin/src/index.js';
import { runBundledAction } from '../../../packages/shared/testing/run-bundled-action.js';

const actionDir = path.join(import.meta.dirname, '..');
let twin: Twin | undefined;
afterEach(async () => {
  await twin?.close();
  twin = undefined;
});

/** Green (v2) just took all traffic; blue (v1) still runs for a fast rollback. */
async function afterPromote() {
  twin = await startTwin({
    blueGreen: [
      {
        name: 'svc-portal',
        image: 'svc-portal:v2',
        idleImage: 'svc-portal:v1',
        live: 'green',
        desiredCount: 1,
      },
    ],
  });
  const portal = twin.resources['svc-portal']!;
  const elbv2 = new ElasticLoadBalancingV2Client({
    region: 'eu-west-1',
    endpoint: twin.endpoint,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
  const weights = async () =>
    (
      await elbv2.send(new DescribeRulesCommand({ RuleArns: [portal.productionRuleArn] }))
    ).Rules![0]!.Actions![0]!.ForwardConfig!.TargetGroups!.map((group) => group.Weight);
  const run = (inputs: Record<string, string>) =>
    runBundledAction(actionDir, {
      inputs: {
        cluster: portal.cluster,
        service: 'svc-portal',
        'listener-rule-arn': portal.productionRuleArn,
        interval: '1s',
        ...inputs,
      },
      env: twin!.env,
      timeoutMs: 30_000,
    });
  return { twin, portal, weights, run };
}

describe('monitor-rollback, bundled, on the twin', () => {
  it('stays healthy while the new colour behaves', async () => {
    const { twin, portal, weights, run } = await afterPromote();
    const traffic = twin.traffic.start({
      url: `${portal.productionUrl}/orders`,
      requestsPerSecond: 50,
      maxDurationMs: 20_000,
    });
    const result = await run({ duration: '3s' });
    await traffic.stop();
    expect(result.main.exitCode).toBe(0);
    expect(result.outputs).toMatchObject({ outcome: 'healthy', 'live-color': 'green', checks: '3' });
    expect(await weights()).toEqual([0, 100]);
    expect(result.summary).toContain('healthy on green');
  });

  it('rolls back to blue after two failed checks in a row when green starts failing', async () => {
    const { twin, portal, weights, run } = await afterPromote();
    const traffic = twin.traffic.start({
      url: `${portal.productionUrl}/orders`,
      requestsPerSecond: 50,
      maxDurationMs: 20_000,
    });
    twin.faults.changeImage('svc-portal:v2', { errorRate: 0.5 }, 1500);
    const result = await run({ duration: '15s', 'failures-before-rollback': '2' });
    const tally = await traffic.stop();
    expect(result.main.exitCode).toBe(1);
    expect(result.outputs).toMatchObject({ outcome: 'rolled-back', 'live-color': 'blue' });
    expect(Number(result.outputs.checks)).toBeLessThan(10);
    expect(result.annotations[0]?.message).toMatch(
      /^Rolled back to blue: 2 checks in a row failed; the last: error rate \d+\.\d\d % > 5 %/,
    );
    expect(await weights()).toEqual([100, 0]);
    expect(tally.failed).toBe(0);
    const elbv2 = new ElasticLoadBalancingV2Client({
      region: 'eu-west-1',
      endpoint: twin.endpoint,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    const tags = (await elbv2.send(new DescribeTagsCommand({ ResourceArns: [portal.productionRuleArn] })))
      .TagDescriptions![0]!.Tags!;
    expect(Object.fromEntries(tags.map((tag) => [tag.Key, tag.Value]))).toMatchObject({
      'mpac:live-color': 'blue',
      'mpac:previous-color': 'green',
      'mpac:outcome': 'rolled-back-by-monitor',
    });
    expect(result.summary).toContain('rolled back to blue');
    expect(result.summary).toContain('xychart-beta');
  });

  it('only reports with rollback: false', async () => {
    const { twin, weights, run } = await afterPromote();
    twin.faults.changeImage('svc-portal:v2', { errorRate: 1 });
    const portal = twin.resources['svc-portal']!;
    const traffic = twin.traffic.start({
      url: `${portal.productionUrl}/orders`,
      requestsPerSecond: 50,
      maxDurationMs: 20_000,
    });
    const result = await run({ duration: '5s', 'failures-before-rollback': '2', rollback: 'false' });
    await traffic.stop();
    expect(result.outputs.outcome).toBe('healthy');
    expect(await weights()).toEqual([0, 100]);
    expect(result.log).toContain('rollback is false: reporting only');
  });
});
