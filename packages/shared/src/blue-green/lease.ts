/**
 * The deploy lock: a lease held in tags on the production rule or listener.
 *
 * Each run writes its own tag (`mpac:lock:<hash of run>` = `<run> <expiry> candidate|held`), then
 * reads every lock tag back, and wins only when it sees no live tag of another run. Of two runs
 * racing, at most one can see only itself: whichever reads second reads after both writes. A run
 * that sees a rival withdraws and retries after a random pause; one that sees a held lease waits
 * (`lock-wait`) or fails naming the holder. The lease is renewed every third of its ttl while the
 * run works, and checked before every traffic write, so a run that lost it stops touching traffic.
 *
 * What it guarantees honestly: mutual exclusion as long as ELB tag reads see earlier tag writes,
 * which AWS does not promise for every read; the workflow's `concurrency` group stays the primary
 * guard, the lease the second one.
 */
import { createHash } from 'node:crypto';
import {
  AddTagsCommand,
  RemoveTagsCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Clock } from '../clock.js';
import { formatDuration } from '../duration.js';
import { ActionError } from '../errors.js';
import { describeTags } from '../traffic.js';

export const LOCK_TAG_PREFIX = 'mpac:lock:';
/** Attempts to settle a tie between candidates before giving up (each after a random pause). */
const MAX_CONTENDED_ATTEMPTS = 12;

export type LockState = 'candidate' | 'held';

export interface LockEntry {
  key: string;
  holder: string;
  expiresAt: number;
  state: LockState;
}

/** Who this run is, in characters ELB tags accept. */
export function lockHolder(env: NodeJS.ProcessEnv): string {
  const run = env.GITHUB_RUN_ID
    ? `run-${env.GITHUB_RUN_ID}-${env.GITHUB_RUN_ATTEMPT ?? '1'}`
    : `local-${process.pid}`;
  const repository = env.GITHUB_REPOSITORY ? `@${env.GITHUB_REPOSITORY}` : '';
  return `${run}${repository}`.replace(/[^\w.:/=+@-]/g, '-').slice(0, 200);
}

/** A tag key per run: keys are at most 128 characters, holders may be longer. */
export function lockTagKey(holder: string): string {
  return `${LOCK_TAG_PREFIX}${createHash('sha256').update(holder).digest('hex').slice(0, 16)}`;
}

/** ELB tag values allow letters, digits, spaces and `_ . : / = + - @`. */
export function formatLockValue(entry: Omit<LockEntry, 'key'>): string {
  return `${entry.holder} ${new Date(entry.expiresAt).toISOString()} ${entry.state}`;
}

export function parseLockEntry(key: string, value: string | undefined): LockEntry | undefined {
  if (!key.startsWith(LOCK_TAG_PREFIX) || !value) return undefined;
  const parts = value.split(' ');
  if (parts.length < 3) return undefined;
  const state = parts.pop();
  const expiresAt = Date.parse(parts.pop()!);
  const holder = parts.join(' ');
  if ((state !== 'candidate' && state !== 'held') || Number.isNaN(expiresAt) || !holder) return undefined;
  return { key, holder, expiresAt, state };
}

export async function readLockEntries(
  elbv2: ElasticLoadBalancingV2Client,
  resourceArn: string,
): Promise<LockEntry[]> {
  const tags = await describeTags(elbv2, resourceArn);
  return tags.flatMap((tag) => parseLockEntry(tag.Key ?? '', tag.Value) ?? []);
}

async function writeEntry(
  elbv2: ElasticLoadBalancingV2Client,
  resourceArn: string,
  entry: Omit<LockEntry, 'key'>,
): Promise<void> {
  await elbv2.send(
    new AddTagsCommand({
      ResourceArns: [resourceArn],
      Tags: [{ Key: lockTagKey(entry.holder), Value: formatLockValue(entry) }],
    }),
  );
}

async function removeEntries(
  elbv2: ElasticLoadBalancingV2Client,
  resourceArn: string,
  keys: string[],
): Promise<void> {
  if (keys.length > 0)
    await elbv2.send(new RemoveTagsCommand({ ResourceArns: [resourceArn], TagKeys: keys }));
}

/** The lease is gone (expired, taken over, removed): the run must stop touching traffic. */
export class LeaseLostError extends ActionError {}

export interface AcquireOptions {
  holder: string;
  ttlMs: number;
  waitMs: number;
  clock: Clock;
  log: (line: string) => void;
  /** For the pause between contended attempts (default Math.random). */
  random?: () => number;
}

function heldMessage(resourceArn: string, other: LockEntry, contended = false): string {
  return (
    `Another deploy holds the lock on ${resourceArn}: ${other.holder}, until ${new Date(other.expiresAt).toISOString()}` +
    `${contended ? ' (both runs asked for it at the same moment)' : ''}. ` +
    'Wait for it to finish, or set lock-wait to queue behind it.'
  );
}

/**
 * Takes the lease: free, expired, or already ours (a later phase of the same run). Held by another
 * run: waits up to `waitMs`, then fails naming the holder.
 */
