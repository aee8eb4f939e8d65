/** strategy: ecs-native in pieces: the plan, the service checks, the inputs, and the drive over scripted ECS answers. */
import { describe, expect, it } from '@jest/globals';
import type { ECSClient, Service, ServiceDeployment } from '@aws-sdk/client-ecs';
import { InputError } from '../../../packages/shared/src/errors.js';
import { InputReader } from '../../../packages/shared/src/inputs.js';
import { fakeClock } from '../../../packages/shared/testing/fake-clock.js';
import { getInputs } from '../src/inputs.js';
import { driveDeployment, type DriveOptions, type Verdict } from '../src/native/drive.js';
import { hookTimeoutMinutes, nativeSteps, planNative } from '../src/native/plan.js';
import { checkNativeService } from '../../../packages/shared/src/native/service.js';

const RULE =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';
const ARN = 'arn:aws:ecs:eu-west-1:123456789012:service-deployment/prod/svc/abc';

describe('the plan ECS is given', () => {
  it('holds BLUE_GREEN once, at 100 %, with every pause failing closed two minutes past its window', () => {
    const plan = planNative(
      { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 30 },
      { judgeWindowMs: 5 * 60_000, testPauseMs: 0 },
    );
    expect(plan.judgedWeights).toEqual([100]);
    expect(plan.deploymentConfiguration).toEqual({
      strategy: 'BLUE_GREEN',
      bakeTimeInMinutes: 30,
      lifecycleHooks: [
        {
          targetType: 'PAUSE',
          lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
          timeoutConfiguration: { timeoutInMinutes: 2, action: 'ROLLBACK' },
        },
        {
          targetType: 'PAUSE',
          lifecycleStages: ['PRE_PRODUCTION_TRAFFIC_SHIFT'],
          timeoutConfiguration: { timeoutInMinutes: 7, action: 'ROLLBACK' },
        },
        {
          targetType: 'PAUSE',
          lifecycleStages: ['POST_PRODUCTION_TRAFFIC_SHIFT'],
          timeoutConfiguration: { timeoutInMinutes: 7, action: 'ROLLBACK' },
        },
      ],
    });
  });

  it('reaches 5→50→100 with LINEAR 5 %: judged at 5, 50 and 100, ECS step bakes off, and says what customers pass through', () => {
    const plan = planNative(
      { strategy: 'ROLLING' },
      {
        ecsStrategy: 'LINEAR',
        stepPercent: 5,
        trafficSteps: [5, 50, 100],
        judgeWindowMs: 60_000,
        testPauseMs: 0,
      },
    );
    expect(plan.productionSteps).toHaveLength(20);
    expect(plan.judgedWeights).toEqual([5, 50, 100]);
    expect(plan.deploymentConfiguration.linearConfiguration).toEqual({
      stepPercent: 5,
      stepBakeTimeInMinutes: 0,
    });
    expect(plan.notes.join()).toMatch(/judges at 5, 50, 100 % and continues the other steps at once/);
  });

  it('judges a canary at its percent by default, and refuses a step ECS never takes', () => {
    expect(
      planNative(
        { strategy: 'CANARY', canaryConfiguration: { canaryPercent: 10 } },
        { judgeWindowMs: 0, testPauseMs: 0 },
      ).judgedWeights,
    ).toEqual([10, 100]);
    expect(() =>
      planNative(
        { strategy: 'LINEAR' },
        { stepPercent: 10, trafficSteps: [5, 50, 100], judgeWindowMs: 0, testPauseMs: 0 },
      ),
    ).toThrow(/Input 'traffic-steps' holds at 5 %, which ECS's LINEAR never stops at \(its steps: 10, 20/);
    expect(() => planNative({ strategy: 'ROLLING' }, { judgeWindowMs: 0, testPauseMs: 0 })).toThrow(
      InputError,
    );
  });

  it('hands the alarms to ECS as deployment alarms that roll back, so they act without a runner', () => {
    const plan = planNative(
      { strategy: 'BLUE_GREEN' },
      { judgeWindowMs: 0, testPauseMs: 0, alarms: ['svc-5xx'] },
    );
    expect(plan.deploymentConfiguration.alarms).toEqual({
      alarmNames: ['svc-5xx'],
      enable: true,
      rollback: true,
    });
    expect(
      planNative({ strategy: 'BLUE_GREEN' }, { judgeWindowMs: 0, testPauseMs: 0 }).deploymentConfiguration
        .alarms,
    ).toBeUndefined();
  });

  it('keeps timeouts within what ECS takes and steps in tenths', () => {
    expect(hookTimeoutMinutes(0)).toBe(2);
    expect(hookTimeoutMinutes(30 * 24 * 3_600_000)).toBe(20_160);
    expect(nativeSteps('LINEAR', 33.3)).toEqual([33.3, 66.6, 99.9, 100]);
    expect(nativeSteps('CANARY', 100)).toEqual([100]);
  });
});

describe('the service as ecs-native needs it', () => {
  const service = (overrides: Partial<Service> = {}): Service => ({
    serviceName: 'svc',
    status: 'ACTIVE',
    deploymentController: { type: 'ECS' },
    deploymentConfiguration: { strategy: 'BLUE_GREEN' },
    loadBalancers: [
      {
        targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/svc-a/1',
        advancedConfiguration: {
          alternateTargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/svc-b/2',
          productionListenerRule: RULE,
          roleArn: 'arn:aws:iam::123456789012:role/ecs-infrastructure',
        },
      },
    ],
    ...overrides,
  });

  it.each([
    [
      'a CODE_DEPLOY controller',
      { deploymentController: { type: 'CODE_DEPLOY' as const } },
      /uses the CODE_DEPLOY deployment controller/,
    ],
    [
      'a ROLLING service',
      { deploymentConfiguration: { strategy: 'ROLLING' as const } },
      /deploys with the ROLLING strategy/,
    ],
    [
      'no alternate target group',
      {
        loadBalancers: [
          {
            targetGroupArn: 'arn:tg',
            advancedConfiguration: { productionListenerRule: RULE, roleArn: 'r' } as never,
          },
        ],
      },
      /missing alternateTargetGroupArn/,
    ],
  ])('refuses %s', (_what, overrides, message) => {
    expect(() => checkNativeService(service(overrides), 'prod', false)).toThrow(message);
  });

  it('takes a complete one, with the LoadBalancer dimension of its production rule', () => {
    expect(checkNativeService(service(), 'prod', false).loadBalancer).toBe('app/web/50dc6c495c0c9188');
  });
});

describe('ecs-native inputs', () => {
  const read = (values: Record<string, string>) =>
    getInputs(
      new InputReader(
        (name) =>
          ({
            cluster: 'prod',
            service: 'svc',
            'aws-region': 'eu-west-1',
            'task-definition': 'td.json',
            ...values,
          })[name] ?? '',
      ),
      {},
    );

  it('needs no listener: ECS names its rules', () => {
    expect(read({ strategy: 'ecs-native' })).toMatchObject({
      strategy: 'ecs-native',
      production: undefined,
      'pause-timeout': 86_400_000,
    });
  });

  it.each([
    [
      { strategy: 'ecs-native', 'listener-rule-arn': RULE },
      /Input 'listener-rule-arn' does not apply to strategy: ecs-native/,
    ],
    [{ strategy: 'ecs-native', 'force-from-split': 'true' }, /Input 'force-from-split' does not apply/],
    [
      { 'listener-rule-arn': RULE, 'service-deployment-arn': ARN },
      /Input 'service-deployment-arn' only applies to strategy: ecs-native/,
    ],
    [
      { strategy: 'ecs-native', phase: 'cleanup' },
      /Input 'phase' cleanup does not apply to strategy: ecs-native/,
    ],
    [
      { strategy: 'ecs-native', 'ecs-strategy': 'BLUE_GREEN', 'ecs-step-percent': '5' },
      /'ecs-step-percent' does not apply to ecs-strategy BLUE_GREEN/,
    ],
    [
      { strategy: 'ecs-native', 'ecs-strategy': 'LINEAR', 'ecs-step-percent': '2.5' },
      /must be from 3 to 100 for LINEAR/,
    ],
    [{ strategy: 'ecs-native', 'bake-time': '90s' }, /'bake-time' must be whole minutes/],
    [{ strategy: 'canary' }, /Input 'strategy'/],
  ])('refuses %j', (values, message) => {
    expect(() => read(values)).toThrow(message);
  });
});

/** ECS as a script of DescribeServiceDeployments answers; Continue and Stop calls recorded. */
function scriptedEcs(script: ServiceDeployment[], options: { refuseContinue?: boolean } = {}) {
  const calls: { name: string; input: Record<string, unknown> }[] = [];
  let index = 0;
  const ecs = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const name = command.constructor.name;
      calls.push({ name, input: command.input });
      if (name === 'DescribeServiceDeploymentsCommand') {
        const answer = script[Math.min(index, script.length - 1)]!;
        index++;
        return { serviceDeployments: [answer] };
      }
      if (name === 'ContinueServiceDeploymentCommand' && options.refuseContinue)
        throw Object.assign(new Error('The service deployment is ROLLBACK_REQUESTED'), {
          name: 'ClientException',
        });
      return { serviceDeploymentArn: ARN };
    },
  } as unknown as ECSClient;
  return {
    ecs,
    calls,
    actions: () => calls.filter((call) => call.name !== 'DescribeServiceDeploymentsCommand'),
  };
}

