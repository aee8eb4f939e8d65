/**
 * After a run stopped (cancelled, killed, failed) with traffic away from its safe end, or with an
 * outcome it could not record: the post step's whole job, through the one move.
 */
import { errorMessage } from '../errors.js';
import { describeWeights } from './read.js';
import { releaseLease } from './lease.js';
import {
  OutcomeNotRecordedError,
  recordPendingTags,
  retrying,
  runMove,
  type MoveResult,
  type Mover,
  type PendingTags,
  type SafeEnd,
} from './move.js';

export interface StoppedRun {
  safeEnd?: SafeEnd;
  pendingTags?: PendingTags;
  lockHeld: boolean;
}

export interface Recovery {
  /** What restoring the safe end did, when there was one. */
  restore?: MoveResult;
  /** Why traffic could not be put right: the job must fail loudly with it. */
  failure?: string;
  /** What could not be done with the lock and the tags (the weights were verified all the same). */
  lockUnverified: string[];
  /** Lines for the log, in order. */
  lines: string[];
}

export async function recoverStoppedRun(mover: Mover, stopped: StoppedRun): Promise<Recovery> {
  const recovery: Recovery = { lockUnverified: [], lines: [] };
  if (stopped.safeEnd) {
    const safeEnd = stopped.safeEnd;
    try {
      let untagged: string | undefined;
      const restore = await runMove(mover, {
        kind: 'restore',
        to: safeEnd.color,
        release: safeEnd.revision,
        why: safeEnd.why,
      }).catch((error: unknown) => {
        // Traffic is put right; only the tag that named the safe end stays.
        if (!(error instanceof OutcomeNotRecordedError)) throw error;
        untagged = `the safe-end tag could not be cleared (${error.message.replace(/^.*\((.*)\); the post step tries again$/, '$1')})`;
        return error.result;
      });
      recovery.restore = restore;
      const found = describeWeights(restore.weightsBefore);
      if (restore.status === 'left-to-other')
        recovery.lines.push(`Traffic (${found}) is left to ${restore.reason}`);
      else
        recovery.lines.push(
          `Found ${found}; all traffic is on ${safeEnd.color} (${restore.colors.sides[safeEnd.color].taskDefinition}), verified`,
        );
      const problems = [restore.lockUnverified, untagged].filter(Boolean).join('; ');
      if (problems)
        recovery.lockUnverified.push(
          `found ${found}, put all traffic on ${safeEnd.color} and read it back; ${problems}`,
        );
    } catch (error) {
      recovery.failure = `Traffic is not settled after the run stopped: ${errorMessage(error)}`;
    }
  }
  if (stopped.pendingTags) {
    try {
      await recordPendingTags(mover, stopped.pendingTags);
      recovery.lines.push('Recorded the outcome the run could not record');
    } catch (error) {
      recovery.lockUnverified.push(`the outcome could not be recorded in the tags (${errorMessage(error)})`);
    }
  }
  if (stopped.lockHeld) {
    try {
      const released = await retrying(mover, 'release the deploy lock', () =>
        releaseLease(mover.clients.elbv2, mover.target.production.arn, mover.holder),
      );
      if (released) recovery.lines.push('Released the deploy lock');
    } catch (error) {
      recovery.lockUnverified.push(
        `the deploy lock could not be released (${errorMessage(error)}); it expires by itself after lock-ttl`,
      );
    }
  }
  return recovery;
}
