import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ClientException,
  ConflictException,
  ContinueServiceDeploymentCommand,
  DescribeServiceDeploymentsCommand,
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  InvalidParameterException,
  ListServiceDeploymentsCommand,
  RegisterTaskDefinitionCommand,
  ServiceDeploymentNotFoundException,
  StopServiceDeploymentCommand,
  UnsupportedFeatureException,
  UpdateServiceCommand,
  type DeploymentConfiguration,
  type ServiceDeployment,
} from '@aws-sdk/client-ecs';
import { DescribeRulesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { startTwin, type Twin } from '../src/index.js';
import { failuresOf } from '../src/traffic.js';
import { clientsFor, sleep } from './clients.js';

/** One twin minute lasts this long: hook timeouts and bakes keep their order, scaled down. */
const MINUTE_MS = 150;

const images = {
  'svc-portal:v1': { version: 'v1' },
  'svc-portal:v2': { version: 'v2' },
  'svc-portal:v3': { version: 'v3' },
};

const PAUSE = (stages: string[], timeoutInMinutes = 1440, action: 'ROLLBACK' | 'CONTINUE' = 'ROLLBACK') => ({
  targetType: 'PAUSE' as const,
  lifecycleStages: stages as never[],
  timeoutConfiguration: { timeoutInMinutes, action },
});

describe('ECS native blue/green, linear and canary through the real SDK clients', () => {
  let twin: Twin;
  let clients: ReturnType<typeof clientsFor>;
  const name = 'svc-portal';

  beforeAll(async () => {
    twin = await startTwin({
      images,
      timing: { minuteMs: MINUTE_MS },
      ecsNative: [{ name, image: 'svc-portal:v1', desiredCount: 2, strategy: 'BLUE_GREEN' }],
    });
    clients = clientsFor(twin);
  });
  afterAll(async () => {
    await twin?.close();
  });

  const resources = () => twin.native[name]!;
  const register = async (image: string) =>
    (
      await clients.ecs.send(
        new RegisterTaskDefinitionCommand({
          family: name,
          networkMode: 'awsvpc',
          requiresCompatibilities: ['FARGATE'],
          cpu: '256',
          memory: '512',
          containerDefinitions: [{ name: 'app', image, essential: true }],
        }),
      )
    ).taskDefinition!.taskDefinitionArn!;
  const describe1 = async (arn: string): Promise<ServiceDeployment> =>
    (await clients.ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] })))
      .serviceDeployments![0]!;
  /** Polls the deployment (as a runner would) until `holds`, failing after `timeoutMs`. */
  const until = async (
    arn: string,
    holds: (deployment: ServiceDeployment) => boolean,
    what: string,
    timeoutMs = 10_000,
  ) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const deployment = await describe1(arn);
      if (holds(deployment)) return deployment;
      if (Date.now() > deadline)
        throw new Error(
          `timed out waiting for ${what}; the deployment is ${deployment.status} at ${deployment.lifecycleStage}`,
        );
      await sleep(15);
    }
  };
  const awaiting = (deployment: ServiceDeployment) =>
    deployment.lifecycleHookDetails?.find((hook) => hook.status === 'AWAITING_ACTION');
  const pausedAt = async (arn: string, stage: string) =>
    until(
      arn,
      (deployment) => Boolean(awaiting(deployment)) && deployment.lifecycleStage === stage,
      `a pause at ${stage}`,
    );
  const terminal = (arn: string) =>
    until(
      arn,
      (deployment) =>
        ['SUCCESSFUL', 'STOPPED', 'ROLLBACK_SUCCESSFUL', 'ROLLBACK_FAILED'].includes(deployment.status!),
      'the end',
    );
  const versionAt = async (url: string) =>
    (await fetch(url, { signal: AbortSignal.timeout(5000) })).headers.get('x-version');
  const weights = async (ruleArn: string) => {
    const rule = (await clients.elbv2.send(new DescribeRulesCommand({ RuleArns: [ruleArn] }))).Rules![0]!;
    return Object.fromEntries(
      rule.Actions![0]!.ForwardConfig!.TargetGroups!.map((group) => [group.TargetGroupArn!, group.Weight!]),
    );
  };
  const deploy = async (image: string, deploymentConfiguration?: DeploymentConfiguration) => {
    const answer = await clients.ecs.send(
      new UpdateServiceCommand({
        cluster: resources().cluster,
        service: name,
        taskDefinition: await register(image),
        ...(deploymentConfiguration ? { deploymentConfiguration } : {}),
      }),
    );
    return answer.service!.currentServiceDeployment!;
  };
  const continueAt = async (arn: string, action: 'CONTINUE' | 'ROLLBACK' = 'CONTINUE') => {
    const hook = awaiting(await describe1(arn))!;
    await clients.ecs.send(
      new ContinueServiceDeploymentCommand({ serviceDeploymentArn: arn, hookId: hook.hookId!, action }),
    );
    return hook.hookId!;
  };

  it('starts at rest: one BLUE_GREEN service on its first revision, production and test rules over both groups', async () => {
    const service = (
      await clients.ecs.send(new DescribeServicesCommand({ cluster: resources().cluster, services: [name] }))
    ).services![0]!;
    expect(service.deploymentConfiguration?.strategy).toBe('BLUE_GREEN');
    expect(service.deploymentController).toEqual({ type: 'ECS' });
    expect(service.loadBalancers![0]!.advancedConfiguration).toEqual({
      alternateTargetGroupArn: resources().alternateTargetGroupArn,
      productionListenerRule: resources().productionRuleArn,
      testListenerRule: resources().testRuleArn,
      roleArn: resources().roleArn,
    });
    expect((await describe1(service.currentServiceDeployment!)).status).toBe('SUCCESSFUL');
    expect(await weights(resources().productionRuleArn)).toEqual({
      [resources().targetGroupArn]: 100,
      [resources().alternateTargetGroupArn]: 0,
    });
    expect(await versionAt(resources().productionUrl)).toBe('v1');
  });

  it('BLUE_GREEN with pauses: test traffic first, then production all at once, the old revision warm through the bake; 0 failed requests', async () => {
    const traffic = twin.traffic.start({
      url: resources().productionUrl,
      requestsPerSecond: 100,
      maxDurationMs: 30_000,
    });
    const arn = await deploy('svc-portal:v2', {
      strategy: 'BLUE_GREEN',
      bakeTimeInMinutes: 3,
      lifecycleHooks: [
        PAUSE(['POST_TEST_TRAFFIC_SHIFT', 'PRE_PRODUCTION_TRAFFIC_SHIFT', 'POST_PRODUCTION_TRAFFIC_SHIFT']),
      ],
    });
    expect(arn).toMatch(/^arn:aws:ecs:eu-west-1:123456789012:service-deployment\/mpac\/svc-portal\/\w+$/);

    const atTest = await pausedAt(arn, 'POST_TEST_TRAFFIC_SHIFT');
    expect(atTest.status).toBe('IN_PROGRESS');
    expect(awaiting(atTest)).toMatchObject({ targetType: 'PAUSE', timeoutAction: 'ROLLBACK' });
    expect(awaiting(atTest)!.hookId).toMatch(/^ecs-pause-/);
    expect(await versionAt(resources().testUrl!)).toBe('v2');
    expect(await versionAt(resources().productionUrl)).toBe('v1');
    expect(atTest.targetServiceRevision).toMatchObject({
      requestedTestTrafficWeight: 100,
      requestedProductionTrafficWeight: 0,
      runningTaskCount: 2,
    });

    // A hook id that is not the awaiting one is refused, and nothing moves.
    await expect(
      clients.ecs.send(
        new ContinueServiceDeploymentCommand({ serviceDeploymentArn: arn, hookId: 'ecs-pause-wrong' }),
      ),
    ).rejects.toBeInstanceOf(InvalidParameterException);
    expect(awaiting(await describe1(arn))!.hookId).toBe(awaiting(atTest)!.hookId);

    const firstHook = await continueAt(arn);
    const beforeShift = await pausedAt(arn, 'PRODUCTION_TRAFFIC_SHIFT');
    expect(awaiting(beforeShift)!.hookId).not.toBe(firstHook);
    expect(await versionAt(resources().productionUrl)).toBe('v1');
    // Continuing a hook that already succeeded is refused.
    await expect(
      clients.ecs.send(
        new ContinueServiceDeploymentCommand({ serviceDeploymentArn: arn, hookId: firstHook }),
      ),
    ).rejects.toBeInstanceOf(InvalidParameterException);

    await continueAt(arn);
    const afterShift = await pausedAt(arn, 'POST_PRODUCTION_TRAFFIC_SHIFT');
    expect(afterShift.targetServiceRevision?.requestedProductionTrafficWeight).toBe(100);
    expect(await weights(resources().productionRuleArn)).toEqual({
      [resources().targetGroupArn]: 0,
      [resources().alternateTargetGroupArn]: 100,
    });
    expect(await versionAt(resources().productionUrl)).toBe('v2');
    const during = (
      await clients.ecs.send(new DescribeServicesCommand({ cluster: resources().cluster, services: [name] }))
    ).services![0]!;
    // Both revisions run: the services-stable condition (one deployment) does not hold through the bake.
    expect(during.deployments).toHaveLength(2);

    await continueAt(arn);
    const baking = await until(arn, (deployment) => deployment.lifecycleStage === 'BAKE_TIME', 'the bake');
    expect(baking.sourceServiceRevisions![0]!.runningTaskCount).toBe(2);
    const done = await terminal(arn);
    expect(done.status).toBe('SUCCESSFUL');
    expect(done.finishedAt!.getTime() - baking.updatedAt!.getTime()).toBeGreaterThanOrEqual(
      3 * MINUTE_MS - 50,
    );
    const tally = await traffic.stop();
    expect(failuresOf(tally)).toBe(0);
    expect(tally.byVersion.v2).toBeGreaterThan(0);

    const settled = (
      await clients.ecs.send(new DescribeServicesCommand({ cluster: resources().cluster, services: [name] }))
    ).services![0]!;
    expect(settled.deployments).toHaveLength(1);
    const revision = (
      await clients.ecs.send(
        new DescribeServiceRevisionsCommand({ serviceRevisionArns: [done.targetServiceRevision!.arn!] }),
      )
    ).serviceRevisions![0]!;
    expect(revision.resolvedConfiguration?.loadBalancers?.[0]?.targetGroupArn).toBe(
      resources().alternateTargetGroupArn,
    );

    // A finished deployment can neither be continued nor stopped.
    await expect(
      clients.ecs.send(
        new ContinueServiceDeploymentCommand({ serviceDeploymentArn: arn, hookId: firstHook }),
      ),
    ).rejects.toBeInstanceOf(ClientException);
    await expect(
      clients.ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: arn, stopType: 'ROLLBACK' })),
    ).rejects.toBeInstanceOf(ConflictException);
  });

  it('rolls back at the post-production pause: production flips back to the warm revision with 0 failed requests', async () => {
    const traffic = twin.traffic.start({
      url: resources().productionUrl,
      requestsPerSecond: 100,
      maxDurationMs: 30_000,
    });
    const arn = await deploy('svc-portal:v3');
    await pausedAt(arn, 'POST_TEST_TRAFFIC_SHIFT');
    await continueAt(arn);
    await pausedAt(arn, 'PRODUCTION_TRAFFIC_SHIFT');
    await continueAt(arn);
    await pausedAt(arn, 'POST_PRODUCTION_TRAFFIC_SHIFT');
    // The groups swapped roles: v2 serves from b, so v3 went to a.
    expect(await weights(resources().productionRuleArn)).toEqual({
      [resources().alternateTargetGroupArn]: 0,
      [resources().targetGroupArn]: 100,
    });
    expect(await versionAt(resources().productionUrl)).toBe('v3');
    const hookId = await continueAt(arn, 'ROLLBACK');
    const done = await terminal(arn);
    expect(done.status).toBe('ROLLBACK_SUCCESSFUL');
    expect(done.rollback?.reason).toContain(hookId);
    expect(done.rollback?.serviceRevisionArn).toBe(done.sourceServiceRevisions![0]!.arn);
    expect(await versionAt(resources().productionUrl)).toBe('v2');
    expect(await versionAt(resources().testUrl!)).toBe('v2');
    const tally = await traffic.stop();
    expect(failuresOf(tally)).toBe(0);
    expect(tally.byVersion.v3).toBeGreaterThan(0);
  });

  it('a pause nobody answers ends on the previous revision by its timeout action', async () => {
    const arn = await deploy('svc-portal:v3', {
      strategy: 'BLUE_GREEN',
      bakeTimeInMinutes: 0,
      lifecycleHooks: [PAUSE(['PRE_PRODUCTION_TRAFFIC_SHIFT'], 2, 'ROLLBACK')],
    });
    const paused = await pausedAt(arn, 'PRODUCTION_TRAFFIC_SHIFT');
    expect(awaiting(paused)!.expiresAt!.getTime() - Date.now()).toBeLessThanOrEqual(2 * MINUTE_MS);
    const done = await terminal(arn);
    expect(done.status).toBe('ROLLBACK_SUCCESSFUL');
    expect(done.lifecycleHookDetails![0]!.status).toBe('TIMED_OUT');
    expect(done.rollback?.reason).toMatch(/timed out/);
    expect(await versionAt(resources().productionUrl)).toBe('v2');
  });

  it('LINEAR: a fresh hook before every step, weights per step read back from the rule', async () => {
    const arn = await deploy('svc-portal:v3', {
      strategy: 'LINEAR',
      bakeTimeInMinutes: 0,
      linearConfiguration: { stepPercent: 50, stepBakeTimeInMinutes: 1 },
      lifecycleHooks: [PAUSE(['PRE_PRODUCTION_TRAFFIC_SHIFT'])],
    });
    const hooks: string[] = [];
    const seen: number[] = [];
    for (let step = 0; step < 2; step++) {
      const paused = await until(
        arn,
        (deployment) => Boolean(awaiting(deployment)) && !hooks.includes(awaiting(deployment)!.hookId!),
        `the pause before step ${step + 1}`,
      );
      seen.push(paused.targetServiceRevision!.requestedProductionTrafficWeight!);
      hooks.push(await continueAt(arn));
    }
    expect(new Set(hooks).size).toBe(2);
    expect(seen).toEqual([0, 50]);
    expect((await terminal(arn)).status).toBe('SUCCESSFUL');
    expect(await versionAt(resources().productionUrl)).toBe('v3');
  });

  it('a deployment alarm in ALARM during the bake: ECS rolls back and says which alarm', async () => {
    await clients.cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: 'svc-portal-5xx',
        MetricName: 'HTTPCode_Target_5XX_Count',
        Namespace: 'AWS/ApplicationELB',
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 5,
        ComparisonOperator: 'GreaterThanThreshold',
      }),
    );
    const arn = await deploy('svc-portal:v2', {
      strategy: 'BLUE_GREEN',
      bakeTimeInMinutes: 60,
      lifecycleHooks: [],
      alarms: { alarmNames: ['svc-portal-5xx'], enable: true, rollback: true },
    });
    const baking = await until(arn, (deployment) => deployment.lifecycleStage === 'BAKE_TIME', 'the bake');
    expect(baking.alarms).toMatchObject({ status: 'MONITORING', alarmNames: ['svc-portal-5xx'] });
    await clients.cloudwatch.send(
      new SetAlarmStateCommand({ AlarmName: 'svc-portal-5xx', StateValue: 'ALARM', StateReason: 'test' }),
    );
    const done = await terminal(arn);
    expect(done.status).toBe('ROLLBACK_SUCCESSFUL');
    expect(done.alarms).toMatchObject({ status: 'TRIGGERED', triggeredAlarmNames: ['svc-portal-5xx'] });
    expect(await versionAt(resources().productionUrl)).toBe('v3');
  });

  it('StopServiceDeployment(ROLLBACK) during the bake flips back; ListServiceDeployments filters by status', async () => {
    const arn = await deploy('svc-portal:v2', {
      strategy: 'BLUE_GREEN',
      bakeTimeInMinutes: 60,
      alarms: { alarmNames: [], enable: false, rollback: false },
    });
    await until(arn, (deployment) => deployment.lifecycleStage === 'BAKE_TIME', 'the bake');
    const open = await clients.ecs.send(
      new ListServiceDeploymentsCommand({
        cluster: resources().cluster,
        service: name,
        status: ['IN_PROGRESS'],
      }),
    );
    expect(open.serviceDeployments!.map((brief) => brief.serviceDeploymentArn)).toEqual([arn]);
    await clients.ecs.send(
      new StopServiceDeploymentCommand({ serviceDeploymentArn: arn, stopType: 'ROLLBACK' }),
    );
    const done = await terminal(arn);
    expect(done.status).toBe('ROLLBACK_SUCCESSFUL');
    expect(done.statusReason).toMatch(/StopServiceDeployment/);
    expect(await versionAt(resources().productionUrl)).toBe('v3');
    const all = await clients.ecs.send(
      new ListServiceDeploymentsCommand({ cluster: resources().cluster, service: name }),
    );
    expect(all.serviceDeployments![0]!.serviceDeploymentArn).toBe(arn);
    const missing = await clients.ecs.send(
      new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [`${arn}x`] }),
    );
    expect(missing.failures).toEqual([expect.objectContaining({ arn: `${arn}x`, reason: 'MISSING' })]);
    await expect(
      clients.ecs.send(
        new StopServiceDeploymentCommand({ serviceDeploymentArn: `${arn}x`, stopType: 'ROLLBACK' }),
      ),
    ).rejects.toBeInstanceOf(ServiceDeploymentNotFoundException);
  });

  it.each([
    [
      'a PAUSE hook at PRODUCTION_TRAFFIC_SHIFT',
      { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 0, lifecycleHooks: [PAUSE(['PRODUCTION_TRAFFIC_SHIFT'])] },
      InvalidParameterException,
      /PAUSE hooks cannot be configured at PRODUCTION_TRAFFIC_SHIFT/,
    ],
    [
      'a linear step that is not a multiple of 0.1 from 3 to 100',
      { strategy: 'LINEAR', linearConfiguration: { stepPercent: 2.5 } },
      InvalidParameterException,
      /stepPercent must be a multiple of 0.1 from 3.0 to 100.0; it was 2.5/,
    ],
    [
      'a linear configuration under BLUE_GREEN',
      { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 5, linearConfiguration: { stepPercent: 10 } },
      InvalidParameterException,
      /linearConfiguration is only valid when the deployment strategy is LINEAR/,
    ],
    [
      'a hook timeout of 0 minutes (the model says 1 to 20160)',
      { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 0, lifecycleHooks: [PAUSE(['POST_SCALE_UP'], 0)] },
      InvalidParameterException,
      /timeoutInMinutes/,
    ],
    [
      'a bake of 1441 minutes',
      { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 1441 },
      InvalidParameterException,
      /bakeTimeInMinutes must be an integer from 0 to 1440/,
    ],
    [
      'a Lambda hook (not modelled: refused rather than never run)',
      {
        strategy: 'BLUE_GREEN',
        bakeTimeInMinutes: 0,
        lifecycleHooks: [
          {
            targetType: 'AWS_LAMBDA',
            hookTargetArn: 'arn:aws:lambda:eu-west-1:123456789012:function:check',
            roleArn: 'arn:aws:iam::123456789012:role/hooks',
            lifecycleStages: ['POST_SCALE_UP'],
          },
        ],
      },
      UnsupportedFeatureException,
      /AWS_LAMBDA hooks are not modelled by the twin/,
    ],
  ] as const)('refuses %s, and no deployment starts', async (_what, configuration, error, message) => {
    const before = await clients.ecs.send(
      new ListServiceDeploymentsCommand({ cluster: resources().cluster, service: name }),
    );
    const attempt = deploy('svc-portal:v1', configuration as DeploymentConfiguration);
    await expect(attempt).rejects.toBeInstanceOf(error);
    await expect(attempt).rejects.toThrow(message);
    const after = await clients.ecs.send(
      new ListServiceDeploymentsCommand({ cluster: resources().cluster, service: name }),
    );
    expect(after.serviceDeployments).toEqual(before.serviceDeployments);
  });
});
