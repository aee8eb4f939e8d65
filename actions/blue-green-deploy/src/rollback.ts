/**
 * The rollback phase: all traffic to an explicit target (a colour, a task definition) or, by default,
 * to where the last run says it belongs; never blindly to "the other colour".
 */
import { ReleaseRefusedError, runMove } from '../../../packages/shared/src/blue-green/move.js';
import { describeWeights, type BlueGreenState } from '../../../packages/shared/src/blue-green/read.js';
import { ActionError } from '../../../packages/shared/src/errors.js';
import { otherColor, type Color } from '../../../packages/shared/src/traffic.js';
import { mover, type DeployResult, type PhaseContext } from './phase.js';
import { failureOfMove } from './shift.js';

export interface RollbackRequest {
  toColor?: Color;
  toTaskDefinition?: string;
  force: boolean;
}

export interface RollbackTarget {
  color: Color;
  /** Why this colour, in words for the log and summary. */
  why: string;
  /** The revision the colour must run before customers go there. */
  release: string;
}

/** Which colour a rollback puts all traffic on; refuses a release that was rolled back before. */
export function chooseRollbackTarget(request: RollbackRequest, state: BlueGreenState): RollbackTarget {
  let target: Omit<RollbackTarget, 'release'>;
  if (request.toColor) target = { color: request.toColor, why: 'to-color' };
  else if (request.toTaskDefinition) {
    const color = (['blue', 'green'] as const).find(
      (candidate) => state.sides[candidate].taskDefinition === request.toTaskDefinition,
    );
    if (!color)
      throw new ActionError(
        `Neither colour runs ${request.toTaskDefinition} (blue runs ${state.sides.blue.taskDefinition}, green runs ${state.sides.green.taskDefinition}); ` +
          'deploy it with phase: all and task-definition-arn instead',
      );
    return { color, why: `it runs ${request.toTaskDefinition}`, release: request.toTaskDefinition };
  } else if (state.safeEnd) {
    target = {
      color: state.safeEnd.color,
      why: `run ${state.safeEnd.detail} stopped while moving traffic and named it the safe end`,
    };
  } else if (state.recorded) {
    target = {
      color: state.recorded.previousColor,
      why: `it was live before the last recorded run (${state.recorded.outcome}${state.recorded.updatedAt ? ` at ${state.recorded.updatedAt}` : ''})`,
    };
  } else {
    target = { color: state.idle, why: 'no outcome is recorded, and it is the idle colour' };
  }
  const release = state.sides[target.color].taskDefinition;
  const rejected = state.recorded?.outcome.startsWith('rolled-back')
    ? state.recorded.rejectedTaskDefinition
    : undefined;
  if (
    !request.force &&
    rejected &&
    release === rejected &&
    state.traffic.weights[otherColor(target.color)] > 0
  ) {
    throw new ActionError(
      `${target.color} runs ${release}, which was rolled back (${state.recorded!.outcome}${state.recorded!.updatedAt ? ` at ${state.recorded!.updatedAt}` : ''}); ` +
        'rolling back to it would put the bad release back on customers. Nothing was changed. ' +
        'Set force: true to do it anyway, or deploy a fixed release.',
    );
  }
  // Forced, or already serving everyone: what the colour runs now, whatever the tags say of it.
  if (request.force || (!state.split && state.live === target.color)) return { ...target, release };
  const verified = state.releases.verified[target.color];
  // A stopped run named this colour safe while it served customers: what it serves now is that release.
  if (!verified && state.safeEnd?.color === target.color && state.traffic.weights[target.color] > 0)
    return { ...target, release };
  if (!verified)
    throw new ReleaseRefusedError(
      `No release was ever verified on ${target.color} (it runs ${release || 'nothing'}${state.releases.unverified[target.color] ? ', put there unverified' : ''}): ` +
        'nothing was changed. Name the release with to-task-definition, or set force: true to move customers onto it anyway.',
    );
  return { ...target, release: verified };
}

export async function rollback(run: PhaseContext, state: BlueGreenState): Promise<DeployResult> {
  const { inputs } = run;
  if (inputs['if-unsettled'] && !state.safeEnd) {
    const note = state.split
      ? `traffic is split (${describeWeights(state.traffic.weights)}) but no run recorded where it must end: fix it with phase: rollback and to-color`
      : 'no run left traffic unsettled';
    run.log(`Nothing to recover: ${note}`);
    if (state.split) run.notices.push(`Nothing recovered: ${note}`);
    return {
      taskDefinitionArn: state.sides[state.live].taskDefinition,
      previousTaskDefinitionArn: state.sides[state.live].taskDefinition,
      previousColor: state.live,
      liveColor: state.live,
      outcome: 'unchanged',
      steps: [],
      notices: run.notices,
    };
  }
  let target: RollbackTarget;
  try {
    target = chooseRollbackTarget(
      { toColor: inputs['to-color'], toTaskDefinition: inputs['to-task-definition'], force: inputs.force },
      state,
    );
  } catch (error) {
    throw failureOfMove(error, {
      previousTaskDefinitionArn: state.sides[state.live].taskDefinition,
      previousColor: state.live,
      liveColor: state.live,
      steps: [],
      notices: run.notices,
    });
  }
  const to = target.color;
  const from = state.live;
  const base = {
    taskDefinitionArn: state.sides[to].taskDefinition,
    previousTaskDefinitionArn: state.sides[from].taskDefinition,
    previousColor: from,
    steps: [],
    notices: run.notices,
  };
  // A colour scaled to zero after the last watch (cleanup) starts its tasks again first: said, timed.
  const scaledDown = state.sides[to].desiredCount === 0;
  const began = run.baseClock.now();
  let moved;
  try {
    moved = await runMove(mover(run), {
      kind: 'rollback',
      to,
      release: target.release,
      outcome: 'rolled-back',
      why: `the rollback to ${to}`,
      announce:
        `Rolling back to ${to} (${target.why}): traffic is ${describeWeights(state.traffic.weights)}, ${to} runs ${state.sides[to].taskDefinition}` +
        (target.release !== state.sides[to].taskDefinition
          ? `; ${target.release} was last verified there`
          : ''),
    });
  } catch (error) {
    throw failureOfMove(error, base);
  }
  if (moved.lockUnverified) run.notices.push(`Lock unverified: ${moved.lockUnverified}`);
  if (moved.status === 'unchanged') {
    run.log(`${to} already serves all traffic (${state.sides[to].taskDefinition}): nothing to roll back`);
    return { ...base, outcome: 'unchanged', liveColor: to };
  }
  run.log(`Rolled back: ${to} serves 100 % (${target.release})`);
  if (scaledDown)
    run.notices.push(
      `${to} had been scaled to zero after the last release's watch (cleanup): its tasks were started and passed their health checks before customers moved, so this rollback took ${Math.round((run.baseClock.now() - began) / 1000)} s instead of seconds`,
    );
  return { ...base, taskDefinitionArn: target.release, outcome: 'rolled-back', liveColor: to };
}
