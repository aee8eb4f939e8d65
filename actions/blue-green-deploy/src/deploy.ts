/** One run of the action, phase by phase, with clients, clock and logging injected. */
import type { Service } from '@aws-sdk/client-ecs';
import type { AwsClients } from '../../../packages/shared/src/aws.js';
import type { Clock } from '../../../packages/shared/src/clock.js';
import { describeColorServices, type ColorServices } from '../../../packages/shared/src/ecs.js';
import { ActionError, InputError } from '../../../packages/shared/src/errors.js';
import { readAlarmStates } from '../../../packages/shared/src/gates.js';
import {
  analyseTraffic,
  forwardWithWeights,
  otherColor,
  readProductionActions,
  writeProductionActions,
  type Color,
  type ColorGroups,
  type TrafficState,
} from '../../../packages/shared/src/traffic.js';
import { runCutover, type StepRecord } from './cutover.js';
import {
  DeploymentNotHealthyError,
  describeTaskDefinition,
  registerTaskDefinition,
  runMigration,
  splitCommand,
  updateService,
  waitForHealthyService,
  type Diagnostics,
} from './ecs-ops.js';
import type { Inputs } from './inputs.js';
import { acquireLock, releaseLock } from './lock.js';
import { recordOutcome } from '../../../packages/shared/src/outcome.js';
import type { DeployState } from './state.js';
import { parseTaskDefinitionText, renderTaskDefinition, sameTaskDefinition } from './task-definition.js';

export type Outcome = 'promoted' | 'rolled-back' | 'prepared' | 'unchanged' | 'cleaned-up';

export interface DeployResult {
  outcome: Outcome;
  taskDefinitionArn?: string;
  previousTaskDefinitionArn?: string;
  liveColor: Color;
  previousColor: Color;
  steps: StepRecord[];
  notices: string[];
}

export class DeployFailure extends ActionError {
  constructor(
    message: string,
    readonly partial: Partial<DeployResult> & { steps: StepRecord[]; notices: string[] },
    readonly diagnostics?: Diagnostics,
  ) {
    super(message);
  }
}

export interface DeployContext {
  inputs: Inputs;
  clients: AwsClients;
  clock: Clock;
  holder: string;
  log: (line: string) => void;
  readFile: (path: string) => string;
  save: (state: DeployState) => void;
}

/** Everything read from AWS before anything changes. */
interface Plan {
  services: ColorServices;
  groups: ColorGroups;
  traffic: TrafficState;
  loadBalancerDimension: string;
}

export async function deploy(context: DeployContext): Promise<DeployResult> {
  const { inputs, clients } = context;
  const plan = await readPlan(context);
  const notices: string[] = [];
  const taskDefinition =
    inputs.phase === 'all' || inputs.phase === 'prepare'
      ? await resolveTaskDefinition(context, notices)
      : undefined;

  const live = plan.traffic.live;
  const liveService = plan.services[live];
  if (
    taskDefinition?.arn &&
    taskDefinition.arn === liveService.taskDefinition &&
    plan.traffic.weights[plan.traffic.idle] === 0
  ) {
    context.log(
      `${liveService.serviceName} already runs ${taskDefinition.arn} with all traffic: nothing to do`,
    );
    return {
      outcome: 'unchanged',
      taskDefinitionArn: taskDefinition.arn,
      previousTaskDefinitionArn: liveService.taskDefinition,
      liveColor: live,
      previousColor: otherColor(live),
      steps: [],
      notices,
    };
  }

  const state: DeployState = {
    holder: context.holder,
    production: inputs.production,
    groups: plan.groups,
    lockHeld: false,
    settled: false,
  };
  await acquireLock(clients.elbv2, inputs.production.arn, {
    holder: context.holder,
    ttlMs: inputs['lock-ttl'],
    waitMs: inputs['lock-wait'],
    clock: context.clock,
    log: context.log,
  });
  state.lockHeld = true;
  context.save(state);
  const keepLock = inputs.phase === 'prepare';
  try {
    switch (inputs.phase) {
      case 'all':
      case 'prepare':
        return await prepareAndShift(context, plan, state, taskDefinition!, notices);
      case 'shift':
        return await shiftOnly(context, plan, state, notices);
      case 'rollback':
        return await rollback(context, plan, state, notices);
      case 'cleanup':
        return await cleanup(context, plan, notices);
      default:
        throw new ActionError(`Unknown phase ${String(inputs.phase)}`);
    }
  } catch (error) {
    if (state.originalActions && !state.settled) {
      context.log('Restoring the original weights after a failure');
      await writeProductionActions(
        clients.elbv2,
        inputs.production,
        state.originalActions,
        plan.groups,
      ).catch((restoreError: Error) =>
        context.log(`Could not restore the original weights: ${restoreError.message}`),
      );
      state.settled = true;
      context.save(state);
    }
    throw error;
  } finally {
    if (!keepLock && state.lockHeld) {
      await releaseLock(clients.elbv2, inputs.production.arn, context.holder);
      state.lockHeld = false;
      context.save(state);
    }
  }
}

