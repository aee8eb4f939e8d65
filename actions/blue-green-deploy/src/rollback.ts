/**
 * The rollback phase: all traffic to an explicit target (a colour, a task definition, an image) or,
 * by default, to where the last run says it belongs; never blindly to "the other colour". An earlier
 * release neither colour runs any more is started on the idle colour and health-checked first.
 */
import { ListTaskDefinitionsCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { ReleaseRefusedError, runMove } from '../../../packages/shared/src/blue-green/move.js';
import { describeWeights, type BlueGreenState } from '../../../packages/shared/src/blue-green/read.js';
import { ActionError } from '../../../packages/shared/src/errors.js';
import { shortRevision } from '../../../packages/shared/src/blue-green/release.js';
import { otherColor, type Color } from '../../../packages/shared/src/traffic.js';
import { findTaskDefinition } from './ecs-ops.js';
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

/** How many of the family's newest revisions `to-image` looks through. */
export const REVISIONS_SEARCHED = 100;

/** The family of a task definition ARN (`…:task-definition/svc-portal:7` → `svc-portal`). */
export function familyOf(arn: string): string {
  return shortRevision(arn).replace(/:\d+$/, '');
}

/** Whether a container's image is the one asked for: the same reference, or the same digest. */
export function imageMatches(wanted: string, image: string): boolean {
  if (wanted === image) return true;
  const digest = wanted.startsWith('sha256:') ? wanted : wanted.split('@')[1];
  return digest !== undefined && image.endsWith(`@${digest}`);
}

/**
 * The revision a rollback to an earlier release goes to: `to-task-definition` checked (ACTIVE, the
 * service's family), or the newest ACTIVE revision of the family whose container runs `to-image`.
 * Only reads: a release that cannot be found or started is refused before anything changes.
 */
export async function resolveEarlierRelease(
  ecs: ECSClient,
  request: { toTaskDefinition?: string; toImage?: string; containerName?: string },
  state: BlueGreenState,
): Promise<string | undefined> {
  const family = familyOf(state.sides[state.live].taskDefinition);
  const onAColour = (arn: string) =>
    state.sides.blue.taskDefinition === arn || state.sides.green.taskDefinition === arn;
  if (request.toTaskDefinition) {
    if (onAColour(request.toTaskDefinition)) return request.toTaskDefinition;
    const definition = (await findTaskDefinition(ecs, request.toTaskDefinition))?.taskDefinition;
    if (!definition)
      throw new ActionError(
        `to-task-definition ${request.toTaskDefinition} does not exist: nothing was changed. Name a revision of ${family}`,
      );
    if (definition.family !== family)
      throw new ActionError(
        `to-task-definition ${request.toTaskDefinition} is of family ${definition.family}, not ${family}, the family the service runs: nothing was changed`,
      );
    if (definition.status !== 'ACTIVE')
      throw new ActionError(
        `to-task-definition ${request.toTaskDefinition} was deregistered (${definition.status}), and ECS starts no task of an inactive revision: nothing was changed. Deploy its image with phase: all instead`,
      );
    return request.toTaskDefinition;
  }
  if (!request.toImage) return undefined;
  const found = await findRevisionRunning(ecs, family, request.toImage, request.containerName);
  if (!found)
    throw new ActionError(
      `No ACTIVE revision among the newest ${REVISIONS_SEARCHED} of ${family} runs ${request.toImage}${request.containerName ? ` in container ${request.containerName}` : ''}: nothing was changed. ` +
        'Give the image exactly as it was deployed (its tag or its digest), or name the release with to-task-definition',
    );
  return found;
}

async function findRevisionRunning(
  ecs: ECSClient,
  family: string,
  image: string,
  containerName: string | undefined,
): Promise<string | undefined> {
  let nextToken: string | undefined;
  let searched = 0;
  do {
    const page = await ecs.send(
      new ListTaskDefinitionsCommand({ familyPrefix: family, status: 'ACTIVE', sort: 'DESC', nextToken }),
    );
    for (const arn of page.taskDefinitionArns ?? []) {
      if (searched++ >= REVISIONS_SEARCHED) return undefined;
      const taskDefinition = (await findTaskDefinition(ecs, arn))?.taskDefinition;
      const runs = (taskDefinition?.containerDefinitions ?? []).some(
        (container) =>
          (!containerName || container.name === containerName) && imageMatches(image, container.image ?? ''),
      );
      if (runs) return arn;
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return undefined;
}

/** Which colour a rollback puts all traffic on; refuses a release that was rolled back before. */
export function chooseRollbackTarget(request: RollbackRequest, state: BlueGreenState): RollbackTarget {
  let target: Omit<RollbackTarget, 'release'>;
  if (request.toColor) target = { color: request.toColor, why: 'to-color' };
  else if (request.toTaskDefinition) {
    const color = (['blue', 'green'] as const).find(
      (candidate) => state.sides[candidate].taskDefinition === request.toTaskDefinition,
    );
    if (!color) return earlierReleaseTarget(request.toTaskDefinition, request.force, state);
    return { color, why: `it runs ${request.toTaskDefinition}`, release: request.toTaskDefinition };
  } else if (state.safeEnd) {
    target = {
      color: state.safeEnd.color,
      why: `run ${state.safeEnd.detail} stopped while moving traffic and named it the safe end`,
    };
  } else if (state.recorded) {
    target = {
      color: state.recorded.previousColor,
      why: `it was live before the last recorded run (${describeRecorded(state)})`,
    };
  } else {
    target = { color: state.idle, why: 'no outcome is recorded, and it is the idle colour' };
  }
  const release = state.sides[target.color].taskDefinition;
  if (
    !request.force &&
    rejectedRelease(state) === release &&
    state.traffic.weights[otherColor(target.color)] > 0
  )
    throw new ActionError(
      `${target.color} runs ${release}, which was rolled back (${describeRecorded(state)}); ` +
        'rolling back to it would put the bad release back on customers. Nothing was changed. ' +
        'Set force: true to do it anyway, or deploy a fixed release.',
    );
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

/** The release a rollback took off last, if the last recorded outcome is a rollback. */
function rejectedRelease(state: BlueGreenState): string | undefined {
  return state.recorded?.outcome.startsWith('rolled-back')
    ? state.recorded.rejectedTaskDefinition
    : undefined;
}

function describeRecorded(state: BlueGreenState): string {
  return `${state.recorded!.outcome}${state.recorded!.updatedAt ? ` at ${state.recorded!.updatedAt}` : ''}`;
}

/**
 * An earlier release neither colour runs: it goes onto the idle colour (started and health-checked
 * there by the move before customers arrive), so traffic must be settled on the live colour first.
 */
function earlierReleaseTarget(release: string, force: boolean, state: BlueGreenState): RollbackTarget {
  if (state.split)
    throw new ActionError(
      `Neither colour runs ${release}, and traffic is split (${describeWeights(state.traffic.weights)}): there is no idle colour to start it on. ` +
        'Nothing was changed. Settle traffic first (phase: rollback with to-color), then roll back to the earlier release',
    );
  if (!force && rejectedRelease(state) === release)
    throw new ActionError(
      `${release} was rolled back (${describeRecorded(state)}); rolling back to it would put the bad release back on customers. Nothing was changed. Set force: true to do it anyway.`,
    );
  return {
    color: state.idle,
    why: `${shortRevision(release)} is an earlier release; neither colour runs it, so ${state.idle} (idle) starts it first`,
    release,
  };
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
    const toTaskDefinition = await resolveEarlierRelease(
      run.clients.ecs,
      {
        toTaskDefinition: inputs['to-task-definition'],
        toImage: inputs['to-image'],
        containerName: inputs['container-name'],
      },
      state,
    );
    if (inputs['to-image']) run.log(`${inputs['to-image']} is ${toTaskDefinition}`);
    target = chooseRollbackTarget(
      { toColor: inputs['to-color'], toTaskDefinition, force: inputs.force },
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
