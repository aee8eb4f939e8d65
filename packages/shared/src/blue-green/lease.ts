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
import { awsTimeOf, type AwsTime } from './aws-time.js';

export const LOCK_TAG_PREFIX = 'mpac:lock:';
/** Attempts to settle a tie between candidates before giving up (each after a random pause). */
const MAX_CONTENDED_ATTEMPTS = 12;

export type LockState = 'candidate' | 'held';

export interface LockEntry {
  key: string;
  holder: string;
  /** On AWS's clock (see aws-time.ts). */
  expiresAt: number;
  state: LockState;
  /** The holder's ttl, when its tag says it: a lease unchanged for longer than this is dead. */
  ttlMs?: number;
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
  const ttl = entry.ttlMs === undefined ? '' : ` ttl=${Math.round(entry.ttlMs / 1000)}`;
  return `${entry.holder} ${new Date(entry.expiresAt).toISOString()} ${entry.state}${ttl}`;
}

export function parseLockEntry(key: string, value: string | undefined): LockEntry | undefined {
  if (!key.startsWith(LOCK_TAG_PREFIX) || !value) return undefined;
  const parts = value.split(' ');
  const ttl = /^ttl=(\d+)$/.exec(parts.at(-1) ?? '');
  if (ttl) parts.pop();
  if (parts.length < 3) return undefined;
  const state = parts.pop();
  const expiresAt = Date.parse(parts.pop()!);
  const holder = parts.join(' ');
  if ((state !== 'candidate' && state !== 'held') || Number.isNaN(expiresAt) || !holder) return undefined;
  return { key, holder, expiresAt, state, ...(ttl ? { ttlMs: Number(ttl[1]) * 1000 } : {}) };
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

/** How far past its expiry a lease must be on AWS's clock before it counts as expired (Date has whole seconds). */
export const EXPIRY_MARGIN_MS = 2000;

/**
 * Judges other runs' leases without trusting any runner's wall clock: a lease is expired when AWS's
 * clock (the Date of ELB's answers) is past its expiry, or when this reader has seen the same tag
 * value, never renewed, for longer than the holder's ttl on its own monotonic clock.
 */
export class LeaseObserver {
  private readonly firstSeen = new Map<string, { value: string; at: number }>();

  constructor(
    private readonly time: AwsTime,
    private readonly clock: Clock,
  ) {}

  /** AWS's time now, as far as this run can tell. */
  awsNow(): number {
    return this.time.now(this.clock.now());
  }

  /** Remembers when each entry's value was first seen; call after every read. */
  saw(entries: LockEntry[]): void {
    const now = this.clock.now();
    for (const entry of entries) {
      const value = formatLockValue(entry);
      if (this.firstSeen.get(entry.key)?.value !== value) this.firstSeen.set(entry.key, { value, at: now });
    }
  }

  expired(entry: LockEntry): boolean {
    if (this.awsNow() > entry.expiresAt + EXPIRY_MARGIN_MS) return true;
    const seen = this.firstSeen.get(entry.key);
    return (
      entry.ttlMs !== undefined &&
      seen !== undefined &&
      seen.value === formatLockValue(entry) &&
      this.clock.now() - seen.at > entry.ttlMs + EXPIRY_MARGIN_MS
    );
  }
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
  /**
   * Runs before this run removes another run's expired lease, and throws when the run would refuse
   * anyway: a run that is going to refuse never removes another run's lock.
   */
  beforeTakeOver?: (expired: LockEntry[]) => Promise<void>;
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
 * run: waits up to `waitMs`, then fails naming the holder. Expiry is judged on AWS's clock.
 */
export async function acquireLease(
  elbv2: ElasticLoadBalancingV2Client,
  resourceArn: string,
  options: AcquireOptions,
): Promise<Lease> {
  const { clock, holder } = options;
  const random = options.random ?? Math.random;
  const myKey = lockTagKey(holder);
  const observer = new LeaseObserver(awsTimeOf(elbv2), clock);
  const deadline = clock.now() + options.waitMs;
  let contended = 0;
  for (;;) {
    const entries = await readLockEntries(elbv2, resourceArn);
    observer.saw(entries);
    const expired = entries.filter((entry) => entry.key !== myKey && observer.expired(entry));
    const holderNow = entries.find(
      (entry) => entry.key !== myKey && !observer.expired(entry) && entry.state === 'held',
    );
    if (holderNow) {
      const now = clock.now();
      if (now >= deadline) throw new ActionError(heldMessage(resourceArn, holderNow));
      options.log(
        `Deploy lock held by ${holderNow.holder}; waiting (up to ${formatDuration(Math.ceil((deadline - now) / 1000) * 1000)} more)`,
      );
      await clock.sleep(Math.min(5000, deadline - now));
      continue;
    }
    if (expired.length > 0) {
      await options.beforeTakeOver?.(expired);
      for (const entry of expired) options.log(`Taking over an expired deploy lock held by ${entry.holder}`);
      await removeEntries(
        elbv2,
        resourceArn,
        expired.map((entry) => entry.key),
      );
    }
    const expiresAt = observer.awsNow() + options.ttlMs;
    await writeEntry(elbv2, resourceArn, { holder, expiresAt, state: 'candidate', ttlMs: options.ttlMs });
    const afterWrite = await readLockEntries(elbv2, resourceArn);
    observer.saw(afterWrite);
    const rival = afterWrite.find((entry) => entry.key !== myKey && !observer.expired(entry));
    if (!rival) {
      await writeEntry(elbv2, resourceArn, { holder, expiresAt, state: 'held', ttlMs: options.ttlMs });
      return new Lease(elbv2, resourceArn, holder, options.ttlMs, clock, options.log, observer, expiresAt);
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
  /** When this run last renewed, on its own clock (renewals are paced locally). */
  private renewedAt: number;

  constructor(
    private readonly elbv2: ElasticLoadBalancingV2Client,
    readonly resourceArn: string,
    readonly holder: string,
    private readonly ttlMs: number,
    private readonly baseClock: Clock,
    private readonly log: (line: string) => void,
    private readonly observer: LeaseObserver,
    /** On AWS's clock. */
    public expiresAt: number,
  ) {
    this.renewEveryMs = Math.max(1000, Math.floor(ttlMs / 3));
    this.renewedAt = baseClock.now();
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
    this.observer.saw(entries);
    const mine = entries.find((entry) => entry.key === lockTagKey(this.holder));
    const other = entries.find(
      (entry) => entry.key !== mine?.key && entry.state === 'held' && !this.observer.expired(entry),
    );
    if (other) this.fail(`${other.holder} holds it now`);
    if (!mine || mine.holder !== this.holder) this.fail('its tag was removed');
    if (this.observer.awsNow() > this.expiresAt)
      this.fail(`it expired at ${new Date(this.expiresAt).toISOString()}`);
    const now = this.baseClock.now();
    if (now - this.renewedAt >= this.renewEveryMs) {
      const expiresAt = this.observer.awsNow() + this.ttlMs;
      await writeEntry(this.elbv2, this.resourceArn, {
        holder: this.holder,
        expiresAt,
        state: 'held',
        ttlMs: this.ttlMs,
      });
      this.expiresAt = expiresAt;
      this.renewedAt = now;
      this.log(`Renewed the deploy lock until ${new Date(expiresAt).toISOString()}`);
    }
  }

  /**
   * A clock whose sleeps keep the lease: every wait of the run renews it in time. With `tolerate`,
   * a renewal that fails on an AWS error is reported to it instead of ending the wait (a restore
   * goes on while the tags cannot be written); a lost lease always ends it.
   */
  clock(tolerate?: (error: unknown) => void): Clock {
    const base = this.baseClock;
    return {
      now: () => base.now(),
      sleep: async (ms) => {
        const until = base.now() + ms;
        while (base.now() < until) {
          await base.sleep(Math.min(until - base.now(), this.renewEveryMs));
          try {
            await this.keep();
          } catch (error) {
            if (!tolerate || error instanceof ActionError) throw error;
            tolerate(error);
          }
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

/** Another run's live lease on the resource, judged on AWS's clock; undefined when none. */
export async function otherHolder(
  elbv2: ElasticLoadBalancingV2Client,
  resourceArn: string,
  holder: string,
  clock: Clock,
): Promise<LockEntry | undefined> {
  const observer = new LeaseObserver(awsTimeOf(elbv2), clock);
  const entries = await readLockEntries(elbv2, resourceArn);
  return entries.find(
    (entry) => entry.holder !== holder && entry.state === 'held' && !observer.expired(entry),
  );
}
