/**
 * The one move. Every change of production weights and of the outcome tags goes through runMove:
 * the deploy's shift, the rollback phase, force-from-split, the post step and the monitor's
 * rollback. Its contract:
 *
 * Before writing:
 *   1. The lease: the run's own (held since the start), one taken for this move and let go after,
 *      or, in a post step, this run's own as far as it can be read (another run's live lease
 *      leaves traffic to that run; unreadable tags do not stop a restore: the weights are the
 *      safety, the lock is advisory, and the result says `lockUnverified`).
 *   2. The split is read afresh; weights other than the caller last saw mean another hand moved
 *      traffic: TrafficChangedError, nothing written.
 *   3. The safe end is recorded (state for the post step, then a tag for a recovery job): during a
 *      promotion the colour that served before, during a rollback its target, each with the
 *      revision it must run.
 *   4. The destination runs the revision the mover expects: a promotion the release it verified
 *      onto the idle colour (anything else is refused); a rollback or a restore the revision last
 *      verified there, brought back first when the colour runs another (ReleaseRefusedError when
 *      that fails, or no verified revision is known: nothing moved).
 * Moving: each step is written, read back until it took, and judged; any error, a failed or an
 * inconclusive step sends all traffic to the safe end, retrying AWS errors up to restore-timeout.
 * After: the outcome and the releases now on each colour are recorded, the safe end cleared, and a
 * lease taken for the move is let go.
 *
 * On every exit traffic is all on one colour, except: LeaseLostError (another run owns traffic:
 * nothing more is touched, the safe end stays with the post step, which restores it unless another
 * run holds the lease then); TrafficSplitError (restore-timeout passed: it names the split and the
 * fix, and the post step tries again). OutcomeNotRecordedError means traffic is settled and verified
 * but the tags could not be written; the post step records them.
 */
import type { Clock } from '../clock.js';
import { ActionError, errorMessage } from '../errors.js';
import { otherColor, type Color } from '../traffic.js';
import { acquireLease, LeaseLostError, otherHolder, type Lease } from './lease.js';
import {
  clearTags,
  outcomeTags,
  SAFE_END_TAG,
  setTags,
  unverifiedTag,
  writeOutcomeTags,
  type ColorReleases,
  type RecordedOutcome,
} from './outcome.js';
import {
  describeWeights,
  readBlueGreen,
  readColors,
  type BlueGreenClients,
  type BlueGreenState,
  type BlueGreenTarget,
  type ColorsState,
} from './read.js';
import { ensureRelease, ReleaseRefusedError, shortRevision } from './release.js';
import { setWeights, TrafficChangedError, TrafficSplitError } from './weights.js';

export { TrafficChangedError, TrafficSplitError } from './weights.js';
export { ReleaseRefusedError } from './release.js';

/** Traffic is settled and verified, but the outcome tags could not be written (the post step retries). */
export class OutcomeNotRecordedError extends ActionError {
  constructor(
    message: string,
    readonly result: MoveResult,
  ) {
    super(message);
  }
}

/** Where traffic must end if the run dies now, and the revision that colour must run. */
export interface SafeEnd {
  color: Color;
  revision: string;
  /** In words, for the post step's log: "the cutover from blue to green". */
  why: string;
}

/** Tags an outcome needs, kept for the post step when they could not be written. */
export interface PendingTags {
  set: { Key: string; Value: string }[];
  remove: string[];
}

/** What the post step needs if the run dies: saved (GITHUB_STATE) each time it changes. */
export interface MoveProgress {
  safeEnd?: SafeEnd;
  pendingTags?: PendingTags;
}

export type LeaseSource =
  /** The run holds the lease already (the deploy, from before prepare to the end). */
  | { held: Lease }
  /** Taken for this move and let go after it (the monitor's rollback). */
  | { take: { ttlMs: number; waitMs: number; random?: () => number } }
  /** A post step: the run's own lease, maybe lost, maybe unreadable. */
  | { recover: true };