async function readPlan(context: DeployContext): Promise<Plan> {
  const { inputs, clients } = context;
  const services = await describeColorServices(clients.ecs, inputs.cluster, {
    blue: inputs['blue-service'],
    green: inputs['green-service'],
  });
  const groups = {
    blue: services.blue.loadBalancers![0]!.targetGroupArn!,
    green: services.green.loadBalancers![0]!.targetGroupArn!,
  };
  const actions = await readProductionActions(clients.elbv2, inputs.production);
  const traffic = analyseTraffic(actions, groups, Math.floor(inputs['step-bake'] / 1000));
  if (inputs.alarms.length > 0) await readAlarmStates(clients.cloudwatch, inputs.alarms);
  const match = /:(?:listener|listener-rule)\/(app\/[^/]+\/[^/]+)\//.exec(inputs.production.arn);
  if (!match) throw new ActionError(`Cannot tell the load balancer from ${inputs.production.arn}`);
  return { services, groups, traffic, loadBalancerDimension: match[1]! };
}

interface ResolvedTaskDefinition {
  /** An existing revision to deploy as is. */
  arn?: string;
  /** A rendered definition to register (unless equal to the family's latest). */
  definition?: Record<string, unknown>;
  /** The family's latest revision, when resolving already read it (a family template is one). */
  latest?: Record<string, unknown>;
}

async function resolveTaskDefinition(
  context: DeployContext,
  notices: string[],
): Promise<ResolvedTaskDefinition> {
  const { inputs, clients } = context;
  const source = inputs.taskDefinition!;
  const renderOptions = {
    containerName: inputs['container-name'],
    image: inputs.image,
    environment: inputs['environment-variables'],
    secrets: inputs.secrets,
    dockerLabels: inputs['docker-labels'],
    logOptions: inputs['log-configuration-options'],
  };
  let template: Record<string, unknown>;
  if (source.kind === 'arn') {
    await describeTaskDefinition(clients.ecs, source.arn);
    return { arn: source.arn };
  }
  if (source.kind === 'family') {
    template = await describeTaskDefinition(clients.ecs, source.family);
  } else {
    let text: string;
    try {
      text = context.readFile(source.path);
    } catch {
      throw new InputError(
        'task-definition',
        `points to ${source.path}, which cannot be read`,
        'deploy/task-definition.json',
      );
    }
    template = parseTaskDefinitionText(text, source.path);
  }
  const rendered = renderTaskDefinition(template, renderOptions);
  notices.push(...rendered.notices);
  const family = String(rendered.definition.family ?? '');
  if (!family) throw new InputError('task-definition', 'has no family', 'deploy/task-definition.json');
  return { definition: rendered.definition, latest: source.kind === 'family' ? template : undefined };
}

async function registerIfChanged(
  context: DeployContext,
  resolved: ResolvedTaskDefinition,
  notices: string[],
): Promise<string> {
  const definition = resolved.definition!;
  const latest =
    resolved.latest ??
    (await describeTaskDefinition(context.clients.ecs, String(definition.family)).catch(() => undefined));
  if (latest && sameTaskDefinition(latest, definition)) {
    notices.push(
      `The rendered task definition equals ${String(latest.taskDefinitionArn)}; no new revision was registered`,
    );
    return String(latest.taskDefinitionArn);
  }
  const arn = await registerTaskDefinition(context.clients.ecs, definition);
  context.log(`Registered ${arn}`);
  return arn;
}

