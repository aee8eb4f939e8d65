import { afterEach, describe, expect, it } from '@jest/globals';
import {
  acquireLease,
  formatLockValue,
  LeaseLostError,
  lockHolder,
  lockTagKey,
  parseLockEntry,
  readLockEntries,
  releaseLease,
} from '../src/blue-green/lease.js';
import { seededRandom } from '../../aws-twin/src/random.js';
import { ARNS, fakeBlueGreen, type FakeBlueGreen } from '../testing/fake-blue-green.js';
import { fakeClock } from '../testing/fake-clock.js';

let fake: FakeBlueGreen | undefined;
afterEach(() => fake?.restore());

function setUp() {
  fake = fakeBlueGreen();
  return { ...fake, clock: fakeClock(), log: (_line: string) => undefined };
}

const held = (holder: string, expiresAt: number) =>
  [lockTagKey(holder), formatLockValue({ holder, expiresAt, state: 'held' })] as const;

describe('the deploy lease', () => {
  it('round-trips through a tag value ELB accepts, with a key short enough for ELB', () => {
    const entry = {
      holder: 'run-42-1@mpac/svc-portal',
      expiresAt: Date.parse('2026-11-22T12:00:00Z'),
      state: 'held' as const,
    };
    const value = formatLockValue(entry);
    expect(value).toBe('run-42-1@mpac/svc-portal 2026-11-22T12:00:00.000Z held');
    expect(value).toMatch(/^[\w .:/=+@-]+$/);
    expect(lockTagKey(entry.holder)).toMatch(/^mpac:lock:[0-9a-f]{16}$/);
    expect(parseLockEntry(lockTagKey(entry.holder), value)).toEqual({
      key: lockTagKey(entry.holder),
      ...entry,
    });
    expect(parseLockEntry('mpac:lock:x', 'garbage')).toBeUndefined();
    expect(
      lockHolder({ GITHUB_RUN_ID: '42', GITHUB_RUN_ATTEMPT: '2', GITHUB_REPOSITORY: 'mpac/svc-portal' }),
    ).toBe('run-42-2@mpac/svc-portal');
  });

  it('takes a free lease, held until now + ttl', async () => {
    const { world, clients, clock, log } = setUp();
    const lease = await acquireLease(clients.elbv2, ARNS.rule, {
      holder: 'me',
      ttlMs: 7_200_000,
      waitMs: 0,
      clock,
      log,
    });
    expect(await readLockEntries(clients.elbv2, ARNS.rule)).toEqual([
      {
        key: lockTagKey('me'),
        holder: 'me',
        expiresAt: clock.now() + 7_200_000,
        state: 'held',
        ttlMs: 7_200_000,
      },
    ]);
    expect(lease.renewEveryMs).toBe(2_400_000);
    expect(world.calls.filter((call) => call === 'AddTags')).toHaveLength(2);
  });

  it('fails fast naming the holder when another run holds it, writing nothing', async () => {
    const { world, clients, clock, log } = setUp();
    world.tags.set(...held('run-7-1@mpac/svc-portal', clock.now() + 60_000));
    await expect(
      acquireLease(clients.elbv2, ARNS.rule, { holder: 'me', ttlMs: 60_000, waitMs: 0, clock, log }),
    ).rejects.toThrow(
      /Another deploy holds the lock on .*: run-7-1@mpac\/svc-portal, until .*set lock-wait to queue/,
    );
    expect(world.calls.filter((call) => call !== 'DescribeTags' && call !== 'RemoveTags')).toEqual([]);
  });

  it('waits up to lock-wait for the holder, then takes the lease once it expires', async () => {
    const { world, clients, clock } = setUp();
    world.tags.set(...held('other', clock.now() + 12_000));
    const lines: string[] = [];
    await acquireLease(clients.elbv2, ARNS.rule, {
      holder: 'me',
      ttlMs: 60_000,
      waitMs: 60_000,
      clock,
      log: (line) => lines.push(line),
    });
    expect(clock.sleeps).toEqual([5000, 5000, 5000]);
    expect(lines.at(-1)).toBe('Taking over an expired deploy lock held by other');
    expect((await readLockEntries(clients.elbv2, ARNS.rule)).map((entry) => entry.holder)).toEqual(['me']);
  });

  it('is re-entrant for the same run (prepare, then shift)', async () => {
    const { clients, clock, log } = setUp();
    await acquireLease(clients.elbv2, ARNS.rule, { holder: 'me', ttlMs: 60_000, waitMs: 0, clock, log });
    await acquireLease(clients.elbv2, ARNS.rule, { holder: 'me', ttlMs: 60_000, waitMs: 0, clock, log });
    expect((await readLockEntries(clients.elbv2, ARNS.rule)).map((entry) => entry.holder)).toEqual(['me']);
  });

  it('of two runs racing at the same moment, never lets both win (40 seeded races)', async () => {
    const { clients, log } = setUp();
    let winners = 0;
    for (let race = 0; race < 40; race++) {
      // Real timers (scaled down): the random pauses must actually set the two runs apart.
      const clock = {
        now: () => Date.now(),
        sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms / 10)),
      };
      const attempt = (holder: string, seed: number) =>
        acquireLease(clients.elbv2, ARNS.rule, {
          holder,
          ttlMs: 60_000,
          waitMs: 0,
          clock,
          log,
          random: seededRandom(seed),
        }).then(
          () => true,
          (error: Error) => {
            expect(error.message).toMatch(/Another deploy holds the lock/);
            return false;
          },
        );
      const results = await Promise.all([attempt(`a-${race}`, race), attempt(`b-${race}`, race + 1000)]);
      expect(results.filter(Boolean)).toHaveLength(1);
      winners += results.filter(Boolean).length;
      const entries = await readLockEntries(clients.elbv2, ARNS.rule);
      expect(entries.filter((entry) => entry.state === 'held')).toHaveLength(1);
      for (const entry of entries) await releaseLease(clients.elbv2, ARNS.rule, entry.holder);
    }
    expect(winners).toBe(40);
  });

  it('renews itself through the run clock, so a bake longer than the ttl keeps it', async () => {
    const { clients, clock, log } = setUp();
    const lease = await acquireLease(clients.elbv2, ARNS.rule, {
      holder: 'me',
      ttlMs: 60_000,
      waitMs: 0,
      clock,
      log,
    });
    await lease.clock().sleep(300_000);
    const [entry] = await readLockEntries(clients.elbv2, ARNS.rule);
    expect(entry!.expiresAt).toBeGreaterThan(clock.now());
    await expect(
      acquireLease(clients.elbv2, ARNS.rule, { holder: 'other', ttlMs: 60_000, waitMs: 0, clock, log }),
    ).rejects.toThrow(/holds the lock on .*: me,/);
    await expect(lease.check()).resolves.toBeUndefined();
  });

  it('knows when it was lost, and says who holds it now', async () => {
    const { world, clients, clock, log } = setUp();
    const lease = await acquireLease(clients.elbv2, ARNS.rule, {
      holder: 'me',
      ttlMs: 60_000,
      waitMs: 0,
      clock,
      log,
    });
    world.tags.clear();
    world.tags.set(...held('thief', clock.now() + 60_000));
    await expect(lease.check()).rejects.toThrow(LeaseLostError);
    await expect(lease.keep()).rejects.toThrow(
      /lost the deploy lock on .*: thief holds it now\. It stopped touching traffic/,
    );
  });

  it('counts as lost once it expired without renewal', async () => {
    const { clients, clock, log } = setUp();
    const lease = await acquireLease(clients.elbv2, ARNS.rule, {
      holder: 'me',
      ttlMs: 60_000,
      waitMs: 0,
      clock,
      log,
    });
    clock.advance(61_000);
    await expect(lease.check()).rejects.toThrow(/it expired at/);
  });

  it('releases only its own lease', async () => {
    const { world, clients, clock } = setUp();
    world.tags.set(...held('other', clock.now() + 60_000));
    expect(await releaseLease(clients.elbv2, ARNS.rule, 'me')).toBe(false);
    expect(world.tags.size).toBe(1);
    expect(await releaseLease(clients.elbv2, ARNS.rule, 'other')).toBe(true);
    expect(world.tags.size).toBe(0);
  });
});
