/**
 * strategy: ecs-native on the twin's ECS service deployments, under customer traffic: ECS moves the
 * weights, the bundled action holds each pause, judges and continues or rolls back.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Twin } from '../../../packages/aws-twin/src/index.js';
import type { AlarmSpec, EcsNativeSpec } from '../../../packages/aws-twin/src/scenario.js';
import { failuresOf } from '../../../packages/aws-twin/src/traffic.js';
import { setUpNative } from './native-setup.js';

let twin: Twin | undefined;
afterEach(async () => {
  await twin?.close();
  twin = undefined;
});

async function setUp(spec: Partial<EcsNativeSpec> = {}, alarms: AlarmSpec[] = []) {
  const setup = await setUpNative(spec, alarms);
  twin = setup.twin;
  return setup;
}

describe('strategy ecs-native on the twin', () => {
  it('BLUE_GREEN: promoted with the suite verdict at every pause, 0 failed customer requests', async () => {
    const { run, version, deployment, traffic } = await setUp();
    const load = traffic();
    const result = await run({ image: 'svc-portal:v2' });
    const tally = await load.stop();
    expect(result.main.exitCode).toBe(0);
    expect(result.outputs.outcome).toBe('promoted');
    expect(result.outputs['service-deployment-arn']).toMatch(/:service-deployment\/mpac\/svc-portal\//);
    expect((await deployment(result.outputs['service-deployment-arn']!)).status).toBe('SUCCESSFUL');
    expect(await version()).toBe('v2');
    expect(failuresOf(tally)).toBe(0);
    expect(tally.byVersion.v2).toBeGreaterThan(0);
    // Each pause and its verdict: test traffic continued, 100 % judged and passed.
    expect(result.summary).toContain('<h3>Pauses</h3>');
    expect(result.summary).toMatch(/POST_TEST_TRAFFIC_SHIFT<\/td><td>0 %<\/td><td>CONTINUE/);
    expect(result.summary).toMatch(
      /POST_PRODUCTION_TRAFFIC_SHIFT<\/td><td>100 %<\/td><td>CONTINUE<\/td><td>gate passed at 100 %/,
    );
    expect(result.summary).toContain('<h3>Stages as seen</h3>');
    // The post step has nothing to undo.
    expect(result.post?.stdout ?? '').not.toMatch(/ROLLBACK/);
    // A recovery job's rollback (if-unsettled) finds nothing under way and changes nothing.
    const before = twin!.calls.mutating().length;
    const recovery = await run(
      { phase: 'rollback', 'if-unsettled': 'true', 'task-definition': '' },
      { runId: '2009' },
    );
    expect(recovery.main.exitCode).toBe(0);
    expect(recovery.outputs.outcome).toBe('unchanged');
    expect(twin!.calls.mutating().slice(before)).toEqual([]);
    expect(await version()).toBe('v2');
  }, 120_000);

  it('LINEAR held at 25 and 50: a latency regression is rolled back before it reaches 75 %, with 0 failed requests', async () => {
    const { run, version, deployment, traffic } = await setUp({ strategy: 'LINEAR' });
    const load = traffic();
    const result = await run({
      image: 'svc-portal:slow',
      'ecs-step-percent': '25',
      'traffic-steps': '25,50,100',
      'max-latency-increase': '100ms',
    });
    const tally = await load.stop();
    expect(result.main.exitCode).toBe(1);
    expect(result.outputs.outcome).toBe('rolled-back');
    // At 25 % (or at 50 % when too few requests reached it in every period for a p95 at 25 %).
    // The rise against the previous revision is what trips it; on a loaded machine the slow
    // release may also pass the absolute p95 bound, which the reason then names first.
    expect(result.outputs.reason).toMatch(
      /^gate failed at (25|50) %: (p95 latency \d+ ms > \d+ ms; )?p95 latency rose against the previous revision: \d+ ms vs \d+ ms/,
    );
    const ended = await deployment(result.outputs['service-deployment-arn']!);
    expect(ended.status).toBe('ROLLBACK_SUCCESSFUL');
    expect(await version()).toBe('v1');
    expect(failuresOf(tally)).toBe(0);
    expect(result.summary).toMatch(/PRE_PRODUCTION_TRAFFIC_SHIFT<\/td><td>(25|50) %<\/td><td>ROLLBACK/);
    expect(result.summary).not.toMatch(/<td>75 %<\/td>/);
  }, 120_000);

  it('BLUE_GREEN fails at the post-production pause: the 100 % judge rolls back by a weight flip, no request unanswered', async () => {
    const { run, version, deployment, traffic } = await setUp();
    const load = traffic();
    const result = await run({ image: 'svc-portal:bad', 'max-error-rate': '5' });
    const tally = await load.stop();
    expect(result.main.exitCode).toBe(1);
    expect(result.outputs.outcome).toBe('rolled-back');
    expect(result.outputs.reason).toMatch(
      /^gate failed at 100 %: error rate 100.00 % > 5 % .*; ECS rolled back to the previous revision$/,
    );
    expect(result.summary).toMatch(/POST_PRODUCTION_TRAFFIC_SHIFT<\/td><td>100 %<\/td><td>ROLLBACK/);
    expect((await deployment(result.outputs['service-deployment-arn']!)).status).toBe('ROLLBACK_SUCCESSFUL');
    expect(await version()).toBe('v1');
    // The bad release's own 500s while it was judged at 100 %; none fell between the revisions.
    expect(tally.failedBy.application).toBeGreaterThan(0);
    expect([tally.failedBy['load balancer'], tally.failedBy['no answer']]).toEqual([0, 0]);
  }, 120_000);

  it('prepare ends at the post-test pause; a second process re-attaches with service-deployment-arn and promotes', async () => {
    const { run, version, deployment, portal, traffic } = await setUp();
    const load = traffic();
    const prepared = await run({ image: 'svc-portal:v2', phase: 'prepare' });
    expect(prepared.main.exitCode).toBe(0);
    expect(prepared.outputs.outcome).toBe('prepared');
    const arn = prepared.outputs['service-deployment-arn']!;
    const held = await deployment(arn);
    expect(held.status).toBe('IN_PROGRESS');
    expect(held.lifecycleHookDetails?.[0]).toMatchObject({
      status: 'AWAITING_ACTION',
      timeoutAction: 'ROLLBACK',
    });
    // The post step leaves a deployment held on purpose.
    expect((await deployment(arn)).status).toBe('IN_PROGRESS');
    expect(
      (await fetch(portal.testUrl!, { signal: AbortSignal.timeout(5000) })).headers.get('x-version'),
    ).toBe('v2');
    expect(await version()).toBe('v1');

    const shifted = await run(
      { phase: 'shift', 'service-deployment-arn': arn, 'task-definition': '' },
      { runId: '2002' },
    );
    const tally = await load.stop();
    expect(shifted.main.exitCode).toBe(0);
    expect(shifted.outputs.outcome).toBe('promoted');
    expect(shifted.log).toMatch(/Re-attached to arn:aws:ecs:\S+ at POST_TEST_TRAFFIC_SHIFT/);
    expect((await deployment(arn)).status).toBe('SUCCESSFUL');
    expect(await version()).toBe('v2');
    expect(failuresOf(tally)).toBe(0);
  }, 120_000);

  it('a runner killed at a pause: ECS ends on the previous revision by the pause timeout, with no later job', async () => {
    const { run, version, deployment } = await setUp();
    const result = await run(
      { image: 'svc-portal:v2', phase: 'prepare', 'pause-timeout': '1m' },
      { killMainWhen: /Started arn:aws:ecs:/, runPost: false },
    );
    expect(result.main.killed).toBe(true);
    const arn = result.state.deploy ? JSON.parse(result.state.deploy).native.serviceDeploymentArn : undefined;
    expect(arn).toBeDefined();
    // The pause (1 minute + 2 of margin, 4 s a minute here) times out and ECS rolls back by itself.
    const deadline = Date.now() + 40_000;
    let status = '';
    while (Date.now() < deadline) {
      status = (await deployment(arn)).status!;
      if (status === 'ROLLBACK_SUCCESSFUL') break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(status).toBe('ROLLBACK_SUCCESSFUL');
    expect((await deployment(arn)).lifecycleHookDetails?.[0]?.status).toBe('TIMED_OUT');
    expect(await version()).toBe('v1');
  }, 120_000);

  it('cancelled at a pause: the post step rolls back at once instead of waiting out the timeout', async () => {
    const { run, version, deployment } = await setUp();
    const result = await run(
      { image: 'svc-portal:v2', 'step-bake': '20s', 'max-bake': '20s' },
      { killMainWhen: /Step 100 %: baking|bake and gate/, runPost: true },
    );
    expect(result.main.killed).toBe(true);
    expect(result.post?.stdout).toMatch(/ContinueServiceDeployment\(ROLLBACK\)/);
    const arn = JSON.parse(result.state.deploy!).native.serviceDeploymentArn;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && (await deployment(arn)).status !== 'ROLLBACK_SUCCESSFUL')
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await deployment(arn)).status).toBe('ROLLBACK_SUCCESSFUL');
    expect(await version()).toBe('v1');
  }, 120_000);

  it('an alarm in ALARM during the bake: ECS rolls back by itself, and the suite reports it', async () => {
    const { run, version, twin } = await setUp({}, [
      { name: 'svc-portal-5xx', metricName: 'HTTPCode_Target_5XX_Count', threshold: 1000 },
    ]);
    const running = run({
      image: 'svc-portal:v2',
      alarms: 'svc-portal-5xx',
      'bake-time': '5m',
      'no-data': 'pass',
    });
    const baking = () =>
      [...twin.services.ecs.serviceDeployments.values()].some(
        (record) => record.phases[record.phase]?.stage === 'BAKE_TIME',
      );
    await twin.waitFor(baking, 60_000, 'the bake');
    twin.services.cloudwatch.handlers.SetAlarmState!({
      AlarmName: 'svc-portal-5xx',
      StateValue: 'ALARM',
      StateReason: 'a test in ALARM',
    });
    const result = await running;
    expect(result.main.exitCode).toBe(1);
    expect(result.outputs.outcome).toBe('rolled-back');
    expect(result.outputs.reason).toMatch(/^ECS rolled back: .*svc-portal-5xx went into ALARM/);
    expect(result.summary).toContain('TRIGGERED: svc-portal-5xx in ALARM');
    expect(await version()).toBe('v1');
  }, 120_000);

  it('refuses a deploy while a deployment is in progress, and changes nothing', async () => {
    const { run, twin } = await setUp();
    const first = await run({ image: 'svc-portal:v2', phase: 'prepare' });
    expect(first.outputs.outcome).toBe('prepared');
    const before = twin.calls.mutating().length;
    const second = await run({ image: 'svc-portal:v3' }, { runId: '2003' });
    expect(second.main.exitCode).toBe(1);
    expect(second.annotations[0]?.message).toMatch(
      /has a deployment in progress \(arn:aws:ecs:.*service-deployment.*\); a second would supersede it/,
    );
    expect(
      twin.calls
        .mutating()
        .slice(before)
        .map((call) => call.operation),
    ).toEqual([]);
  }, 120_000);
});