async function prepareAndShift(
  context: DeployContext,
  plan: Plan,
  state: DeployState,
  resolved: ResolvedTaskDefinition,
  notices: string[],
): Promise<DeployResult> {
  const { inputs, clients } = context;
  const live = plan.traffic.live;
  const idle = plan.traffic.idle;
  const liveService = plan.services[live];
  const idleService = plan.services[idle];
  const taskDefinitionArn = resolved.arn ?? (await registerIfChanged(context, resolved, notices));
  const partial = {
    taskDefinitionArn,
    previousTaskDefinitionArn: liveService.taskDefinition,
    liveColor: live,
    previousColor: idle,
    steps: [],
    notices,
  };

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
    try {
      await runMigration(clients.ecs, {
        cluster: inputs.cluster,
        taskDefinitionArn,
        containerName,
        command: splitCommand(inputs['migration-command']),
        service: idleService,
        timeoutMs: inputs['wait-timeout'],
        clock: context.clock,
        log: context.log,
      });
    } catch (error) {
      throw new DeployFailure((error as Error).message, partial);
    }
  }

  const desiredCount = inputs['desired-count'] ?? Math.max(1, liveService.desiredCount ?? 1);
  context.log(
    `Deploying ${taskDefinitionArn} to ${idleService.serviceName} (${idle}) with ${desiredCount} tasks`,
  );
  await updateService(clients.ecs, inputs.cluster, idleService.serviceName!, {
    taskDefinition: taskDefinitionArn,
    desiredCount,
  });
  try {
    await waitForHealthyService(clients.ecs, clients.elbv2, {
      cluster: inputs.cluster,
      service: idleService.serviceName!,
      targetGroupArn: plan.groups[idle],
      taskDefinitionArn,
      desiredCount,
      timeoutMs: inputs['wait-timeout'],
      clock: context.clock,
      log: context.log,
    });
  } catch (error) {
    if (error instanceof DeploymentNotHealthyError)
      throw new DeployFailure(
        `${error.message}; customer traffic was not touched`,
        partial,
        error.diagnostics,
      );
    throw error;
  }
  if (inputs.phase === 'prepare')
    return { ...partial, outcome: 'prepared', liveColor: live, previousColor: idle };
  return shift(context, plan, state, idle, taskDefinitionArn, liveService, notices);
}

async function shiftOnly(
  context: DeployContext,
  plan: Plan,
  state: DeployState,
  notices: string[],
): Promise<DeployResult> {
  const idle = plan.traffic.idle;
  const idleService = plan.services[idle];
  if (!idleService.runningCount) {
    throw new ActionError(
      `${idleService.serviceName} (${idle}) runs no tasks: run the prepare phase before shift`,
    );
  }
  return shift(
    context,
    plan,
    state,
    idle,
    idleService.taskDefinition!,
    plan.services[plan.traffic.live],
    notices,
  );
}