export interface Mover {
  clients: BlueGreenClients;
  target: BlueGreenTarget;
  holder: string;
  /** The runner's clock: paces waits and renewals; never compared with another runner's. */
  clock: Clock;
  log: (line: string) => void;
  /** Longest wait for a colour to become healthy when it is brought back or scaled up. */
  waitTimeoutMs: number;
  /** How long a restore retries AWS errors before it fails loudly naming the split. */
  restoreTimeoutMs: number;
  lease: LeaseSource;
  save?: (progress: MoveProgress) => void;
}

export interface StepJudgement {
  verdict: 'pass' | 'fail' | 'inconclusive';
  /** One line with its numbers. */
  reason: string;
}

export interface MovePlan {
  /** promote: step by step onto a verified-just-now release; rollback / restore: all at once to a safe colour. */
  kind: 'promote' | 'rollback' | 'restore';
  /** The colour that ends with all traffic when the move succeeds. */
  to: Color;
  /** The revision `to` must run. */
  release: string;
  /** Percent of traffic on `to` after each step (promote); rollback and restore go straight to 100. */
  steps?: number[];
  /** The weights the caller last saw. */
  expectWeights?: Record<Color, number>;
  /** The bake and gate after each step (promote); its clock keeps the lease through the bake. */
  judge?: (percent: number, clock: Clock) => Promise<StepJudgement>;
  /** The outcome recorded when the move succeeds (`promoted`, `rolled-back`, …); restore records none. */
  outcome?: string;
  /** When traffic first moved (promotions): the monitor's baseline ends there. */
  cutoverAt?: string;
  /** The move in words: "the cutover from blue to green". */
  why: string;
  /** Logged once the safe end is recorded: from this line on, a killed run ends on the safe end. */
  announce?: string;
}

export type MoveStatus =
  /** `to` serves 100 %. */
  | 'moved'
  /** A step failed or could not be judged: the safe end serves 100 %. */
  | 'restored'
  /** Already all on `to`, running the release: nothing written. */
  | 'unchanged'
  /** A post step found another run holding the lease: traffic left to it. */
  | 'left-to-other';

export interface MoveResult {
  status: MoveStatus;
  liveColor: Color;
  /** The colours as the move left them. */
  colors: ColorsState;
  /** The weights the move found. */
  weightsBefore: Record<Color, number>;
  /** Why traffic went to the safe end, or who holds the lease (left-to-other). */
  reason?: string;
  /** What sent traffic back: a failed gate, an inconclusive one, or an error. */
  restoredBecause?: 'fail' | 'inconclusive' | 'error';
  /** The lock could not be read or written on the way; the weights were verified all the same. */
  lockUnverified?: string;
  /** The release on `to` was brought back before traffic moved there. */
  broughtBack?: boolean;
}

/** One move under the lease; see the contract at the top of this file. */
export async function runMove(mover: Mover, plan: MovePlan): Promise<MoveResult> {
  const access = await leaseFor(mover);
  if ('leftTo' in access) return runMoveLeftToOther(mover, access.leftTo);
  try {
    return await moveUnderLease(mover, plan, access);
  } finally {
    if (access.release)
      await access
        .release()
        .catch((error: unknown) => mover.log(`Could not release the deploy lock: ${errorMessage(error)}`));
  }
}

interface LeaseAccess {
  /** Before each write of a step: proves the lease (a failure is a failure of the step). */
  guard: () => Promise<void>;
  /** Before each write of a restore: the lease if it can be read; an unreadable lock does not stop it. */
  restoreGuard: () => Promise<void>;
  /** A clock whose sleeps keep the lease. */
  clock: Clock;
  /** The same, for restores: a renewal that fails on an AWS error does not stop them. */
  restoreClock: Clock;
  release?: () => Promise<boolean>;
  unverified: string[];
}

async function runMoveLeftToOther(mover: Mover, holder: string): Promise<MoveResult> {
  const colors = await readColors(mover.clients, mover.target);
  return {
    status: 'left-to-other',
    liveColor: colors.live,
    colors,
    weightsBefore: colors.traffic.weights,
    reason: `${holder} holds the deploy lock now`,
  };
}

