import { afterEach, describe, expect, it } from '@jest/globals';
import { formatLockValue, lockTagKey } from '../../../packages/shared/src/blue-green/lease.js';
import { InputReader } from '../../../packages/shared/src/inputs.js';
import {
  ARNS,
  fakeBlueGreen,
  taskDefinitionArn,
  type FakeBlueGreen,
  type FakeWorld,
} from '../../../packages/shared/testing/fake-blue-green.js';
import { fakeClock } from '../../../packages/shared/testing/fake-clock.js';
import { deploy, DeployFailure } from '../src/deploy.js';
import { getInputs } from '../src/inputs.js';
import type { DeployState } from '../src/state.js';

const HOLDER = 'run-1001-1@mpac/svc';
const TASK_DEFINITION_FILE = JSON.stringify({
  family: 'svc',
  containerDefinitions: [{ name: 'app', image: 'placeholder' }],
});

let fake: FakeBlueGreen | undefined;
afterEach(() => fake?.restore());

interface SetUp {
  live?: 'blue' | 'green';
  weights?: { blue: number; green: number };
  idleRunning?: number;
  /** The probe's answer status (default 200). */
  probeStatus?: number;
}

/** A deploy of svc (blue live with svc:1) on the in-memory world, with the fake clock. */
function setUp(values: Record<string, string> = {}, options: SetUp = {}) {
  fake = fakeBlueGreen({ live: options.live, weights: options.weights, idleRunning: options.idleRunning });
  const { world, clients } = fake;
  const clock = fakeClock();
  const onSleep: (() => void)[] = [];
  const saved: DeployState[] = [];
  const log: string[] = [];
  // Gates see healthy traffic on both colours unless a test says otherwise.
  world.metrics.blue = { requests: 1000, errors: 1 };
  world.metrics.green = { requests: 1000, errors: 1 };
  const inputs = getInputs(
    new InputReader(
      (name) =>
        ({
          cluster: 'prod',
          service: 'svc',
          'listener-rule-arn': ARNS.rule,
          'aws-region': 'eu-west-1',
          'task-definition': 'td.json',
          'container-name': 'app',
          image: 'svc:v2',
          'step-bake': '1m',
          ...values,
        })[name] ?? '',
    ),
    {},
  );
  const run = () =>
    deploy({
      inputs,
      clients,
      clock: {
        now: clock.now,
        sleep: async (ms) => {
          await clock.sleep(ms);
          onSleep.shift()?.();
        },
      },
      holder: HOLDER,
      log: (line) => log.push(line),
      readFile: () => TASK_DEFINITION_FILE,
      save: (state) => saved.push(structuredClone(state)),
      random: () => 0.5,
      send: async () => ({ status: options.probeStatus ?? 200, headers: {}, body: '', latencyMs: 1 }),
    });
  const failure = async (): Promise<DeployFailure> => {
    const error = await run().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(DeployFailure);
    return error as DeployFailure;
  };
  const rejection = async (): Promise<Error> => {
    const error = await run().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(Error);
    return error as Error;
  };
  return { world, clock, onSleep, saved, log, run, failure, rejection };
}

const weightWrites = (world: FakeWorld) =>
  world.calls.filter((call) => call.startsWith('ModifyRule') && !call.endsWith('test'));
const lockTags = (world: FakeWorld) => [...world.tags.keys()].filter((key) => key.startsWith('mpac:lock:'));

