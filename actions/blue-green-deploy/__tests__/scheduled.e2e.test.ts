/**
 * `scheduled-tasks`, bundled, on the twin: mpac-pgw's nightly matcher (an EventBridge Scheduler
 * schedule, and the same as an EventBridge rule) follows the release customers are on, after a
 * promotion and after a rollback, with every other field of its target kept; a wrong name changes
 * nothing; a schedule that cannot be updated fails the run loudly with traffic left promoted.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { EventBridgeClient, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import path from 'node:path';
import type { Twin } from '../../../packages/aws-twin/src/index.js';
import { runBundledAction } from '../../../packages/shared/testing/run-bundled-action.js';
import { setUpTwin } from './twin-setup.js';

let twin: Twin | undefined;
afterEach(async () => {
  await twin?.close();
  twin = undefined;
});

const REVISION = (n: number) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/svc-portal:${n}`;

async function setUp() {
  const setup = await setUpTwin(
    {},
    {},
    {
      scheduledTasks: [
        { name: 'matcher', service: 'svc-portal', schedule: 'cron(0 3 * * ? *)' },
        { name: 'matcher-rule', service: 'svc-portal', schedule: 'cron(30 3 * * ? *)', via: 'events' },
      ],
    },
  );
  twin = setup.twin;
  const config = {
    region: 'eu-west-1',
    endpoint: setup.twin.endpoint,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' },
  };
  const scheduler = new SchedulerClient(config);
  const events = new EventBridgeClient(config);
  const schedule = async () => {
    const {
      $metadata: _,
      LastModificationDate: _modified,
      ...rest
    } = await scheduler.send(new GetScheduleCommand({ Name: 'matcher' }));
    return rest;
  };
  const ruleTarget = async () =>
    (await events.send(new ListTargetsByRuleCommand({ Rule: 'matcher-rule' }))).Targets![0]!;
  const ranImage = (name: string) => setup.twin.runSchedule(name)[0]!.task!.image;
  return { ...setup, schedule, ruleTarget, ranImage };
}

describe('blue-green-deploy keeps scheduled tasks on the live release', () => {
  it('moves the schedule and the rule target to the promoted revision, keeps every other field, and back on rollback', async () => {
    const { run, schedule, ruleTarget, ranImage, weights } = await setUp();
    const scheduleBefore = await schedule();
    const targetBefore = await ruleTarget();
    expect(ranImage('matcher')).toBe('svc-portal:v1');

    const promoted = await run({ image: 'svc-portal:v2', 'scheduled-tasks': 'matcher\nrule/matcher-rule' });
    expect(promoted.main.exitCode).toBe(0);
    expect(promoted.outputs.outcome).toBe('promoted');
    expect(await weights()).toEqual([0, 100]);
    const moved = JSON.parse(promoted.outputs['scheduled-tasks']!) as Record<string, string>[];
    expect(moved).toEqual([
      expect.objectContaining({
        label: 'schedule default/matcher',
        runs: REVISION(2),
        was: REVISION(1),
        status: 'updated',
      }),
      expect.objectContaining({
        label: 'rule matcher-rule',
        runs: REVISION(2),
        was: REVISION(1),
        status: 'updated',
      }),
    ]);
    // Next runs are the schedules' own: 03:00 and 03:30 UTC.
    expect(moved[0]!['next-run']).toMatch(/T03:00:00\.000Z$/);
    expect(moved[1]!['next-run']).toMatch(/T03:30:00\.000Z$/);
    // Only the revision changed: the overrides, network, role and timing are as they were.
    const scheduleAfter = await schedule();
    expect(scheduleAfter).toEqual({
      ...scheduleBefore,
      Target: {
        ...scheduleBefore.Target,
        EcsParameters: { ...scheduleBefore.Target!.EcsParameters, TaskDefinitionArn: REVISION(2) },
      },
    });
    expect(await ruleTarget()).toEqual({
      ...targetBefore,
      EcsParameters: { ...targetBefore.EcsParameters, TaskDefinitionArn: REVISION(2) },
    });
    expect(ranImage('matcher')).toBe('svc-portal:v2');
    expect(ranImage('matcher-rule')).toBe('svc-portal:v2');
    expect(promoted.summary).toContain('### Scheduled tasks');
    expect(promoted.summary).toMatch(
      /\| schedule default\/matcher \| svc-portal:2 \| svc-portal:1 \| \d{4}-\d\d-\d\dT03:00:00Z \| updated \|/,
    );

    const rolledBack = await run({ phase: 'rollback', 'scheduled-tasks': 'matcher, rule/matcher-rule' });
    expect(rolledBack.outputs.outcome).toBe('rolled-back');
    expect(await weights()).toEqual([100, 0]);
    expect(JSON.parse(rolledBack.outputs['scheduled-tasks']!)).toEqual([
      expect.objectContaining({ label: 'schedule default/matcher', runs: REVISION(1), was: REVISION(2) }),
      expect.objectContaining({ label: 'rule matcher-rule', runs: REVISION(1), was: REVISION(2) }),
    ]);
    expect(ranImage('matcher')).toBe('svc-portal:v1');
    expect(ranImage('matcher-rule')).toBe('svc-portal:v1');
    expect(await schedule()).toEqual(scheduleBefore);
  }, 120_000);

  it('finds them itself with auto, and leaves them alone when a gate rolls the release back', async () => {
    const { twin, portal, run, ranImage } = await setUp();
    const traffic = twin.traffic.start({
      url: `${portal.productionUrl}/orders`,
      requestsPerSecond: 100,
      maxDurationMs: 40_000,
    });
    const failed = await run({ image: 'svc-portal:bad', 'no-data': '', 'scheduled-tasks': 'auto' });
    await traffic.stop();
    expect(failed.outputs.outcome).toBe('rolled-back');
    // A release a gate stopped never reached them: they were not touched.
    expect(failed.outputs['scheduled-tasks'] ?? '').toBe('');
    expect(ranImage('matcher')).toBe('svc-portal:v1');
    // Another run (a run that registered a revision uses it again when retried).
    const promoted = await run(
      { image: 'svc-portal:v3', 'scheduled-tasks': 'auto' },
      { env: { GITHUB_RUN_ID: '1002' } },
    );
    expect(promoted.outputs.outcome).toBe('promoted');
    expect(ranImage('matcher')).toBe('svc-portal:v3');
    expect(ranImage('matcher-rule')).toBe('svc-portal:v3');
  }, 120_000);

  it('runs each scheduled task once on the promoted revision when asked, as its schedule would, and fails on a bad exit code', async () => {
    const { twin, run, weights } = await setUp();
    const promoted = await run({
      image: 'svc-portal:v2',
      'scheduled-tasks': 'matcher\nrule/matcher-rule',
      'run-scheduled-now': 'true',
    });
    expect(promoted.main.exitCode).toBe(0);
    expect(promoted.outputs.outcome).toBe('promoted');
    const runNow = twin.calls
      .of('ecs', 'RunTask')
      .filter((call) => call.params.startedBy === 'mpac-run-scheduled-now');
    expect(runNow).toHaveLength(2);
    // As the schedule starts it: its cluster, network and overrides, on the promoted revision.
    expect(runNow[0]!.params).toMatchObject({
      cluster: twin.resources['svc-portal']!.clusterArn,
      taskDefinition: REVISION(2),
      count: 1,
      launchType: 'FARGATE',
      networkConfiguration: {
        awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d'], assignPublicIp: 'DISABLED' },
      },
      overrides: { containerOverrides: [{ name: 'app', command: ['reconcile'] }] },
    });
    expect(promoted.summary).toContain('### Scheduled tasks run now');
    expect(promoted.summary).toMatch(/\| schedule default\/matcher \| `[0-9a-f]+` \| ✅ exited 0 \|/);

    // A release whose one-off run exits 3: the run fails loudly, naming it; traffic stays promoted.
    const failing = await run(
      { image: 'svc-portal:migration-fails', 'scheduled-tasks': 'matcher', 'run-scheduled-now': 'true' },
      { env: { GITHUB_RUN_ID: '1003' } },
    );
    expect(failing.main.exitCode).not.toBe(0);
    expect(failing.outputs.outcome).toBe('promoted');
    expect(failing.log).toContain(
      'run-scheduled-now: schedule default/matcher: The scheduled task exited with code 3',
    );
    expect(await weights()).toEqual([100, 0]);
  }, 120_000);

  it('refuses run-scheduled-now without scheduled tasks, before any AWS call', async () => {
    const { twin, run } = await setUp();
    const refused = await run({ image: 'svc-portal:v2', 'run-scheduled-now': 'true' });
    expect(refused.main.exitCode).not.toBe(0);
    expect(refused.log).toContain("Input 'run-scheduled-now' needs scheduled-tasks");
    expect(twin.calls.all()).toEqual([]);
  });

  it('refuses a schedule that does not exist, or that runs another cluster, before anything in AWS changes', async () => {
    const { run, changes, weights } = await setUp();
    const missing = await run({ image: 'svc-portal:v2', 'scheduled-tasks': 'matcher, nightly-matcher' });
    expect(missing.main.exitCode).toBe(1);
    expect(missing.main.stdout + missing.main.stderr).toContain(
      "Input 'scheduled-tasks' names schedule default/nightly-matcher, which does not exist. A valid value looks like:",
    );
    const badForm = await run({ image: 'svc-portal:v2', 'scheduled-tasks': 'rule/a/b/c' });
    expect(badForm.main.stdout + badForm.main.stderr).toContain(
      "Input 'scheduled-tasks' names 'rule/a/b/c', which is not a schedule",
    );
    expect(changes()).toEqual([]);
    expect(await weights()).toEqual([100, 0]);
  }, 60_000);

  it('fails loudly, traffic promoted, when a schedule cannot be updated; a rollback converges it', async () => {
    const { twin, run, weights, ranImage } = await setUp();
    twin.faults.add({
      service: 'scheduler',
      operation: 'UpdateSchedule',
      fail: { code: 'InternalServerException', status: 500, times: 10 },
    });
    const promoted = await run({ image: 'svc-portal:v2', 'scheduled-tasks': 'matcher, rule/matcher-rule' });
    expect(promoted.main.exitCode).toBe(1);
    expect(promoted.outputs.outcome).toBe('promoted');
    expect(await weights()).toEqual([0, 100]);
    expect(promoted.main.stdout + promoted.main.stderr).toContain(
      `1 scheduled task still runs another release than the one customers are on (${REVISION(2)}): schedule default/matcher still runs ${REVISION(1)}`,
    );
    expect(ranImage('matcher')).toBe('svc-portal:v1');
    expect(ranImage('matcher-rule')).toBe('svc-portal:v2');
    twin.faults.clear();
    const rolledBack = await run({ phase: 'rollback', 'scheduled-tasks': 'matcher, rule/matcher-rule' });
    expect(rolledBack.main.exitCode).toBe(0);
    expect(JSON.parse(rolledBack.outputs['scheduled-tasks']!)).toEqual([
      expect.objectContaining({ label: 'schedule default/matcher', runs: REVISION(1), status: 'unchanged' }),
      expect.objectContaining({ label: 'rule matcher-rule', runs: REVISION(1), status: 'updated' }),
    ]);
    expect(ranImage('matcher-rule')).toBe('svc-portal:v1');
  }, 120_000);

  it("follows the monitor's rollback: a release that breaks after promotion takes its scheduled tasks back with it", async () => {
    const { twin, portal, run, ranImage } = await setUp();
    const promoted = await run({ image: 'svc-portal:v2', 'scheduled-tasks': 'auto' });
    expect(promoted.outputs.outcome).toBe('promoted');
    expect(ranImage('matcher')).toBe('svc-portal:v2');
    twin.faults.changeImage('svc-portal:v2', { errorRate: 1 });
    const traffic = twin.traffic.start({
      url: `${portal.productionUrl}/orders`,
      requestsPerSecond: 50,
      maxDurationMs: 30_000,
    });
    const monitored = await runBundledAction(path.join(import.meta.dirname, '../../monitor-rollback'), {
      inputs: {
        cluster: portal.cluster,
        service: 'svc-portal',
        'listener-rule-arn': portal.productionRuleArn,
        duration: '20s',
        interval: '1s',
        'metric-period': '1s',
        'metric-delay': '3s',
        'failures-before-rollback': '2',
        'scheduled-tasks': 'auto',
      },
      env: { ...twin.env, GITHUB_RUN_ID: '5005' },
      timeoutMs: 60_000,
    });
    await traffic.stop();
    expect(monitored.outputs.outcome).toBe('rolled-back');
    expect(JSON.parse(monitored.outputs['scheduled-tasks']!)).toEqual([
      expect.objectContaining({
        label: 'schedule default/matcher',
        runs: REVISION(1),
        was: REVISION(2),
        status: 'updated',
      }),
      expect.objectContaining({
        label: 'rule matcher-rule',
        runs: REVISION(1),
        was: REVISION(2),
        status: 'updated',
      }),
    ]);
    expect(ranImage('matcher')).toBe('svc-portal:v1');
    expect(ranImage('matcher-rule')).toBe('svc-portal:v1');
    expect(monitored.summary).toContain('### Scheduled tasks');
  }, 120_000);
});