async function leaseFor(mover: Mover): Promise<LeaseAccess | { leftTo: string }> {
  const unverified: string[] = [];
  const unreadable = (error: unknown) => {
    const note = `the deploy lock could not be read or renewed (${errorMessage(error)}); the weights are the safety, so traffic moves all the same`;
    if (!unverified.includes(note)) {
      unverified.push(note);
      mover.log(`Lock unverified: ${note}`);
    }
  };
  const tolerant = (check: () => Promise<void>) => async () => {
    try {
      await check();
    } catch (error) {
      if (error instanceof ActionError) throw error;
      unreadable(error);
    }
  };
  if ('held' in mover.lease) {
    const lease = mover.lease.held;
    const check = () => lease.check();
    return {
      guard: check,
      restoreGuard: tolerant(check),
      clock: lease.clock(),
      restoreClock: lease.clock(unreadable),
      unverified,
    };
  }
  if ('take' in mover.lease) {
    const lease = await acquireLease(mover.clients.elbv2, mover.target.production.arn, {
      holder: mover.holder,
      ttlMs: mover.lease.take.ttlMs,
      waitMs: mover.lease.take.waitMs,
      random: mover.lease.take.random,
      clock: mover.clock,
      log: mover.log,
    });
    const check = () => lease.check();
    return {
      guard: check,
      restoreGuard: tolerant(check),
      clock: lease.clock(),
      restoreClock: lease.clock(unreadable),
      release: () => lease.release(),
      unverified,
    };
  }
  // A post step: retry reading the lock up to restore-timeout; another run's live lease wins.
  const noOtherHolder = async () => {
    const other = await otherHolder(
      mover.clients.elbv2,
      mover.target.production.arn,
      mover.holder,
      mover.clock,
    );
    if (other) throw new LeaseLostError(`${other.holder} holds the deploy lock now`);
  };
  const read = await retrying(mover, 'read the deploy lock', noOtherHolder).catch((error: unknown) => error);
  if (read instanceof LeaseLostError)
    return { leftTo: read.message.replace(/ holds the deploy lock now$/, '') };
  if (read instanceof Error) {
    const note = `the deploy lock could not be read for ${Math.round(mover.restoreTimeoutMs / 1000)} s (${read.message}); the weights are the safety, so the safe end is restored all the same`;
    unverified.push(note);
    mover.log(`Lock unverified: ${note}`);
  }
  return {
    guard: tolerant(noOtherHolder),
    restoreGuard: tolerant(noOtherHolder),
    clock: mover.clock,
    restoreClock: mover.clock,
    unverified,
  };
}

/** Retries an AWS call with backoff (1 s doubling to 15 s) until it works or restore-timeout passes. */
export async function retrying<T>(mover: Mover, what: string, work: () => Promise<T>): Promise<T> {
  const deadline = mover.clock.now() + mover.restoreTimeoutMs;
  let pauseMs = 1000;
  for (;;) {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ActionError) throw error;
      const remaining = deadline - mover.clock.now();
      if (remaining <= 0) throw error;
      mover.log(
        `Could not ${what} yet (${errorMessage(error)}); retrying in ${Math.round(Math.min(pauseMs, remaining) / 1000)} s`,
      );
      await mover.clock.sleep(Math.min(pauseMs, remaining));
      pauseMs = Math.min(15_000, pauseMs * 2);
    }
  }
}

