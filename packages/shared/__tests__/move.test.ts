/**
 * The one move, exit path by exit path, on the in-memory world with the fake clock: where traffic
 * ends, what the tags say, what the post step is left with.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { acquireLease, formatLockValue, lockTagKey } from '../src/blue-green/lease.js';
import {
  OutcomeNotRecordedError,
  ReleaseRefusedError,
  runMove,
  TrafficChangedError,
  TrafficSplitError,
  type MoveProgress,
  type Mover,
} from '../src/blue-green/move.js';
import { LeaseLostError } from '../src/blue-green/lease.js';
import { recoverStoppedRun } from '../src/blue-green/recover.js';
import { ARNS, fakeBlueGreen, taskDefinitionArn, type FakeBlueGreen } from '../testing/fake-blue-green.js';
import { fakeClock } from '../testing/fake-clock.js';

let fake: FakeBlueGreen | undefined;
afterEach(() => fake?.restore());

const HOLDER = 'run-5-1@mpac/svc';
const target = {
  cluster: 'prod',
  serviceNames: { blue: 'svc-blue', green: 'svc-green' },
  production: { kind: 'rule' as const, arn: ARNS.rule },
};

/** Blue live with svc:1 (verified), green prepared with svc:2 and running. */
function setUp(options: { lease?: 'held' | 'take' | 'recover'; restoreTimeout?: number } = {}) {
  fake = fakeBlueGreen({ live: 'blue', idleRunning: 2 });
  const { world, clients } = fake;
  world.services.green.taskDefinition = taskDefinitionArn(2);
  world.tags.set('mpac:verified:blue', taskDefinitionArn(1));
  world.tags.set('mpac:unverified:green', taskDefinitionArn(2));
  const clock = fakeClock();
  const log: string[] = [];
  const saved: MoveProgress[] = [];
  const mover = async (): Promise<Mover> => ({
    clients,
    target,
    holder: HOLDER,
    clock,
    log: (line) => log.push(line),
    waitTimeoutMs: 60_000,
    restoreTimeoutMs: options.restoreTimeout ?? 60_000,
    lease:
      options.lease === 'take'
        ? { take: { ttlMs: 600_000, waitMs: 0 } }
        : options.lease === 'recover'
          ? { recover: true }
          : {
              held: await acquireLease(clients.elbv2, ARNS.rule, {
                holder: HOLDER,
                ttlMs: 60_000,
                waitMs: 0,
                clock,
                log: () => undefined,
              }),
            },
    save: (progress) => saved.push(structuredClone(progress)),
  });
  const writes = () => world.calls.filter((call) => call.startsWith('ModifyRule'));
  return { world, clients, clock, log, saved, mover, writes };
}

const promote = {
  kind: 'promote' as const,
  to: 'green' as const,
  release: taskDefinitionArn(2),
  steps: [5, 50, 100],
  outcome: 'promoted',
  why: 'the cutover from blue to green',
};

