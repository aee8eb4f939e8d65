/**
 * The rollback phase: all traffic to an explicit target (a colour, a task definition) or, by default,
 * to where the last run says it belongs; never blindly to "the other colour".
 */
import { rollBackTo, TrafficSplitError } from '../../../packages/shared/src/blue-green/move.js';
import { clearTags, recordOutcome, SAFE_END_TAG } from '../../../packages/shared/src/blue-green/outcome.js';
import { describeWeights, type BlueGreenState } from '../../../packages/shared/src/blue-green/read.js';
import { ActionError } from '../../../packages/shared/src/errors.js';
import { otherColor, type Color } from '../../../packages/shared/src/traffic.js';
import {
  DeployFailure,
  markSafeEnd,
  markSettled,
  moveOptions,
  type DeployResult,
  type PhaseContext,
} from './phase.js';

export interface RollbackRequest {
  toColor?: Color;
  toTaskDefinition?: string;
  force: boolean;
}

export interface RollbackTarget {
  color: Color;
  /** Why this colour, in words for the log and summary. */
  why: string;
}

/** Which colour a rollback puts all traffic on; refuses a release that was rolled back before. */
export function chooseRollbackTarget(request: RollbackRequest, state: BlueGreenState): RollbackTarget {
  let target: RollbackTarget;
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
    target = { color, why: `it runs ${request.toTaskDefinition}` };
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
  return target;
}

export async function rollback(run: PhaseContext, state: BlueGreenState): Promise<DeployResult> {
  const { inputs, clients } = run;
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
  const target = chooseRollbackTarget(
    { toColor: inputs['to-color'], toTaskDefinition: inputs['to-task-definition'], force: inputs.force },
    state,
  );
  const to = target.color;
  const from = state.live;
  const base = {
    taskDefinitionArn: state.sides[to].taskDefinition,
    previousTaskDefinitionArn: state.sides[from].taskDefinition,
    previousColor: from,
    steps: [],
    notices: run.notices,
  };
  if (!state.split && state.live === to) {
    if (state.safeEnd) await clearTags(clients.elbv2, run.target.production.arn, [SAFE_END_TAG]);
    run.log(`${to} already serves all traffic (${state.sides[to].taskDefinition}): nothing to roll back`);
    return { ...base, outcome: 'unchanged', liveColor: to };
  }
  // The safe end first: from the moment the rollback is under way, a cancelled run ends on `to`.
  await markSafeEnd(run, to, `the rollback to ${to}`);
  run.log(
    `Rolling back to ${to} (${target.why}): traffic is ${describeWeights(state.traffic.weights)}, ${to} runs ${state.sides[to].taskDefinition}`,
  );
  try {
    await rollBackTo(clients, run.target, to, { ...moveOptions(run), retryForMs: inputs['restore-timeout'] });
  } catch (error) {
    if (error instanceof TrafficSplitError)
      throw new DeployFailure(error.message, { ...base, outcome: 'traffic-split', liveColor: from });
    throw error;
  }
  const rejected = state.sides[otherColor(to)].taskDefinition;
  await recordOutcome(
    clients.elbv2,
    run.target.production.arn,
    {
      liveColor: to,
      previousColor: from,
      taskDefinition: state.sides[to].taskDefinition,
      previousTaskDefinition: state.sides[from].taskDefinition,
      rejectedTaskDefinition: rejected !== state.sides[to].taskDefinition ? rejected : undefined,
      outcome: 'rolled-back',
      run: run.holder,
    },
    run.clock.now(),
  );
  await markSettled(run, { clearTag: false });
  run.log(`Rolled back: ${to} serves 100 % (${state.sides[to].taskDefinition})`);
  return { ...base, outcome: 'rolled-back', liveColor: to };
}