async function moveUnderLease(mover: Mover, plan: MovePlan, access: LeaseAccess): Promise<MoveResult> {
  const { clients, target } = mover;
  const recovering = 'recover' in mover.lease;
  // A post step may find the tags unreadable: it moves on the colours alone.
  const before: ColorsState & Partial<BlueGreenState> = recovering
    ? await readBlueGreen(clients, target).catch(() => readColors(clients, target))
    : await readBlueGreen(clients, target);
  const weights = before.traffic.weights;
  if (
    plan.expectWeights &&
    (weights.blue !== plan.expectWeights.blue || weights.green !== plan.expectWeights.green)
  )
    throw new TrafficChangedError(
      `Traffic was moved by someone else: expected ${describeWeights(plan.expectWeights)}, found ${describeWeights(weights)}. This run stopped touching traffic.`,
    );
  const to = plan.to;
  const from = plan.kind === 'promote' ? otherColor(to) : before.live;
  const settledOnTo = !before.split && before.live === to;
  if (
    plan.kind !== 'promote' &&
    settledOnTo &&
    before.sides[to].taskDefinition === plan.release &&
    before.sides[to].runningCount > 0
  ) {
    if (before.safeEnd)
      await clearTags(clients.elbv2, target.production.arn, [SAFE_END_TAG]).catch(() => undefined);
    mover.save?.({});
    return {
      status: 'unchanged',
      liveColor: to,
      colors: before,
      weightsBefore: weights,
      lockUnverified: note(access),
    };
  }
  const safeEnd: SafeEnd =
    plan.kind === 'promote'
      ? { color: from, revision: before.sides[from].taskDefinition, why: plan.why }
      : { color: to, revision: plan.release, why: plan.why };
  await recordSafeEnd(mover, safeEnd, plan.kind === 'promote');
  if (plan.announce) mover.log(plan.announce);

  if (plan.kind !== 'promote') {
    const colors = await driveTo(mover, access, safeEnd).catch(async (error: unknown) => {
      if (error instanceof ReleaseRefusedError) await clearSafeEnd(mover);
      throw error;
    });
    const broughtBack = colors.sides[to].taskDefinition !== before.sides[to].taskDefinition;
    return settle(
      mover,
      plan.outcome
        ? outcomeOfRollback(mover, plan, before, colors)
        : releasesAfterRestore(before, to, broughtBack),
      {
        status: 'moved',
        liveColor: to,
        colors,
        weightsBefore: weights,
        broughtBack,
        lockUnverified: note(access),
      },
    );
  }

  try {
    await ensureRelease(clients, target, before, to, plan.release, {
      bringBack: false,
      guard: access.guard,
      clock: access.clock,
      log: mover.log,
      waitTimeoutMs: mover.waitTimeoutMs,
    });
  } catch (error) {
    if (error instanceof ReleaseRefusedError) await clearSafeEnd(mover);
    throw error;
  }
  let seen = weights;
  for (const percent of plan.steps ?? [100]) {
    let judgement: StepJudgement | { verdict: 'error'; reason: string };
    try {
      seen = (
        await setWeights(clients, target, to, percent, {
          clock: access.clock,
          log: mover.log,
          expect: seen,
          guard: access.guard,
        })
      ).traffic.weights;
      mover.log(`Traffic: ${percent} % on ${to}, ${100 - percent} % on ${from}`);
      judgement = plan.judge ? await plan.judge(percent, access.clock) : { verdict: 'pass', reason: '' };
    } catch (error) {
      if (error instanceof LeaseLostError || error instanceof TrafficChangedError) {
        if (error instanceof TrafficChangedError) await clearSafeEnd(mover);
        throw error;
      }
      judgement = { verdict: 'error', reason: `the ${percent} % step failed (${errorMessage(error)})` };
    }
    if (judgement.verdict !== 'pass') {
      mover.log(`${judgement.reason}. Putting all traffic back on ${from}.`);
      const colors = await driveTo(mover, access, safeEnd);
      return settle(mover, outcomeOfRestoredPromotion(mover, plan, before, judgement.verdict), {
        status: 'restored',
        liveColor: from,
        colors,
        weightsBefore: weights,
        reason: judgement.reason,
        restoredBecause: judgement.verdict,
        lockUnverified: note(access),
      });
    }
  }
  const colors = await readColors(clients, target);
  return settle(mover, outcomeOfPromotion(mover, plan, before), {
    status: 'moved',
    liveColor: to,
    colors,
    weightsBefore: weights,
    lockUnverified: note(access),
  });
}