const at = (
  status: string,
  lifecycleStage: string,
  production = 0,
  hookId?: string,
  extra: Partial<ServiceDeployment> = {},
): ServiceDeployment =>
  ({
    serviceDeploymentArn: ARN,
    status,
    lifecycleStage,
    targetServiceRevision: {
      arn: 'rev-2',
      requestedProductionTrafficWeight: production,
      requestedTestTrafficWeight: 100,
    },
    lifecycleHookDetails: hookId ? [{ hookId, status: 'AWAITING_ACTION', targetType: 'PAUSE' }] : [],
    ...extra,
  }) as ServiceDeployment;

function options(
  ecs: ECSClient,
  judge: (weight: number) => Promise<Verdict>,
  overrides: Partial<DriveOptions> = {},
): DriveOptions {
  return {
    ecs,
    clock: fakeClock(),
    log: () => undefined,
    judge,
    judgedWeights: [5, 50, 100],
    leaveAtTestPause: false,
    stuckAfterMs: 60_000,
    bakeMs: 0,
    restoreTimeoutMs: 60_000,
    pollMs: 1000,
    random: () => 0,
    ...overrides,
  };
}

describe('the drive, stage by stage', () => {
  it('continues the test pause and unjudged steps, judges 5 % and 100 %, and rolls back on a failed gate', async () => {
    const { ecs, actions } = scriptedEcs([
      at('IN_PROGRESS', 'SCALE_UP'),
      at('IN_PROGRESS', 'POST_TEST_TRAFFIC_SHIFT', 0, 'h-test'),
      at('IN_PROGRESS', 'PRODUCTION_TRAFFIC_SHIFT', 0, 'h-pre-1'),
      at('IN_PROGRESS', 'PRODUCTION_TRAFFIC_SHIFT', 5, 'h-pre-2'),
      at('IN_PROGRESS', 'PRODUCTION_TRAFFIC_SHIFT', 10, 'h-pre-3'),
      at('IN_PROGRESS', 'POST_PRODUCTION_TRAFFIC_SHIFT', 100, 'h-post'),
      at('ROLLBACK_IN_PROGRESS', 'POST_PRODUCTION_TRAFFIC_SHIFT', 0),
      at('ROLLBACK_SUCCESSFUL', 'POST_PRODUCTION_TRAFFIC_SHIFT', 0, undefined, {
        rollback: { reason: 'asked' },
      }),
    ]);
    const judged: number[] = [];
    const result = await driveDeployment(
      options(ecs, async (weight) => {
        judged.push(weight);
        return weight === 100
          ? { verdict: 'fail', reason: 'error rate 9 %' }
          : { verdict: 'pass', reason: '' };
      }),
      ARN,
    );
    expect(judged).toEqual([5, 100]);
    expect(actions().map((call) => `${String(call.input.hookId)} ${String(call.input.action)}`)).toEqual([
      'h-test CONTINUE',
      'h-pre-1 CONTINUE',
      'h-pre-2 CONTINUE',
      'h-pre-3 CONTINUE',
      'h-post ROLLBACK',
    ]);
    expect(result.outcome).toBe('rolled-back');
    expect(result.reason).toBe(
      'gate failed at 100 %: error rate 9 %; ECS rolled back to the previous revision',
    );
    expect(result.hooks.map((hook) => hook.stage)).toEqual([
      'POST_TEST_TRAFFIC_SHIFT',
      'PRE_PRODUCTION_TRAFFIC_SHIFT',
      'PRE_PRODUCTION_TRAFFIC_SHIFT',
      'PRE_PRODUCTION_TRAFFIC_SHIFT',
      'POST_PRODUCTION_TRAFFIC_SHIFT',
    ]);
    expect(result.timeline.map((seen) => seen.status)).toContain('ROLLBACK_SUCCESSFUL');
  });

  it('an inconclusive step rolls back with outcome inconclusive', async () => {
    const { ecs } = scriptedEcs([
      at('IN_PROGRESS', 'PRODUCTION_TRAFFIC_SHIFT', 5, 'h'),
      at('ROLLBACK_SUCCESSFUL', 'PRODUCTION_TRAFFIC_SHIFT', 0),
    ]);
    const result = await driveDeployment(
      options(ecs, async () => ({ verdict: 'inconclusive', reason: 'no evidence' })),
      ARN,
    );
    expect(result.outcome).toBe('inconclusive');
  });

  it('phase prepare leaves the deployment held at the post-test pause, answering nothing', async () => {
    const { ecs, actions } = scriptedEcs([at('IN_PROGRESS', 'POST_TEST_TRAFFIC_SHIFT', 0, 'h-test')]);
    const result = await driveDeployment(
      options(ecs, async () => ({ verdict: 'pass', reason: '' }), { leaveAtTestPause: true }),
      ARN,
    );
    expect(result.outcome).toBe('prepared');
    expect(actions()).toEqual([]);
  });

  it('reports a rollback ECS made on its own (an alarm) with ECS reason', async () => {
    const { ecs } = scriptedEcs([
      at('IN_PROGRESS', 'BAKE_TIME', 100),
      at('ROLLBACK_SUCCESSFUL', 'BAKE_TIME', 0, undefined, {
        rollback: { reason: 'the CloudWatch alarm(s) svc-5xx went into ALARM' },
      }),
    ]);
    const result = await driveDeployment(
      options(ecs, async () => ({ verdict: 'pass', reason: '' })),
      ARN,
    );
    expect(result).toMatchObject({
      outcome: 'rolled-back',
      reason: 'ECS rolled back: the CloudWatch alarm(s) svc-5xx went into ALARM',
    });
  });

  it('a pause that ended without the suite (its timeout) is left to ECS, and the end says so', async () => {
    const { ecs } = scriptedEcs(
      [
        at('IN_PROGRESS', 'POST_TEST_TRAFFIC_SHIFT', 0, 'h'),
        at('ROLLBACK_SUCCESSFUL', 'POST_TEST_TRAFFIC_SHIFT', 0, undefined, {
          rollback: { reason: 'lifecycle hook h timed out' },
        }),
      ],
      { refuseContinue: true },
    );
    const result = await driveDeployment(
      options(ecs, async () => ({ verdict: 'pass', reason: '' })),
      ARN,
    );
    expect(result.reason).toBe('ECS rolled back: lifecycle hook h timed out');
  });

  it('a stage that does not move for wait-timeout is stopped with a rollback, and the run fails', async () => {
    const stuck = Array.from({ length: 70 }, () => at('IN_PROGRESS', 'SCALE_UP'));
    const { ecs, actions } = scriptedEcs([...stuck, at('ROLLBACK_SUCCESSFUL', 'SCALE_UP', 0)]);
    const result = await driveDeployment(
      options(ecs, async () => ({ verdict: 'pass', reason: '' })),
      ARN,
    );
    expect(actions().map((call) => call.name)).toEqual(['StopServiceDeploymentCommand']);
    expect(actions()[0]!.input).toEqual({ serviceDeploymentArn: ARN, stopType: 'ROLLBACK' });
    expect(result.outcome).toBe('failed');
    expect(result.reason).toMatch(/^SCALE_UP did not move for 6\d s \(wait-timeout\)/);
  });
});