describe('the one move', () => {
  it('promotes step by step, then records the outcome and the release verified on each colour', async () => {
    const { world, mover, saved, writes } = setUp();
    const judged: number[] = [];
    const result = await runMove(await mover(), {
      ...promote,
      judge: async (percent) => {
        judged.push(percent);
        return { verdict: 'pass', reason: '' };
      },
    });
    expect(result).toMatchObject({ status: 'moved', liveColor: 'green' });
    expect(judged).toEqual([5, 50, 100]);
    expect(writes()).toEqual(['ModifyRule 95/5', 'ModifyRule 50/50', 'ModifyRule 0/100']);
    expect(world.tags.get('mpac:verified:green')).toBe(taskDefinitionArn(2));
    expect(world.tags.get('mpac:verified:blue')).toBe(taskDefinitionArn(1));
    expect(world.tags.has('mpac:unverified:green')).toBe(false);
    expect(world.tags.get('mpac:outcome')).toBe('promoted');
    expect(world.tags.has('mpac:safe-end')).toBe(false);
    // The safe end was saved before the first write and cleared once the outcome was recorded.
    expect(saved[0]).toEqual({
      safeEnd: { color: 'blue', revision: taskDefinitionArn(1), why: 'the cutover from blue to green' },
    });
    expect(saved.at(-1)).toEqual({});
  });

  it('puts all traffic back on the safe end when a step fails, and keeps the release unverified', async () => {
    const { world, mover, writes } = setUp();
    const result = await runMove(await mover(), {
      ...promote,
      judge: async (percent) =>
        percent === 50
          ? { verdict: 'fail', reason: 'Gate failed at 50 %: 5xx 3 %' }
          : { verdict: 'pass', reason: '' },
    });
    expect(result).toMatchObject({ status: 'restored', liveColor: 'blue', restoredBecause: 'fail' });
    expect(writes()).toEqual(['ModifyRule 95/5', 'ModifyRule 50/50', 'ModifyRule 100/0']);
    expect(world.tags.get('mpac:outcome')).toBe('rolled-back');
    expect(world.tags.get('mpac:rejected-task-definition')).toBe(taskDefinitionArn(2));
    expect(world.tags.get('mpac:unverified:green')).toBe(taskDefinitionArn(2));
    expect(world.tags.has('mpac:verified:green')).toBe(false);
  });

  it('treats an error inside a bake as a failed step: traffic goes back, outcome failed', async () => {
    const { world, mover } = setUp();
    const result = await runMove(await mover(), {
      ...promote,
      judge: async () => {
        throw new Error('GetMetricData: socket hang up');
      },
    });
    expect(result).toMatchObject({ status: 'restored', restoredBecause: 'error' });
    expect(result.reason).toMatch(/the 5 % step failed \(GetMetricData: socket hang up\)/);
    expect(world.weights).toEqual({ blue: 100, green: 0 });
    expect(world.tags.get('mpac:outcome')).toBe('failed');
  });

  it('restores the safe end while the lock store fails, saying the lock is unverified', async () => {
    const { world, mover } = setUp();
    const result = await runMove(await mover(), {
      ...promote,
      judge: async (percent, keepingClock) => {
        // The lock tags fail from the 5 % step on: the renewal during the bake fails first.
        if (percent === 5) world.failNext('DescribeTags', 6);
        await keepingClock.sleep(30_000);
        return { verdict: 'pass', reason: '' };
      },
    });
    expect(result).toMatchObject({ status: 'restored', liveColor: 'blue', restoredBecause: 'error' });
    expect(result.lockUnverified).toMatch(
      /the deploy lock could not be read or renewed \(Injected: DescribeTags/,
    );
    expect(world.weights).toEqual({ blue: 100, green: 0 });
    expect(world.tags.get('mpac:outcome')).toBe('failed');
  });

  it('stops touching traffic when the lease is lost, leaving the safe end to the post step', async () => {
    const { world, mover, saved, writes } = setUp();
    await expect(
      runMove(await mover(), {
        ...promote,
        judge: async () => {
          world.tags.delete(lockTagKey(HOLDER));
          world.tags.set(
            lockTagKey('thief'),
            formatLockValue({
              holder: 'thief',
              expiresAt: Date.parse('2030-01-01T00:00:00Z'),
              state: 'held',
            }),
          );
          return { verdict: 'pass', reason: '' };
        },
      }),
    ).rejects.toThrow(LeaseLostError);
    expect(writes()).toEqual(['ModifyRule 95/5']);
    expect(saved.at(-1)?.safeEnd).toMatchObject({ color: 'blue' });
  });

  it('writes nothing when someone else moved traffic since the caller looked', async () => {
    const { mover, writes } = setUp();
    await expect(
      runMove(await mover(), { ...promote, expectWeights: { blue: 50, green: 50 } }),
    ).rejects.toThrow(TrafficChangedError);
    expect(writes()).toEqual([]);
  });

  it('refuses a promotion of a colour that does not run the release it verified, moving nobody', async () => {
    const { world, mover, writes } = setUp();
    world.services.green.taskDefinition = taskDefinitionArn(3);
    await expect(runMove(await mover(), promote)).rejects.toThrow(
      /svc-green \(green\) runs .*svc:3, not .*svc:2, the release expected there; no customer was moved to it/,
    );
    expect(writes()).toEqual([]);
    expect(world.tags.has('mpac:safe-end')).toBe(false);
  });

  it('rolls back onto the release last verified there, bringing it back before any customer moves', async () => {
    const { world, mover } = setUp({ lease: 'take' });
    world.weights = { blue: 0, green: 100 };
    world.services.blue.taskDefinition = taskDefinitionArn(3);
    const result = await runMove(await mover(), {
      kind: 'rollback',
      to: 'blue',
      release: taskDefinitionArn(1),
      outcome: 'rolled-back-by-monitor',
      why: "the monitor's rollback to blue",
    });
    expect(result).toMatchObject({ status: 'moved', liveColor: 'blue', broughtBack: true });
    const update = world.calls.indexOf(`UpdateService svc-blue ${taskDefinitionArn(1)} 2`);
    expect(update).toBeGreaterThan(-1);
    expect(world.calls.indexOf('ModifyRule 100/0')).toBeGreaterThan(update);
    // The lease taken for the move is let go.
    expect([...world.tags.keys()].filter((key) => key.startsWith('mpac:lock:'))).toEqual([]);
  });

  it('refuses a rollback whose release cannot be brought back, moving nobody', async () => {
    const { world, mover, writes } = setUp({ lease: 'take' });
    world.weights = { blue: 0, green: 100 };
    world.services.blue.taskDefinition = taskDefinitionArn(3);
    world.services.blue.rollout = 'FAILED';
    await expect(
      runMove(await mover(), {
        kind: 'rollback',
        to: 'blue',
        release: taskDefinitionArn(1),
        outcome: 'rolled-back',
        why: 'the rollback to blue',
      }),
    ).rejects.toThrow(ReleaseRefusedError);
    expect(writes()).toEqual([]);
    expect(world.tags.has('mpac:safe-end')).toBe(false);
  });

  it('fails loudly naming the split when the restore cannot finish within restore-timeout', async () => {
    const { world, mover, saved } = setUp({ restoreTimeout: 20_000 });
    const result = runMove(await mover(), {
      ...promote,
      judge: async () => {
        world.failNext('ModifyRule', 1000);
        return { verdict: 'fail', reason: 'Gate failed at 5 %' };
      },
    });
    await expect(result).rejects.toThrow(TrafficSplitError);
    await expect(result).rejects.toThrow(/traffic is split blue 95 % \/ green 5 %.*to-color: blue/);
    expect(saved.at(-1)?.safeEnd).toMatchObject({ color: 'blue' });
  });

  it('settles traffic even when the outcome cannot be recorded, and leaves the tags to the post step', async () => {
    const { world, mover, saved } = setUp({ restoreTimeout: 20_000 });
    const result = runMove(await mover(), {
      ...promote,
      steps: [100],
      judge: async () => {
        world.failNext('AddTags', 1000);
        return { verdict: 'pass', reason: '' };
      },
    });
    await expect(result).rejects.toThrow(OutcomeNotRecordedError);
    expect(world.weights).toEqual({ blue: 0, green: 100 });
    expect(saved.at(-1)?.pendingTags?.set).toContainEqual({ Key: 'mpac:outcome', Value: 'promoted' });
    expect(saved.at(-1)?.safeEnd).toBeUndefined();
  });

  it('in a post step, leaves traffic to a run that holds the lease now', async () => {
    const { world, mover, writes } = setUp({ lease: 'recover' });
    world.weights = { blue: 50, green: 50 };
    world.tags.set(
      lockTagKey('run-9-1@mpac/svc'),
      formatLockValue({
        holder: 'run-9-1@mpac/svc',
        expiresAt: Date.parse('2030-01-01T00:00:00Z'),
        state: 'held',
      }),
    );
    const recovery = await recoverStoppedRun(await mover(), {
      safeEnd: { color: 'blue', revision: taskDefinitionArn(1), why: 'the cutover from blue to green' },
      lockHeld: true,
    });
    expect(recovery.restore?.status).toBe('left-to-other');
    expect(writes()).toEqual([]);
  });

  it('in a post step, restores the safe end while the tags stay unreadable, and says lock-unverified with the split it found', async () => {
    const { world, mover } = setUp({ lease: 'recover', restoreTimeout: 10_000 });
    world.weights = { blue: 95, green: 5 };
    world.failNext('DescribeTags', 1000);
    world.failNext('RemoveTags', 1000);
    const recovery = await recoverStoppedRun(await mover(), {
      safeEnd: { color: 'blue', revision: taskDefinitionArn(1), why: 'the cutover from blue to green' },
      lockHeld: true,
    });
    expect(world.weights).toEqual({ blue: 100, green: 0 });
    expect(recovery.failure).toBeUndefined();
    expect(recovery.lockUnverified.join(' ')).toMatch(
      /found blue 95 % \/ green 5 %, put all traffic on blue and read it back; the deploy lock could not be read/,
    );
  });
});

describe('nothing but the core writes weights or outcome tags', () => {
  const root = path.resolve(import.meta.dirname, '../../..');
  const sources = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory())
        return ['__tests__', 'dist', 'node_modules', 'testing'].includes(name) ? [] : sources(full);
      return full.endsWith('.ts') ? [full] : [];
    });
  const files = [
    ...sources(path.join(root, 'actions')),
    ...sources(path.join(root, 'packages/shared/src')),
  ].filter((file) => !file.includes(`${path.sep}blue-green${path.sep}`));

  it('has no ModifyRule, ModifyListener, AddTags or RemoveTags outside packages/shared/src/blue-green', () => {
    const offenders = files.filter((file) =>
      /\b(ModifyRuleCommand|ModifyListenerCommand|AddTagsCommand|RemoveTagsCommand)\b/.test(
        readFileSync(file, 'utf8'),
      ),
    );
    expect(offenders.map((file) => path.relative(root, file))).toEqual([]);
  });

  it('has shift, rollback, force-from-split, the post step and the monitor move traffic through the one move', () => {
    const callers = {
      'actions/blue-green-deploy/src/shift.ts': /runMove\(/,
      'actions/blue-green-deploy/src/rollback.ts': /runMove\(/,
      'actions/blue-green-deploy/src/prepare.ts': /runMove\(/,
      'actions/blue-green-deploy/src/main.ts': /recoverStoppedRun\(/,
      'actions/monitor-rollback/src/monitor.ts': /runMove\(/,
    };
    for (const [file, call] of Object.entries(callers))
      expect([file, call.test(readFileSync(path.join(root, file), 'utf8'))]).toEqual([file, true]);
    expect(readFileSync(path.join(root, 'packages/shared/src/blue-green/recover.ts'), 'utf8')).toMatch(
      /runMove\(/,
    );
  });
});