function note(access: LeaseAccess): string | undefined {
  return access.unverified.length > 0 ? access.unverified.join('; ') : undefined;
}

/** The safe end in the post step's state first, then in a tag for a recovery job. */
async function recordSafeEnd(mover: Mover, safeEnd: SafeEnd, strict: boolean): Promise<void> {
  mover.save?.({ safeEnd });
  try {
    await setTags(mover.clients.elbv2, mover.target.production.arn, {
      [SAFE_END_TAG]: `${safeEnd.color} ${mover.holder}`,
    });
  } catch (error) {
    // Nothing moved yet: a promotion stops here; a rollback goes on (the post step knows the safe end).
    if (strict) {
      mover.save?.({});
      throw error;
    }
    mover.log(`Could not record the safe end in the tags (${errorMessage(error)}); going on`);
  }
}

async function clearSafeEnd(mover: Mover): Promise<void> {
  mover.save?.({});
  await clearTags(mover.clients.elbv2, mover.target.production.arn, [SAFE_END_TAG]).catch((error: unknown) =>
    mover.log(`Could not clear the safe end tag (${errorMessage(error)})`),
  );
}

/**
 * All traffic to the safe end, its release ensured first, retrying AWS errors with backoff for up to
 * restore-timeout. When it cannot, it fails loudly naming the split as last seen and the fix.
 */
async function driveTo(mover: Mover, access: LeaseAccess, safeEnd: SafeEnd): Promise<ColorsState> {
  const { clients, target } = mover;
  const deadline = mover.clock.now() + mover.restoreTimeoutMs;
  let pauseMs = 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      const colors = await readColors(clients, target);
      await ensureRelease(clients, target, colors, safeEnd.color, safeEnd.revision, {
        bringBack: true,
        guard: access.restoreGuard,
        clock: access.restoreClock,
        log: mover.log,
        waitTimeoutMs: mover.waitTimeoutMs,
      });
      return await setWeights(clients, target, safeEnd.color, 100, {
        clock: access.restoreClock,
        log: mover.log,
        guard: access.restoreGuard,
      });
    } catch (error) {
      if (
        error instanceof LeaseLostError ||
        (error instanceof ActionError && !(error instanceof TrafficSplitError))
      )
        throw error;
      const remaining = deadline - mover.clock.now();
      const message = errorMessage(error);
      if (remaining <= 0) {
        const seen = await readColors(clients, target).catch(() => undefined);
        const split = seen
          ? `traffic is split ${describeWeights(seen.traffic.weights)}`
          : 'traffic could not be read';
        const runs = seen
          ? ` between blue (${seen.sides.blue.taskDefinition}) and green (${seen.sides.green.taskDefinition})`
          : '';
        throw new TrafficSplitError(
          `Could not put all traffic on ${safeEnd.color} after ${attempt} attempts (${message}): ${split}${runs}. ` +
            `Run blue-green-deploy with phase: rollback and to-color: ${safeEnd.color} to finish it.`,
          seen?.traffic.weights,
        );
      }
      mover.log(
        `Could not put all traffic on ${safeEnd.color} yet (${message}); retrying in ${Math.round(Math.min(pauseMs, remaining) / 1000)} s`,
      );
      await mover.clock.sleep(Math.min(pauseMs, remaining));
      pauseMs = Math.min(15_000, pauseMs * 2);
    }
  }
}

/** Records the outcome (or only the releases), which clears the safe end; retried up to restore-timeout. */
async function settle(mover: Mover, tags: PendingTags, result: MoveResult): Promise<MoveResult> {
  try {
    await retrying(mover, 'record the outcome', () =>
      writeOutcomeTags(mover.clients.elbv2, mover.target.production.arn, tags),
    );
  } catch (error) {
    mover.save?.({ pendingTags: tags });
    throw new OutcomeNotRecordedError(
      `Traffic is settled and verified (all on ${result.liveColor}), but the outcome could not be recorded in the tags of ${mover.target.production.arn} (${errorMessage(error)}); the post step tries again`,
      result,
    );
  }
  mover.save?.({});
  return result;
}