describe('phase all', () => {
  it('promotes through 5/50/100, one verified write per step, outcome recorded, lease released', async () => {
    const { world, run } = setUp();
    const result = await run();
    expect(result).toMatchObject({
      outcome: 'promoted',
      liveColor: 'green',
      previousColor: 'blue',
      taskDefinitionArn: taskDefinitionArn(2),
      previousTaskDefinitionArn: taskDefinitionArn(1),
    });
    expect(weightWrites(world)).toEqual(['ModifyRule 95/5', 'ModifyRule 50/50', 'ModifyRule 0/100']);
    expect(world.calls).toContain('UpdateService svc-green ' + taskDefinitionArn(2) + ' 2');
    expect(Object.fromEntries(world.tags)).toMatchObject({
      'mpac:live-color': 'green',
      'mpac:previous-color': 'blue',
      'mpac:outcome': 'promoted',
      'mpac:task-definition': taskDefinitionArn(2),
      'mpac:previous-task-definition': taskDefinitionArn(1),
    });
    expect(world.tags.has('mpac:safe-end')).toBe(false);
    expect(lockTags(world)).toEqual([]);
    expect(world.services.blue.desiredCount).toBe(2);
  });

  it('reports unchanged, moving nothing, when the live colour already runs the release', async () => {
    const { world, run } = setUp({
      'task-definition': '',
      'container-name': '',
      image: '',
      'task-definition-arn': taskDefinitionArn(1),
    });
    expect((await run()).outcome).toBe('unchanged');
    expect(weightWrites(world)).toEqual([]);
    expect(world.calls.some((call) => call.startsWith('UpdateService'))).toBe(false);
  });

  it('rolls back at 5 % when the new colour answers 5xx, and records the release as rejected', async () => {
    const { world, failure } = setUp();
    world.metrics.green = { requests: 50, errors: 50 };
    const error = await failure();
    expect(error.message).toMatch(
      /^Gate failed at 5 %: error rate 100\.00 % > 5 %.*all traffic is back on blue$/,
    );
    expect(error.partial).toMatchObject({ outcome: 'rolled-back', liveColor: 'blue', previousColor: 'blue' });
    expect(weightWrites(world)).toEqual(['ModifyRule 95/5', 'ModifyRule 100/0']);
    expect(world.tags.get('mpac:outcome')).toBe('rolled-back');
    expect(world.tags.get('mpac:rejected-task-definition')).toBe(taskDefinitionArn(2));
    expect(lockTags(world)).toEqual([]);
  });

  it('fails the gate when the probe fails twice in a row, and rolls back', async () => {
    const { world, failure } = setUp({ 'probe-url': 'http://127.0.0.1:9/health' }, { probeStatus: 503 });
    const error = await failure();
    expect(error.message).toMatch(
      /Gate failed at 5 %: probe http:\/\/127\.0\.0\.1:9\/health status expected 2xx or 3xx, got 503, 2 times in a row/,
    );
    expect(world.weights).toEqual({ blue: 100, green: 0 });
  });

  it('fails the gate on an alarm in ALARM, and rolls back', async () => {
    const { world, failure } = setUp({ alarms: 'svc-5xx' });
    world.alarms.set('svc-5xx', 'OK');
    world.beforeNext('ModifyRule', () => world.alarms.set('svc-5xx', 'ALARM'));
    const error = await failure();
    expect(error.message).toMatch(/Gate failed at 5 %: alarm svc-5xx in ALARM/);
    expect(world.weights).toEqual({ blue: 100, green: 0 });
  });
});