async function shift(
  context: DeployContext,
  plan: Plan,
  state: DeployState,
  newColor: Color,
  taskDefinitionArn: string,
  liveService: Service,
  notices: string[],
): Promise<DeployResult> {
  const { inputs, clients } = context;
  const previous = otherColor(newColor);
  const result = await runCutover({
    elbv2: clients.elbv2,
    cloudwatch: clients.cloudwatch,
    target: inputs.production,
    groups: plan.groups,
    state: plan.traffic,
    newColor,
    steps: inputs['traffic-steps'],
    bakeMs: inputs['step-bake'],
    gates: {
      thresholds: { maxErrorRatePercent: inputs['max-error-rate'], maxP95Ms: inputs['max-p95-latency'] },
      alarms: inputs.alarms,
      probeUrl: inputs['probe-url'],
      probeIntervalMs: Math.max(250, Math.min(2000, Math.floor(inputs['step-bake'] / 4))),
      loadBalancerDimension: plan.loadBalancerDimension,
      targetGroupDimension: plan.groups[newColor].slice(plan.groups[newColor].indexOf('targetgroup/')),
    },
    clock: context.clock,
    log: context.log,
    onFirstShift: () => {
      state.originalActions = plan.traffic.actions;
      context.save(state);
    },
  });
  const base = {
    taskDefinitionArn,
    previousTaskDefinitionArn: liveService.taskDefinition,
    steps: result.steps,
    notices,
  };
  if (!result.promoted) {
    state.settled = true;
    context.save(state);
    await recordOutcome(
      clients.elbv2,
      inputs.production.arn,
      {
        liveColor: previous,
        previousColor: newColor,
        taskDefinition: liveService.taskDefinition,
        previousTaskDefinition: taskDefinitionArn,
        outcome: 'rolled-back',
      },
      context.clock.now(),
    );
    throw new DeployFailure(`${result.failure}; all traffic is back on ${previous}`, {
      ...base,
      outcome: 'rolled-back',
      liveColor: previous,
      previousColor: newColor,
    });
  }
  await recordOutcome(
    clients.elbv2,
    inputs.production.arn,
    {
      liveColor: newColor,
      previousColor: previous,
      taskDefinition: taskDefinitionArn,
      previousTaskDefinition: liveService.taskDefinition,
      outcome: 'promoted',
    },
    context.clock.now(),
  );
  state.settled = true;
  context.save(state);
  context.log(
    `Promoted: ${newColor} serves 100 %; ${previous} keeps running for a fast rollback until cleanup`,
  );
  return { ...base, outcome: 'promoted', liveColor: newColor, previousColor: previous };
}

async function rollback(
  context: DeployContext,
  plan: Plan,
  state: DeployState,
  notices: string[],
): Promise<DeployResult> {
  const { inputs, clients } = context;
  const from = plan.traffic.live;
  const to = plan.traffic.idle;
  const target = plan.services[to];
  const source = plan.services[from];
  if (!target.runningCount || !target.desiredCount) {
    const desiredCount = Math.max(1, source.desiredCount ?? 1);
    context.log(`${target.serviceName} (${to}) was scaled down; bringing ${desiredCount} tasks back first`);
    await updateService(clients.ecs, inputs.cluster, target.serviceName!, { desiredCount });
    await waitForHealthyService(clients.ecs, clients.elbv2, {
      cluster: inputs.cluster,
      service: target.serviceName!,
      targetGroupArn: plan.groups[to],
      taskDefinitionArn: target.taskDefinition!,
      desiredCount,
      timeoutMs: inputs['wait-timeout'],
      clock: context.clock,
      log: context.log,
    });
  }
  state.originalActions = plan.traffic.actions;
  context.save(state);
  await writeProductionActions(
    clients.elbv2,
    inputs.production,
    forwardWithWeights(plan.traffic, plan.groups, to, 100),
    plan.groups,
  );
  await recordOutcome(
    clients.elbv2,
    inputs.production.arn,
    {
      liveColor: to,
      previousColor: from,
      taskDefinition: target.taskDefinition,
      previousTaskDefinition: source.taskDefinition,
      outcome: 'rolled-back',
    },
    context.clock.now(),
  );
  state.settled = true;
  context.save(state);
  context.log(`Rolled back: ${to} serves 100 % (${target.taskDefinition})`);
  return {
    outcome: 'rolled-back',
    taskDefinitionArn: target.taskDefinition,
    previousTaskDefinitionArn: source.taskDefinition,
    liveColor: to,
    previousColor: from,
    steps: [],
    notices,
  };
}

async function cleanup(context: DeployContext, plan: Plan, notices: string[]): Promise<DeployResult> {
  const { inputs, clients } = context;
  const idle = plan.traffic.idle;
  if (plan.traffic.weights[idle] > 0) {
    throw new ActionError(
      `${idle} still receives traffic (weight ${plan.traffic.weights[idle]}); finish or roll back the cutover before cleanup`,
    );
  }
  const idleService = plan.services[idle];
  await updateService(clients.ecs, inputs.cluster, idleService.serviceName!, { desiredCount: 0 });
  context.log(`Scaled ${idleService.serviceName} (${idle}) to 0 tasks`);
  const live = plan.traffic.live;
  return {
    outcome: 'cleaned-up',
    taskDefinitionArn: plan.services[live].taskDefinition,
    previousTaskDefinitionArn: idleService.taskDefinition,
    liveColor: live,
    previousColor: idle,
    steps: [],
    notices,
  };
}
