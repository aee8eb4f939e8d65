/** The deploy lock: a tag on the production rule or listener naming the holder and an expiry. */
import {
  AddTagsCommand,
  DescribeTagsCommand,
  RemoveTagsCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Clock } from '../../../packages/shared/src/clock.js';
import { ActionError } from '../../../packages/shared/src/errors.js';
import { formatDuration } from '../../../packages/shared/src/duration.js';

export const LOCK_TAG = 'mpac:deploy-lock';

export interface Lock {
  holder: string;
  expiresAt: number;
}

/** ELB tag values allow letters, digits, spaces and `_ . : / = + - @`: the value is `<holder> <ISO expiry>`. */
export function formatLock(lock: Lock): string {
  return `${lock.holder} ${new Date(lock.expiresAt).toISOString()}`;
}

export function parseLock(value: string | undefined): Lock | undefined {
  if (!value) return undefined;
  const space = value.lastIndexOf(' ');
  const expiresAt = Date.parse(value.slice(space + 1));
  if (space <= 0 || Number.isNaN(expiresAt)) return undefined;
  return { holder: value.slice(0, space), expiresAt };
}

/** Who this run is, in characters ELB tags accept. */
export function lockHolder(env: NodeJS.ProcessEnv): string {
  const run = env.GITHUB_RUN_ID
    ? `run-${env.GITHUB_RUN_ID}-${env.GITHUB_RUN_ATTEMPT ?? '1'}`
    : `local-${process.pid}`;
  const repository = env.GITHUB_REPOSITORY ? `@${env.GITHUB_REPOSITORY}` : '';
  return `${run}${repository}`.replace(/[^\w.:/=+@-]/g, '-').slice(0, 200);
}

async function readLock(elbv2: ElasticLoadBalancingV2Client, resourceArn: string): Promise<Lock | undefined> {
  const tags =
    (await elbv2.send(new DescribeTagsCommand({ ResourceArns: [resourceArn] }))).TagDescriptions?.[0]?.Tags ??
    [];
  return parseLock(tags.find((tag) => tag.Key === LOCK_TAG)?.Value);
}

export interface AcquireOptions {
  holder: string;
  ttlMs: number;
  waitMs: number;
  clock: Clock;
  log: (line: string) => void;
}

/**
 * Takes the lock: free, expired, or already ours. Held by another run: waits up to `waitMs`, then
 * fails naming the holder. The tag is read back after writing, so of two runs racing only one wins.
 */
export async function acquireLock(
  elbv2: ElasticLoadBalancingV2Client,
  resourceArn: string,
  options: AcquireOptions,
): Promise<void> {
  const deadline = options.clock.now() + options.waitMs;
  for (;;) {
    const current = await readLock(elbv2, resourceArn);
    const now = options.clock.now();
    if (!current || current.holder === options.holder || current.expiresAt <= now) {
      if (current && current.holder !== options.holder)
        options.log(`Taking over an expired deploy lock held by ${current.holder}`);
      const lock = { holder: options.holder, expiresAt: now + options.ttlMs };
      await elbv2.send(
        new AddTagsCommand({
          ResourceArns: [resourceArn],
          Tags: [{ Key: LOCK_TAG, Value: formatLock(lock) }],
        }),
      );
      const readBack = await readLock(elbv2, resourceArn);
      if (readBack?.holder === options.holder) return;
      continue;
    }
    if (now >= deadline) {
      throw new ActionError(
        `Another deploy holds the lock on ${resourceArn}: ${current.holder}, until ${new Date(current.expiresAt).toISOString()}. ` +
          `Wait for it to finish, or set lock-wait to queue behind it.`,
      );
    }
    options.log(
      `Deploy lock held by ${current.holder}; waiting (up to ${formatDuration(deadline - now)} more)`,
    );
    await options.clock.sleep(Math.min(5000, deadline - now));
  }
}

/** Releases the lock if this run holds it; never takes someone else's. */
export async function releaseLock(
  elbv2: ElasticLoadBalancingV2Client,
  resourceArn: string,
  holder: string,
): Promise<boolean> {
  const current = await readLock(elbv2, resourceArn);
  if (current?.holder !== holder) return false;
  await elbv2.send(new RemoveTagsCommand({ ResourceArns: [resourceArn], TagKeys: [LOCK_TAG] }));
  return true;
}
