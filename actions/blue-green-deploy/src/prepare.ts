/**
 * The prepare phase: the new release on the idle colour, healthy, with the test listener pointing at
 * it; production traffic untouched.
 */
import { runMove } from '../../../packages/shared/src/blue-green/move.js';
import { markPrepared, markUnverified } from '../../../packages/shared/src/blue-green/outcome.js';
import { pointTestListener } from '../../../packages/shared/src/blue-green/weights.js';
import {
  describeWeights,
  readBlueGreen,
  type BlueGreenState,
} from '../../../packages/shared/src/blue-green/read.js';
import {
  DeploymentNotHealthyError,
  updateService,
  waitForHealthyService,
} from '../../../packages/shared/src/ecs.js';
import { ActionError, InputError } from '../../../packages/shared/src/errors.js';
import type { Color } from '../../../packages/shared/src/traffic.js';
import {
  describeLatestRevision,
  describeTaskDefinition,
  registerOnce,
  runMigration,
  splitCommand,
} from './ecs-ops.js';
import type { Inputs } from './inputs.js';
import { DeployFailure, mover, type DeployContext, type PhaseContext } from './phase.js';
import { failureOfMove } from './shift.js';
import { parseTaskDefinitionText, renderTaskDefinition, sameTaskDefinition } from './task-definition.js';

export interface ResolvedTaskDefinition {
  /** An existing revision to deploy as is. */
  arn?: string;
  /** A rendered definition to register (unless equal to the family's latest). */
  definition?: Record<string, unknown>;
  /** What rendering did that a person should know (dropped fields). */
  notices: string[];
}

/**
 * The release to deploy, resolved before the lock is taken: a file is read, parsed and rendered with
 * no AWS call at all, so its mistakes (and a wrong container-name) fail first; a family or an ARN is
 * read, never written.
 */
export async function resolveTaskDefinition(context: DeployContext): Promise<ResolvedTaskDefinition> {
  const { inputs, clients } = context;
  const source = inputs.taskDefinition!;
  if (source.kind === 'arn') {
    await describeTaskDefinition(clients.ecs, source.arn).catch((error: Error) => {
      throw new InputError(
        'task-definition-arn',
        `names ${source.arn}, which ECS cannot describe (${error.message})`,
        'arn:aws:ecs:eu-west-1:123456789012:task-definition/svc-portal:42',
      );
    });
    return { arn: source.arn, notices: [] };
  }
  if (source.kind === 'file') return renderFileTaskDefinition(inputs, context.readFile);
  const latest = await describeLatestRevision(clients.ecs, source.family);
  if (!latest)
    throw new InputError(
      'task-definition-family',
      `names ${source.family}, which has no ACTIVE revision`,
      'svc-portal',
    );
  return renderWithInputs(latest.definition, inputs);
}

/**
 * The task definition file rendered with the inputs (image, environment, secrets, labels, log
 * options): pure, so a bad file or container name fails before any AWS call.
 */
export function renderFileTaskDefinition(
  inputs: Inputs,
  readFile: (path: string) => string,
): ResolvedTaskDefinition {
  const source = inputs.taskDefinition;
  if (source?.kind !== 'file') throw new Error('renderFileTaskDefinition needs a task-definition file');
  let text: string;
  try {
    text = readFile(source.path);
  } catch {
    throw new InputError(
      'task-definition',
      `points to ${source.path}, which cannot be read`,
      'deploy/task-definition.json',
    );
  }
  return renderWithInputs(parseTaskDefinitionText(text, source.path), inputs);
}

export function renderWithInputs(template: Record<string, unknown>, inputs: Inputs): ResolvedTaskDefinition {
  const rendered = renderTaskDefinition(template, {
    containerName: inputs['container-name'],
    image: inputs.image,
    environment: inputs['environment-variables'],
    secrets: inputs.secrets,
    dockerLabels: inputs['docker-labels'],
    logOptions: inputs['log-configuration-options'],
  });
  if (!rendered.definition.family)
    throw new InputError('task-definition', 'has no family', 'deploy/task-definition.json');
  return { definition: rendered.definition, notices: rendered.notices };
}

/** The revision to deploy: the given ARN, the family's latest when equal, or one registered once. */
export async function revisionFor(
  run: Pick<PhaseContext, 'clients' | 'lease' | 'holder' | 'clock' | 'log' | 'notices'>,
  resolved: ResolvedTaskDefinition,
): Promise<string> {
  if (resolved.arn) return resolved.arn;
  const definition = resolved.definition!;
  const latest = await describeLatestRevision(run.clients.ecs, String(definition.family));
  const latestArn = String(latest?.definition.taskDefinitionArn ?? '');
  if (latest?.tags.get('mpac:run') === run.holder) {
    run.notices.push(`${latestArn} was registered by this run before; it is used again`);
    return latestArn;
  }
  if (latest && sameTaskDefinition(latest.definition, definition)) {
    run.notices.push(`The rendered task definition equals ${latestArn}; no new revision was registered`);
    return latestArn;
  }
  await run.lease.check();
  const arn = await registerOnce(run.clients.ecs, run.clients.ecsSingleAttempt, definition, {
    run: run.holder,
    clock: run.clock,
    log: run.log,
  });
  run.log(`Registered ${arn}`);
  return arn;
}

/**
 * A split left behind (neither colour at 100 %) is refused: deploying onto it would update a colour
 * that serves customers. With force-from-split, all traffic first goes to the colour with more.
 */