export async function acquireLease(
  elbv2: ElasticLoadBalancingV2Client,
  resourceArn: string,
  options: AcquireOptions,
): Promise<Lease> {
  const { clock, holder } = options;
  const random = options.random ?? Math.random;
  const myKey = lockTagKey(holder);
  const deadline = clock.now() + options.waitMs;
  let contended = 0;
  for (;;) {
    const entries = await readLockEntries(elbv2, resourceArn);
    const now = clock.now();
    const expired = entries.filter((entry) => entry.key !== myKey && entry.expiresAt <= now);
    for (const entry of expired) options.log(`Taking over an expired deploy lock held by ${entry.holder}`);
    await removeEntries(
      elbv2,
      resourceArn,
      expired.map((entry) => entry.key),
    );
    const holderNow = entries.find(
      (entry) => entry.key !== myKey && entry.expiresAt > now && entry.state === 'held',
    );
    if (holderNow) {
      if (now >= deadline) throw new ActionError(heldMessage(resourceArn, holderNow));
      options.log(
        `Deploy lock held by ${holderNow.holder}; waiting (up to ${formatDuration(deadline - now)} more)`,
      );
      await clock.sleep(Math.min(5000, deadline - now));
      continue;
    }
    const expiresAt = now + options.ttlMs;
    await writeEntry(elbv2, resourceArn, { holder, expiresAt, state: 'candidate' });
    const rival = (await readLockEntries(elbv2, resourceArn)).find(
      (entry) => entry.key !== myKey && entry.expiresAt > clock.now(),
    );
    if (!rival) {
      await writeEntry(elbv2, resourceArn, { holder, expiresAt, state: 'held' });
      return new Lease(elbv2, resourceArn, holder, options.ttlMs, clock, options.log, now, expiresAt);
    }
    await removeEntries(elbv2, resourceArn, [myKey]);
    contended++;
    if (contended >= MAX_CONTENDED_ATTEMPTS && clock.now() >= deadline)
      throw new ActionError(heldMessage(resourceArn, rival, true));
    await clock.sleep(Math.round((50 + random() * 250) * Math.min(contended, 4)));
  }
}

/** A held lease: renewed while the run works, checked before every traffic write. */
export class Lease {
  readonly renewEveryMs: number;
  private lostReason?: string;

  constructor(
    private readonly elbv2: ElasticLoadBalancingV2Client,
    readonly resourceArn: string,
    readonly holder: string,
    private readonly ttlMs: number,
    private readonly baseClock: Clock,
    private readonly log: (line: string) => void,
    private renewedAt: number,
    public expiresAt: number,
  ) {
    this.renewEveryMs = Math.max(1000, Math.floor(ttlMs / 3));
  }

  get lost(): string | undefined {
    return this.lostReason;
  }

  private fail(reason: string): never {
    this.lostReason = reason;
    throw new LeaseLostError(
      `This run lost the deploy lock on ${this.resourceArn}: ${reason}. It stopped touching traffic.`,
    );
  }

  /** Renews when a third of the ttl has passed since the last renewal; throws once the lease is lost. */
  async keep(): Promise<void> {
    if (this.lostReason) this.fail(this.lostReason);
    if (this.baseClock.now() - this.renewedAt >= this.renewEveryMs) await this.check();
  }

  /** Reads the lock tags, proves the lease is still ours, and renews it when due. Before every traffic write. */
  async check(): Promise<void> {
    if (this.lostReason) this.fail(this.lostReason);
    const entries = await readLockEntries(this.elbv2, this.resourceArn);
    const now = this.baseClock.now();
    const mine = entries.find((entry) => entry.key === lockTagKey(this.holder));
    const other = entries.find(
      (entry) => entry.key !== mine?.key && entry.state === 'held' && entry.expiresAt > now,
    );
    if (other) this.fail(`${other.holder} holds it now`);
    if (!mine || mine.holder !== this.holder) this.fail('its tag was removed');
    if (this.expiresAt <= now) this.fail(`it expired at ${new Date(this.expiresAt).toISOString()}`);
    if (now - this.renewedAt >= this.renewEveryMs) {
      const expiresAt = now + this.ttlMs;
      await writeEntry(this.elbv2, this.resourceArn, { holder: this.holder, expiresAt, state: 'held' });
      this.expiresAt = expiresAt;
      this.renewedAt = now;
      this.log(`Renewed the deploy lock until ${new Date(expiresAt).toISOString()}`);
    }
  }

  /** A clock whose sleeps keep the lease: every wait of the run renews it in time. */
  clock(): Clock {
    const base = this.baseClock;
    return {
      now: () => base.now(),
      sleep: async (ms) => {
        const until = base.now() + ms;
        while (base.now() < until) {
          await base.sleep(Math.min(until - base.now(), this.renewEveryMs));
          await this.keep();
        }
      },
    };
  }

  async release(): Promise<boolean> {
    return releaseLease(this.elbv2, this.resourceArn, this.holder);
  }
}

/** Removes this run's lock tag if it is there; never anyone else's. */
export async function releaseLease(
  elbv2: ElasticLoadBalancingV2Client,
  resourceArn: string,
  holder: string,
): Promise<boolean> {
  const mine = (await readLockEntries(elbv2, resourceArn)).find(
    (entry) => entry.key === lockTagKey(holder) && entry.holder === holder,
  );
  if (!mine) return false;
  await removeEntries(elbv2, resourceArn, [mine.key]);
  return true;
}