/** Records outcome tags a run could not write (a post step). */
export async function recordPendingTags(mover: Mover, tags: PendingTags): Promise<void> {
  await retrying(mover, 'record the outcome', () =>
    writeOutcomeTags(mover.clients.elbv2, mover.target.production.arn, tags),
  );
}

const releasesOf = (state: Partial<BlueGreenState>): ColorReleases => ({
  verified: { ...state.releases?.verified },
  unverified: { ...state.releases?.unverified },
});

function outcomeOfPromotion(
  mover: Mover,
  plan: MovePlan,
  before: ColorsState & Partial<BlueGreenState>,
): PendingTags {
  const from = otherColor(plan.to);
  const releases = releasesOf(before);
  releases.verified[plan.to] = plan.release;
  releases.verified[from] ??= before.sides[from].taskDefinition;
  delete releases.unverified[plan.to];
  const outcome: RecordedOutcome = {
    liveColor: plan.to,
    previousColor: from,
    taskDefinition: plan.release,
    previousTaskDefinition: before.sides[from].taskDefinition,
    outcome: plan.outcome ?? 'promoted',
    run: mover.holder,
    cutoverAt: plan.cutoverAt,
  };
  return outcomeTags(outcome, releases, mover.clock.now());
}

function outcomeOfRestoredPromotion(
  mover: Mover,
  plan: MovePlan,
  before: ColorsState & Partial<BlueGreenState>,
  because: 'fail' | 'inconclusive' | 'error',
): PendingTags {
  const from = otherColor(plan.to);
  const releases = releasesOf(before);
  releases.verified[from] ??= before.sides[from].taskDefinition;
  // The release stays on the idle colour, unverified: it never passed its gates.
  releases.unverified[plan.to] = plan.release;
  const outcome: RecordedOutcome = {
    liveColor: from,
    previousColor: from,
    taskDefinition: before.sides[from].taskDefinition,
    previousTaskDefinition: before.sides[from].taskDefinition,
    rejectedTaskDefinition: because === 'fail' ? plan.release : undefined,
    outcome: because === 'fail' ? 'rolled-back' : because === 'inconclusive' ? 'inconclusive' : 'failed',
    run: mover.holder,
  };
  return outcomeTags(outcome, releases, mover.clock.now());
}

function outcomeOfRollback(
  mover: Mover,
  plan: MovePlan,
  before: ColorsState & Partial<BlueGreenState>,
  after: ColorsState,
): PendingTags {
  const from = before.live;
  const releases = releasesOf(before);
  releases.verified[plan.to] = plan.release;
  delete releases.unverified[plan.to];
  const taken = before.sides[from].taskDefinition;
  const rejected = from !== plan.to && taken !== plan.release ? taken : undefined;
  if (rejected) {
    // The release taken off customers is no longer trusted on its colour.
    delete releases.verified[from];
    releases.unverified[from] = rejected;
  }
  const outcome: RecordedOutcome = {
    liveColor: plan.to,
    previousColor: from,
    taskDefinition: after.sides[plan.to].taskDefinition,
    previousTaskDefinition: taken,
    rejectedTaskDefinition: rejected,
    outcome: plan.outcome!,
    run: mover.holder,
  };
  return outcomeTags(outcome, releases, mover.clock.now());
}

/** After a restore with no outcome of its own: only the safe end goes, and a brought-back colour is verified again. */
function releasesAfterRestore(
  before: ColorsState & Partial<BlueGreenState>,
  to: Color,
  broughtBack: boolean,
): PendingTags {
  return {
    set: [],
    remove: [SAFE_END_TAG, ...(broughtBack && before.releases?.unverified[to] ? [unverifiedTag(to)] : [])],
  };
}

/** A revision in a few words for messages: `svc-portal:3`. */
export const revisionName = shortRevision;