export async function leaveSplit(run: PhaseContext, state: BlueGreenState): Promise<BlueGreenState> {
  if (!state.split) return state;
  refuseSplit(run.inputs, state);
  const weights = describeWeights(state.traffic.weights);
  run.notices.push(`Traffic was split (${weights}); all of it went back to ${state.live} before the deploy`);
  await runMove(mover(run), {
    kind: 'restore',
    to: state.live,
    release: state.sides[state.live].taskDefinition,
    why: `force-from-split to ${state.live}`,
  }).catch((error: unknown) => {
    throw failureOfMove(error, { steps: [], notices: run.notices });
  });
  return readBlueGreen(run.clients, run.target);
}

/** A split without force-from-split is refused: nothing is changed. */
export function refuseSplit(inputs: Inputs, state: BlueGreenState): void {
  if (!state.split || inputs['force-from-split']) return;
  throw new ActionError(
    `Production traffic is split (${describeWeights(state.traffic.weights)}): a previous run did not finish. Nothing was changed. ` +
      `Finish it first with phase: rollback (to-color: ${state.safeEnd?.color ?? state.live}), ` +
      `or set force-from-split: true to put all traffic on ${state.live} before deploying.`,
  );
}

export interface Prepared {
  newColor: Color;
  taskDefinitionArn: string;
  testListener?: { color: Color; taskDefinitionArn: string };
}

/** Registers (once), migrates, deploys the idle colour and waits until it is healthy; no customer traffic moves. */
export async function prepare(
  run: PhaseContext,
  state: BlueGreenState,
  resolved: ResolvedTaskDefinition,
): Promise<Prepared | 'unchanged'> {
  const { inputs, clients } = run;
  const live = state.live;
  const idle = state.idle;
  const taskDefinitionArn = await revisionFor(run, resolved);
  if (taskDefinitionArn === state.sides[live].taskDefinition) {
    run.log(
      `${state.sides[live].serviceName} already runs ${taskDefinitionArn} with all traffic: nothing to do`,
    );
    return 'unchanged';
  }
  const partial = {
    taskDefinitionArn,
    previousTaskDefinitionArn: state.sides[live].taskDefinition,
    liveColor: live,
    previousColor: live,
    steps: [],
    notices: run.notices,
  };
  const idleSide = state.sides[idle];
  if (inputs['migration-command']) {
    const containerName =
      inputs['container-name'] ??
      String(
        (
          (await describeTaskDefinition(clients.ecs, taskDefinitionArn)).containerDefinitions as {
            name: string;
          }[]
        )[0]!.name,
      );
    await run.lease.check();
    try {
      await runMigration(clients.ecs, {
        cluster: inputs.cluster,
        taskDefinitionArn,
        containerName,
        command: splitCommand(inputs['migration-command']),
        service: idleSide.service,
        timeoutMs: inputs['wait-timeout'],
        clock: run.clock,
        log: run.log,
      });
    } catch (error) {
      throw new DeployFailure((error as Error).message, { ...partial, outcome: 'failed' });
    }
  }
  const desiredCount = inputs['desired-count'] ?? Math.max(1, state.sides[live].desiredCount);
  run.log(`Deploying ${taskDefinitionArn} to ${idleSide.serviceName} (${idle}) with ${desiredCount} tasks`);
  await run.lease.check();
  // Before the colour changes: from now on the tags say it holds a release no gate has passed.
  await markUnverified(clients.elbv2, run.target.production.arn, idle, taskDefinitionArn);
  await updateService(clients.ecs, inputs.cluster, idleSide.serviceName, {
    taskDefinition: taskDefinitionArn,
    desiredCount,
  });
  try {
    await waitForColour(run, idleSide, taskDefinitionArn, desiredCount);
  } catch (error) {
    if (error instanceof DeploymentNotHealthyError)
      throw new DeployFailure(
        `${error.message}; customer traffic was not touched`,
        { ...partial, outcome: 'failed' },
        error.diagnostics,
      );
    throw error;
  }
  let testListener: Prepared['testListener'];
  if (run.target.test) {
    const moved = await pointTestListener(clients, run.target.test, idle, state.groups, {
      clock: run.clock,
      guard: () => run.lease.check(),
    });
    run.log(
      `The test listener ${moved ? 'now forwards' : 'already forwarded'} only to ${idle} (${taskDefinitionArn})`,
    );
    testListener = { color: idle, taskDefinitionArn };
  }
  await markPrepared(clients.elbv2, run.target.production.arn, idle, taskDefinitionArn);
  return { newColor: idle, taskDefinitionArn, testListener };
}

/** Waits (folded in the log) until a colour's service runs the release, stable and every target healthy. */
export async function waitForColour(
  run: Pick<PhaseContext, 'inputs' | 'clients' | 'clock' | 'log' | 'group'>,
  side: { serviceName: string; targetGroupArn: string },
  taskDefinitionArn: string,
  desiredCount: number,
): Promise<void> {
  const wait = () =>
    waitForHealthyService(run.clients.ecs, run.clients.elbv2, {
      cluster: run.inputs.cluster,
      service: side.serviceName,
      targetGroupArn: side.targetGroupArn,
      taskDefinitionArn,
      desiredCount,
      timeoutMs: run.inputs['wait-timeout'],
      clock: run.clock,
      log: run.log,
    });
  await (run.group ? run.group(`Waiting for ${side.serviceName} to be stable and healthy`, wait) : wait());
}
