/**
 * The hour without a runner, on the twin under traffic: monitor-rollback `mode: in-aws` arms the
 * release alarms, blue-green-deploy (ecs-native) hands them to ECS and ends its job in the bake,
 * ECS watches (and rolls back by itself), and a later monitor-rollback job reads the verdict.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import type { Twin } from '../../packages/aws-twin/src/index.js';
import { failuresOf } from '../../packages/aws-twin/src/traffic.js';
import { runBundledAction } from '../../packages/shared/testing/run-bundled-action.js';
import { setUpNative } from '../blue-green-deploy/__tests__/native-setup.js';

const monitorDir = path.join(import.meta.dirname, '..', 'monitor-rollback');

let twin: Twin | undefined;
afterEach(async () => {
  await twin?.close();
  twin = undefined;
});

async function setUp() {
  const setup = await setUpNative(
    { strategy: 'BLUE_GREEN' },
    [],
    [{ name: 'portal-report', service: 'svc-portal', schedule: 'cron(0 3 * * ? *)' }],
  );
  twin = setup.twin;
  const watch = (inputs: Record<string, string>) =>
    runBundledAction(monitorDir, {
      inputs: {
        mode: 'in-aws',
        cluster: setup.portal.cluster,
        service: 'svc-portal',
        'metric-period': '10s',
        'failures-before-rollback': '1',
        'max-error-rate': '5',
        'max-p95-latency': '300ms',
        interval: '1s',
        'wait-timeout': '60s',
        ...inputs,
      },
      env: {
        ...setup.twin.env,
        GITHUB_RUN_ID: '3001',
        GITHUB_RUN_ATTEMPT: '1',
        GITHUB_REPOSITORY: 'mpac/svc-portal',
      },
      timeoutMs: 90_000,
    });
  return { ...setup, watch };
}

describe('monitor-rollback mode: in-aws with blue-green-deploy strategy: ecs-native', () => {
  it('a regression in the bake: ECS rolls back by its alarm with no job running, and the later verdict says which', async () => {
    const { run, watch, version, deployment, traffic, twin } = await setUp();
    const customers = traffic();
    const armed = await watch({});
    expect(armed.main.exitCode).toBe(0);
    expect(armed.outputs.outcome).toBe('armed');
    const alarms = armed.outputs.alarms!.split(',');
    expect(alarms).toEqual([
      'mpac-svc-portal-release-5xx-rate',
      'mpac-svc-portal-release-p95',
      'mpac-svc-portal-release-unhealthy',
    ]);
    expect(armed.summary).toContain('Runner minutes spent watching: 0');
    // The alarms watch the group that serves nothing now: where ECS puts the next revision.
    const idle = twin.native['svc-portal']!.alternateTargetGroupArn;
    expect(armed.summary).toContain(idle);

    const deployed = await run({
      image: 'svc-portal:v2',
      alarms: armed.outputs.alarms!,
      'bake-time': '10m',
      'wait-for-bake': 'false',
      'scheduled-tasks': 'portal-report',
    });
    expect(deployed.main.exitCode).toBe(0);
    expect(deployed.outputs.outcome).toBe('promoted');
    // The job leaves at the bake with the scheduled task on the new revision…
    const [moved] = JSON.parse(deployed.outputs['scheduled-tasks']!) as { runs: string; was: string }[];
    expect(twin.runSchedule('portal-report')[0]!.task!.image).toBe('svc-portal:v2');
    const arn = deployed.outputs['service-deployment-arn']!;
    // The job is over; the deployment is not: ECS bakes with the alarms.
    const left = await deployment(arn);
    expect([left.status, left.lifecycleStage]).toEqual(['IN_PROGRESS', 'BAKE_TIME']);
    expect(left.alarms).toMatchObject({ status: 'MONITORING', alarmNames: alarms });
    expect(deployed.annotations.map((annotation) => annotation.message).join('\n')).toMatch(
      /The job ends in ECS's bake \(10 min\): ECS watches .*5xx-rate.* and rolls back by itself/,
    );
    expect(await version()).toBe('v2');

    twin.faults.changeImage('svc-portal:v2', { errorRate: 0.5 });
    const verdict = await watch({ 'service-deployment-arn': arn, 'scheduled-tasks': 'portal-report' });
    expect(verdict.main.exitCode).toBe(1);
    expect(verdict.outputs.outcome).toBe('rolled-back');
    // …and the verdict puts it back on the revision ECS rolled back to.
    expect(JSON.parse(verdict.outputs['scheduled-tasks']!)).toEqual([
      expect.objectContaining({ runs: moved!.was, was: moved!.runs, status: 'updated' }),
    ]);
    expect(twin.runSchedule('portal-report')[0]!.task!.image).toBe('svc-portal:v1');
    expect(verdict.outputs.reason).toMatch(
      /^ECS rolled back to the previous revision: .*-release-5xx-rate went into ALARM/,
    );
    expect(verdict.summary).toContain('runner minutes spent watching');
    expect(await version()).toBe('v1');
    // Nobody but ECS rolled it back: after the deploy job, only reads reached AWS.
    const stops = twin.calls.mutating().filter((call) => /Stop|Continue/.test(call.operation));
    expect(stops.every((call) => call.operation === 'ContinueServiceDeployment')).toBe(true);
    const served = await customers.stop();
    expect(served.completed).toBeGreaterThan(100);
    // Only the regression's own 500s: no request fell between the revisions.
    expect([served.failedBy['load balancer'], served.failedBy['no answer']]).toEqual([0, 0]);
  }, 150_000);

  it('a clean bake: the verdict is healthy with the requests the new revision served; alarms armed for the previous release make it inconclusive', async () => {
    const { run, watch, traffic } = await setUp();
    const customers = traffic();
    const armed = await watch({});
    const deployed = await run({
      image: 'svc-portal:v2',
      alarms: armed.outputs.alarms!,
      'bake-time': '2m',
      'wait-for-bake': 'false',
    });
    expect(deployed.outputs.outcome).toBe('promoted');
    const verdict = await watch({ 'service-deployment-arn': deployed.outputs['service-deployment-arn']! });
    expect(verdict.outputs.reason).toBe('');
    expect(verdict.main.exitCode).toBe(0);
    expect(verdict.outputs.outcome).toBe('healthy');
    expect(verdict.summary).toMatch(/requests on the new revision&#39;s group<\/td><td>[1-9]\d*<\/td>/);
    expect(verdict.summary).toContain('SUCCESSFUL');

    // The next release without arming again: the service still names the alarms, but they watch
    // the group the previous release served from. The verdict is not green.
    const stale = await run(
      { image: 'svc-portal:v3', 'bake-time': '1m', 'wait-for-bake': 'false' },
      { runId: '2002' },
    );
    expect(stale.outputs.outcome).toBe('promoted');
    const unwatched = await watch({ 'service-deployment-arn': stale.outputs['service-deployment-arn']! });
    expect(unwatched.main.exitCode).toBe(1);
    expect(unwatched.outputs.outcome).toBe('inconclusive');
    expect(unwatched.outputs.reason).toMatch(
      /mpac-svc-portal-release-5xx-rate, .* watched another target group than the new revision's .*armed for an earlier deployment/,
    );
    expect(failuresOf(await customers.stop())).toBe(0);
  }, 150_000);

  it('refuses to arm while a deployment is under way, and a runner-only input by name, changing nothing', async () => {
    const { run, watch, twin, portal } = await setUp();
    const byName = await watch({ 'listener-rule-arn': portal.productionRuleArn });
    expect(byName.main.exitCode).toBe(1);
    expect(byName.annotations[0]?.message).toMatch(/listener-rule-arn.*does not apply to mode: in-aws/);
    const prepared = await run({ image: 'svc-portal:v2', phase: 'prepare' });
    expect(prepared.outputs.outcome).toBe('prepared');
    const before = twin.calls.mutating().length;
    const during = await watch({});
    expect(during.main.exitCode).toBe(1);
    expect(during.annotations[0]?.message).toMatch(
      /has a deployment under way .*Arm before blue-green-deploy starts the next one/,
    );
    expect(twin.calls.mutating().slice(before)).toEqual([]);
  }, 150_000);
});