describe('the numbered defects of issue 10', () => {
  it('1: a run that waited for the lock reads the state afresh and deploys onto the colour that is idle now', async () => {
    const { world, clock, onSleep, run } = setUp({ 'lock-wait': '1m' });
    world.tags.set(
      lockTagKey('run-1000-1@mpac/svc'),
      formatLockValue({ holder: 'run-1000-1@mpac/svc', expiresAt: clock.now() + 3_600_000, state: 'held' }),
    );
    // While this run waits, the other run promotes green and lets go.
    onSleep.push(() => {
      world.weights = { blue: 0, green: 100 };
      world.services.green = {
        taskDefinition: taskDefinitionArn(1),
        desiredCount: 2,
        runningCount: 2,
        rollout: 'COMPLETED',
      };
      world.tags.delete(lockTagKey('run-1000-1@mpac/svc'));
    });
    const result = await run();
    expect(result).toMatchObject({ outcome: 'promoted', liveColor: 'blue', previousColor: 'green' });
    expect(world.calls).toContain('UpdateService svc-blue ' + taskDefinitionArn(2) + ' 2');
    expect(weightWrites(world)).toEqual(['ModifyRule 5/95', 'ModifyRule 50/50', 'ModifyRule 100/0']);
  });

  it('2: during a rollback the saved safe end is the rollback target, not the original weights', async () => {
    const { world, saved, run } = setUp(
      { phase: 'rollback', 'task-definition': '' },
      { live: 'green', idleRunning: 2 },
    );
    world.tags.set('mpac:live-color', 'green');
    world.tags.set('mpac:previous-color', 'blue');
    world.tags.set('mpac:outcome', 'promoted');
    world.tags.set('mpac:verified:blue', taskDefinitionArn(1));
    let savedAtWrite: DeployState | undefined;
    world.beforeNext('ModifyRule', () => (savedAtWrite = saved.at(-1)));
    const result = await run();
    expect(result).toMatchObject({ outcome: 'rolled-back', liveColor: 'blue', previousColor: 'green' });
    expect(savedAtWrite?.safeEnd).toEqual({
      color: 'blue',
      revision: taskDefinitionArn(1),
      why: 'the rollback to blue',
    });
    expect(world.tags.get('mpac:safe-end')).toBeUndefined();
    expect(saved.at(-1)).toMatchObject({ lockHeld: false });
    expect(saved.at(-1)?.safeEnd).toBeUndefined();
  });

  it('3: ELB errors during the restore are retried until the weights are back', async () => {
    const { world, failure } = setUp();
    world.metrics.green = { requests: 50, errors: 50 };
    // The step to 5 % goes through; then the ELB fails the next three writes.
    world.beforeNext('GetMetricData', () => world.failNext('ModifyRule', 3));
    const error = await failure();
    expect(error.partial.outcome).toBe('rolled-back');
    expect(world.weights).toEqual({ blue: 100, green: 0 });
    expect(weightWrites(world)).toEqual(['ModifyRule 95/5', ...Array(4).fill('ModifyRule 100/0')]);
  });

  it('3: when the restore cannot succeed it fails loudly naming the split, and keeps the safe end for the post step', async () => {
    const { world, saved, failure } = setUp({ 'restore-timeout': '20s' });
    world.metrics.green = { requests: 50, errors: 50 };
    world.beforeNext('GetMetricData', () => world.failNext('ModifyRule', 1000));
    const error = await failure();
    expect(error.partial.outcome).toBe('traffic-split');
    expect(error.message).toMatch(
      /Could not put all traffic on blue after \d+ attempts .*traffic is split blue 95 % \/ green 5 % between blue \(.*svc:1\) and green \(.*svc:2\)\. Run blue-green-deploy with phase: rollback and to-color: blue/,
    );
    expect(saved.at(-1)).toMatchObject({ lockHeld: true, safeEnd: { color: 'blue' } });
    expect(world.tags.get('mpac:safe-end')).toBe(`blue ${HOLDER}`);
  });

  it('5: a bake longer than lock-ttl renews the lease and still promotes', async () => {
    const { world, run } = setUp({ 'lock-ttl': '1m', 'step-bake': '5m' });
    expect((await run()).outcome).toBe('promoted');
    const lockWrites = world.calls.filter((call) => call === 'AddTags').length;
    expect(lockWrites).toBeGreaterThan(3 * 5 * 3);
  });

  it('5: a run whose lease was taken over mid-bake stops touching traffic, and leaves its safe end to its post step', async () => {
    const { world, saved, failure } = setUp({ 'lock-ttl': '1m', 'step-bake': '5m' });
    world.beforeNext('GetMetricData', () => {
      world.tags.delete(lockTagKey(HOLDER));
      world.tags.set(
        lockTagKey('thief'),
        formatLockValue({ holder: 'thief', expiresAt: Date.parse('2030-01-01T00:00:00Z'), state: 'held' }),
      );
    });
    const error = await failure();
    expect(error.partial.outcome).toBe('lock-lost');
    expect(error.message).toMatch(/lost the deploy lock .*thief holds it now/);
    expect(weightWrites(world)).toEqual(['ModifyRule 95/5']);
    // The post step restores it only if nobody holds the lease by then (the thief does here).
    expect(saved.at(-1)).toMatchObject({ lockHeld: false, safeEnd: { color: 'blue' } });
  });

  it('6: a RegisterTaskDefinition whose answer was lost after AWS acted registers one revision, not two', async () => {
    const { world, run } = setUp();
    world.failNext('RegisterTaskDefinition', 1, { afterActing: true });
    const result = await run();
    expect(result.taskDefinitionArn).toBe(taskDefinitionArn(2));
    expect(world.revisions).toHaveLength(2);
    expect(world.revisions[1]!.tags.get('mpac:run')).toBe(HOLDER);
  });

  it('6: a second run of the same attempt reuses the revision it registered', async () => {
    const { world, run } = setUp();
    await run();
    world.weights = { blue: 100, green: 0 };
    world.tags.clear();
    await run();
    expect(world.revisions).toHaveLength(2);
  });

  it('7: a leftover split is refused with the weights and the fix, changing nothing', async () => {
    const { world, rejection } = setUp({}, { weights: { blue: 95, green: 5 }, idleRunning: 2 });
    const error = await rejection();
    expect(error.message).toMatch(
      /Production traffic is split \(blue 95 % \/ green 5 %\).*Nothing was changed.*phase: rollback \(to-color: blue\), or set force-from-split: true/,
    );
    expect(weightWrites(world)).toEqual([]);
    expect(world.calls.some((call) => /^(UpdateService|RegisterTaskDefinition)/.test(call))).toBe(false);
  });

  it('7: force-from-split first puts all traffic on the colour with more, then deploys', async () => {
    const { world, run } = setUp(
      { 'force-from-split': 'true' },
      { weights: { blue: 95, green: 5 }, idleRunning: 2 },
    );
    const result = await run();
    expect(result.outcome).toBe('promoted');
    expect(weightWrites(world)).toEqual([
      'ModifyRule 100/0',
      'ModifyRule 95/5',
      'ModifyRule 50/50',
      'ModifyRule 0/100',
    ]);
    expect(result.notices).toContain(
      'Traffic was split (blue 95 % / green 5 %); all of it went back to blue before the deploy',
    );
  });

  it('8: prepare points the test listener at the idle colour and says which release it serves', async () => {
    const { world, run } = setUp({ phase: 'prepare', 'test-listener-rule-arn': ARNS.testRule });
    world.testColor = 'blue';
    const result = await run();
    expect(result).toMatchObject({
      outcome: 'prepared',
      testListener: { color: 'green', taskDefinitionArn: taskDefinitionArn(2) },
    });
    expect(world.testColor).toBe('green');
    expect(world.weights).toEqual({ blue: 100, green: 0 });
    expect(lockTags(world)).toHaveLength(1);
  });

  it('9: rollback goes to the colour recorded as previous, and refuses to re-promote what it rolled back', async () => {
    const first = setUp({ phase: 'rollback', 'task-definition': '' }, { live: 'green', idleRunning: 2 });
    first.world.tags.set('mpac:live-color', 'green');
    first.world.tags.set('mpac:previous-color', 'blue');
    first.world.tags.set('mpac:outcome', 'promoted');
    first.world.tags.set('mpac:task-definition', taskDefinitionArn(2));
    first.world.tags.set('mpac:previous-task-definition', taskDefinitionArn(1));
    first.world.services.green.taskDefinition = taskDefinitionArn(2);
    expect(await first.run()).toMatchObject({ outcome: 'rolled-back', liveColor: 'blue' });
    expect(first.world.tags.get('mpac:rejected-task-definition')).toBe(taskDefinitionArn(2));
    const writes = weightWrites(first.world).length;

    const again = await first.rejection();
    expect(again.message).toMatch(
      /green runs .*svc:2, which was rolled back \(rolled-back at .*\).*Nothing was changed\. Set force: true/,
    );
    expect(weightWrites(first.world)).toHaveLength(writes);
  });

  it('9: after the monitor rolled back, an on-call rollback does not re-promote the bad release', async () => {
    const { world, rejection } = setUp({ phase: 'rollback', 'task-definition': '' }, { idleRunning: 2 });
    world.services.green.taskDefinition = taskDefinitionArn(2);
    world.tags.set('mpac:live-color', 'blue');
    world.tags.set('mpac:previous-color', 'green');
    world.tags.set('mpac:outcome', 'rolled-back-by-monitor');
    world.tags.set('mpac:rejected-task-definition', taskDefinitionArn(2));
    const error = await rejection();
    expect(error.message).toMatch(/which was rolled back \(rolled-back-by-monitor/);
    expect(world.weights).toEqual({ blue: 100, green: 0 });
  });

  it('9: force: true does what it is told', async () => {
    const { world, run } = setUp(
      { phase: 'rollback', 'task-definition': '', force: 'true', 'to-color': 'green' },
      { idleRunning: 2 },
    );
    world.services.green.taskDefinition = taskDefinitionArn(2);
    world.tags.set('mpac:outcome', 'rolled-back');
    world.tags.set('mpac:live-color', 'blue');
    world.tags.set('mpac:previous-color', 'green');
    world.tags.set('mpac:rejected-task-definition', taskDefinitionArn(2));
    expect(await run()).toMatchObject({ outcome: 'rolled-back', liveColor: 'green' });
    expect(world.weights).toEqual({ blue: 0, green: 100 });
  });
});

describe('rollback, shift and cleanup', () => {
  it('rolls back to a task definition by ARN, bringing a scaled-down colour up first', async () => {
    const { world, run } = setUp(
      { phase: 'rollback', 'task-definition': '', 'to-task-definition': taskDefinitionArn(1) },
      { live: 'green' },
    );
    world.services.green.taskDefinition = taskDefinitionArn(2);
    const result = await run();
    expect(result).toMatchObject({
      outcome: 'rolled-back',
      liveColor: 'blue',
      taskDefinitionArn: taskDefinitionArn(1),
    });
    const update = world.calls.findIndex((call) => call === 'UpdateService svc-blue 2');
    expect(update).toBeGreaterThan(-1);
    expect(world.calls.findIndex((call) => call === 'ModifyRule 100/0')).toBeGreaterThan(update);
  });

  describe('to an earlier release neither colour runs', () => {
    const DIGEST = `sha256:${'a'.repeat(64)}`;
    /** Three releases: svc:1 (by digest), svc:2 on green (idle, scaled down), svc:3 live on blue. */
    function threeReleases(values: Record<string, string>, options: SetUp = {}) {
      const setup = setUp({ phase: 'rollback', 'task-definition': '', ...values }, options);
      const { world } = setup;
      world.revisions[0]!.definition.containerDefinitions = [{ name: 'app', image: `svc@${DIGEST}` }];
      for (const revision of [2, 3])
        world.revisions.push({
          arn: taskDefinitionArn(revision),
          definition: {
            family: 'svc',
            status: 'ACTIVE',
            taskDefinitionArn: taskDefinitionArn(revision),
            containerDefinitions: [{ name: 'app', image: `svc:v${revision}` }],
          },
          tags: new Map(),
        });
      world.services.blue.taskDefinition = taskDefinitionArn(3);
      world.services.green.taskDefinition = taskDefinitionArn(2);
      return setup;
    }
    const changes = (world: FakeWorld) =>
      world.calls.filter((call) => /^(UpdateService|ModifyRule|RegisterTaskDefinition|RunTask)/.test(call));

    it('starts it on the idle colour, health-checked, then moves all traffic there (by ARN)', async () => {
      const { world, run, log } = threeReleases({ 'to-task-definition': taskDefinitionArn(1) });
      expect(await run()).toMatchObject({
        outcome: 'rolled-back',
        liveColor: 'green',
        previousColor: 'blue',
        taskDefinitionArn: taskDefinitionArn(1),
        previousTaskDefinitionArn: taskDefinitionArn(3),
      });
      expect(changes(world)).toEqual([
        `UpdateService svc-green ${taskDefinitionArn(1)} 2`,
        'ModifyRule 0/100',
      ]);
      expect(world.services.green).toMatchObject({ taskDefinition: taskDefinitionArn(1), runningCount: 2 });
      expect(log.join('\n')).toMatch(
        /svc:1 is an earlier release; neither colour runs it, so green \(idle\) starts it first/,
      );
    });

    it('finds it by the image it ran, a digest or the reference as deployed', async () => {
      const byDigest = threeReleases({ 'to-image': DIGEST });
      expect(await byDigest.run()).toMatchObject({
        outcome: 'rolled-back',
        taskDefinitionArn: taskDefinitionArn(1),
      });
      expect(byDigest.log.join('\n')).toContain(`${DIGEST} is ${taskDefinitionArn(1)}`);
      fake?.restore();
      // svc:2 is on a colour already: the rollback goes there, nothing started.
      const byTag = threeReleases({ 'to-image': 'svc:v2' }, { idleRunning: 2 });
      byTag.world.tags.set('mpac:outcome', 'promoted');
      byTag.world.tags.set('mpac:live-color', 'blue');
      byTag.world.tags.set('mpac:previous-color', 'green');
      byTag.world.tags.set('mpac:verified:green', taskDefinitionArn(2));
      expect(await byTag.run()).toMatchObject({
        liveColor: 'green',
        taskDefinitionArn: taskDefinitionArn(2),
      });
      expect(changes(byTag.world)).toEqual(['ModifyRule 0/100']);
    });

    it('refuses, changing nothing, an image no revision ran, a deregistered revision, another family, or a split', async () => {
      const missing = threeReleases({ 'to-image': 'svc:v9' });
      expect((await missing.rejection()).message).toMatch(
        /No ACTIVE revision among the newest 100 of svc runs svc:v9 in container app: nothing was changed/,
      );
      expect(changes(missing.world)).toEqual([]);
      fake?.restore();

      const inactive = threeReleases({ 'to-task-definition': taskDefinitionArn(1) });
      inactive.world.revisions[0]!.definition.status = 'INACTIVE';
      expect((await inactive.rejection()).message).toMatch(
        /svc:1 was deregistered \(INACTIVE\), and ECS starts no task of an inactive revision: nothing was changed/,
      );
      expect(changes(inactive.world)).toEqual([]);
      fake?.restore();

      const other = threeReleases({ 'to-task-definition': taskDefinitionArn(1) });
      other.world.revisions[0]!.definition.family = 'billing';
      expect((await other.rejection()).message).toMatch(
        /is of family billing, not svc, the family the service runs/,
      );
      expect(changes(other.world)).toEqual([]);
      fake?.restore();

      const split = threeReleases(
        { 'to-task-definition': taskDefinitionArn(1) },
        { weights: { blue: 95, green: 5 }, idleRunning: 2 },
      );
      expect((await split.rejection()).message).toMatch(
        /Neither colour runs .*svc:1, and traffic is split \(blue 95 % \/ green 5 %\): there is no idle colour to start it on/,
      );
      expect(changes(split.world)).toEqual([]);
    });

    it('refuses the release a rollback took off, unless forced', async () => {
      const { world, rejection } = threeReleases({ 'to-task-definition': taskDefinitionArn(1) });
      world.tags.set('mpac:outcome', 'rolled-back');
      world.tags.set('mpac:live-color', 'blue');
      world.tags.set('mpac:previous-color', 'green');
      world.tags.set('mpac:rejected-task-definition', taskDefinitionArn(1));
      expect((await rejection()).message).toMatch(
        /svc:1 was rolled back \(rolled-back.*\); rolling back to it would put the bad release back/,
      );
      expect(changes(world)).toEqual([]);
    });
  });

  it('goes to the safe end a dead run left behind, when traffic is split', async () => {
    const { world, run } = setUp(
      { phase: 'rollback', 'task-definition': '' },
      { weights: { blue: 50, green: 50 }, idleRunning: 2 },
    );
    world.tags.set('mpac:safe-end', 'blue run-999-1@mpac/svc');
    expect(await run()).toMatchObject({ outcome: 'rolled-back', liveColor: 'blue' });
    expect(world.weights).toEqual({ blue: 100, green: 0 });
    expect(world.tags.has('mpac:safe-end')).toBe(false);
  });

  it('refuses a shift that nothing prepared, even when the idle colour runs tasks', async () => {
    const { world, rejection } = setUp({ phase: 'shift', 'task-definition': '' }, { idleRunning: 2 });
    const error = await rejection();
    expect(error.message).toMatch(
      /Nothing prepared to shift: svc-green \(green\) runs .*Run the prepare phase before shift/,
    );
    expect(weightWrites(world)).toEqual([]);
  });

  it('shifts what prepare left, in a later step of the same run', async () => {
    const { world, run } = setUp({ phase: 'prepare' });
    expect((await run()).outcome).toBe('prepared');
    const shift = setUpFrom(world, { phase: 'shift', 'task-definition': '' });
    expect(await shift()).toMatchObject({
      outcome: 'promoted',
      liveColor: 'green',
      taskDefinitionArn: taskDefinitionArn(2),
    });
    expect(world.tags.has('mpac:prepared')).toBe(false);
    expect(lockTags(world)).toEqual([]);
  });

  it('refuses cleanup while traffic is split', async () => {
    const { world, rejection } = setUp(
      { phase: 'cleanup', 'task-definition': '' },
      { weights: { blue: 50, green: 50 }, idleRunning: 2 },
    );
    const error = await rejection();
    expect(error.message).toMatch(/finish or roll back the cutover before cleanup/);
    expect(world.calls.some((call) => call.startsWith('UpdateService'))).toBe(false);
  });

  it('cleans up the idle colour once traffic is settled', async () => {
    const { world, run } = setUp({ phase: 'cleanup', 'task-definition': '' }, { idleRunning: 2 });
    expect((await run()).outcome).toBe('cleaned-up');
    expect(world.services.green.desiredCount).toBe(0);
  });
});

/** Runs one more deploy on the same world (a later step of the same job). */
function setUpFrom(world: FakeWorld, values: Record<string, string>) {
  const inputs = getInputs(
    new InputReader(
      (name) =>
        ({
          cluster: 'prod',
          service: 'svc',
          'listener-rule-arn': ARNS.rule,
          'aws-region': 'eu-west-1',
          'step-bake': '1m',
          ...values,
        })[name] ?? '',
    ),
    {},
  );
  return () =>
    deploy({
      inputs,
      clients: fake!.clients,
      clock: fakeClock(),
      holder: HOLDER,
      log: () => undefined,
      readFile: () => TASK_DEFINITION_FILE,
      save: () => undefined,
      send: async () => ({ status: 200, headers: {}, body: '', latencyMs: 1 }),
    });
}

describe('gates on CloudWatch as AWS publishes it', () => {
  it('does not promote a release no request reached: inconclusive, traffic back, outcome recorded', async () => {
    const { world, failure } = setUp();
    world.metrics.green = { requests: 0, errors: 0 };
    const error = await failure();
    expect(error.partial.outcome).toBe('inconclusive');
    expect(error.message).toMatch(
      /^Gate inconclusive at 5 %: no evidence: no request reached green in \d+ complete periods?; all traffic is back on blue$/,
    );
    expect(world.weights).toEqual({ blue: 100, green: 0 });
    expect(world.tags.get('mpac:outcome')).toBe('inconclusive');
    expect(world.tags.has('mpac:rejected-task-definition')).toBe(false);
  });

  it('promotes without evidence only when told no-data: pass, and says so per step', async () => {
    const { world, run } = setUp({ 'no-data': 'pass' });
    world.metrics.green = { requests: 0, errors: 0 };
    const result = await run();
    expect(result.outcome).toBe('promoted');
    expect(result.steps.map((step) => step.verdict)).toEqual(['no data', 'no data', 'no data']);
    expect(result.steps[0]!.reasons[0]).toMatch(/\(no-data: pass\)$/);
  });

  it('with no-data: wait, keeps watching until requests arrive', async () => {
    const { world, clock, run } = setUp({ 'no-data': 'wait', 'max-bake': '20m' });
    world.metrics.green = { requests: 0, errors: 0 };
    let judged = 0;
    const started = clock.now();
    const original = world.calls.push.bind(world.calls);
    world.calls.push = (...calls: string[]) => {
      if (calls.includes('GetMetricData') && ++judged === 3)
        world.metrics.green = { requests: 500, errors: 0 };
      return original(...calls);
    };
    const result = await run();
    expect(result.outcome).toBe('promoted');
    expect(result.steps[0]!.bakedMs).toBeGreaterThan(4 * 60_000);
    expect(clock.now() - started).toBeLessThan(60 * 60_000);
  });

  it('with no-data: wait, gives up as inconclusive at max-bake', async () => {
    const { world, failure } = setUp({ 'no-data': 'wait', 'max-bake': '10m' });
    world.metrics.green = { requests: 0, errors: 0 };
    const error = await failure();
    expect(error.partial.outcome).toBe('inconclusive');
    expect(error.partial.steps[0]!.bakedMs).toBeGreaterThanOrEqual(10 * 60_000);
  });

  it('catches a 3 % release against a 0.2 % baseline at 5 %, under the 5 % guardrail, in numbers', async () => {
    const { world, failure } = setUp();
    world.metrics.green = { requests: 200, errors: 6 };
    world.metrics.blue = { requests: 3800, errors: 8 };
    const error = await failure();
    expect(error.partial.outcome).toBe('rolled-back');
    expect(error.message).toMatch(
      /Gate failed at 5 %: error rate rose against blue: green 3\.00 % vs blue 0\.21 %, \+2\.79 pp, p = /,
    );
  });

  it('catches a latency regression against the old colour under the absolute limit', async () => {
    const { world, failure } = setUp();
    world.metrics.green = { requests: 1000, errors: 0, p95Seconds: 0.4 };
    world.metrics.blue = { requests: 1000, errors: 0, p95Seconds: 0.05 };
    const error = await failure();
    expect(error.message).toMatch(/p95 latency rose against blue: 400 ms vs 50 ms, \+350 ms > 100 ms/);
  });

  it('refuses at input time a bake that can never see a complete period, naming both inputs', () => {
    expect(() => setUp({ 'step-bake': '30s' })).toThrow(
      /Input 'step-bake' \(30 s\) is shorter than metric-period \(60 s\), and there is no probe-url and no alarms/,
    );
    expect(() => setUp({ 'step-bake': '30s', 'probe-url': 'https://x.example/health' })).not.toThrow();
    expect(() => setUp({ 'metric-period': '45s' })).toThrow(
      /'metric-period' must be 1s, 5s, 10s, 30s or a multiple of 60s/,
    );
  });
});

describe('recovery (phase rollback with if-unsettled)', () => {
  it('finishes what a dead run left: all traffic to the recorded safe end', async () => {
    const { world, run } = setUp(
      { phase: 'rollback', 'task-definition': '', 'if-unsettled': 'true' },
      { weights: { blue: 50, green: 50 }, idleRunning: 2 },
    );
    world.tags.set('mpac:safe-end', 'blue run-1000-1@mpac/svc');
    expect(await run()).toMatchObject({ outcome: 'rolled-back', liveColor: 'blue' });
    expect(world.weights).toEqual({ blue: 100, green: 0 });
  });

  it('does nothing when traffic is settled, even with an outcome recorded', async () => {
    const { world, run } = setUp(
      { phase: 'rollback', 'task-definition': '', 'if-unsettled': 'true' },
      { live: 'green', idleRunning: 2 },
    );
    world.tags.set('mpac:live-color', 'green');
    world.tags.set('mpac:previous-color', 'blue');
    world.tags.set('mpac:outcome', 'promoted');
    expect(await run()).toMatchObject({ outcome: 'unchanged', liveColor: 'green' });
    expect(weightWrites(world)).toEqual([]);
  });
});
