/**
 * Scheduled ECS tasks that run a service's task definition family (a nightly reconciliation built
 * from the same image): EventBridge Scheduler schedules and EventBridge rule targets. A schedule's
 * target names a revision, so nothing moves it to a new release unless the deploy does: these find
 * them (named, or `auto`: every one whose ECS target runs the family on the cluster), point them at
 * the revision that serves customers, keeping every other field of the target as it was, and read
 * them back.
 */
import {
  DescribeRuleCommand,
  EventBridgeClient,
  ListRuleNamesByTargetCommand,
  ListTargetsByRuleCommand,
  PutTargetsCommand,
  type Target as RuleTarget,
} from '@aws-sdk/client-eventbridge';
import {
  GetScheduleCommand,
  ListSchedulesCommand,
  SchedulerClient,
  UpdateScheduleCommand,
  type GetScheduleOutput,
} from '@aws-sdk/client-scheduler';
import { DescribeServicesCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { ActionError, errorMessage, InputError } from '../errors.js';
import { nextRun, parseScheduleExpression } from '../schedule-expression.js';
import { EXAMPLE, type ScheduledTaskRef, type ScheduledTasksInput } from './input.js';

export interface ScheduledTask {
  ref: ScheduledTaskRef;
  /** `schedule default/matcher`, `rule matcher (target matcher)`. */
  label: string;
  /** The revision its target names now. */
  taskDefinitionArn: string;
  expression: string;
  timezone?: string;
  /** The rule target's Id (one rule may run several). */
  targetId?: string;
}

export interface ScheduledTaskUpdate {
  label: string;
  from: string;
  to: string;
  status: 'updated' | 'unchanged' | 'failed';
  /** When it next runs, after this moment (undefined for a schedule that will not run again). */
  nextRun?: Date;
  error?: string;
}

/** The client classes an action that keeps scheduled tasks on its release bundles. */
export const SCHEDULE_CLIENTS = { scheduler: SchedulerClient, events: EventBridgeClient };

export interface ScheduleClients {
  scheduler: Pick<SchedulerClient, 'send'>;
  events: Pick<EventBridgeClient, 'send'>;
}

export const familyOf = (taskDefinitionArn: string): string =>
  taskDefinitionArn.replace(/^arn:[^:]+:ecs:[^:]*:\d*:task-definition\//, '').split(':')[0]!;
const clusterNameOf = (cluster: string) => cluster.split('/').pop()!;

const describe = (ref: ScheduledTaskRef, targetId?: string) =>
  ref.via === 'scheduler'
    ? `schedule ${ref.group}/${ref.name}`
    : `rule ${ref.bus === 'default' ? '' : `${ref.bus}/`}${ref.rule}${targetId && targetId !== ref.rule ? ` (target ${targetId})` : ''}`;

/**
 * The scheduled tasks to keep on the release: each named one (which must exist and run an ECS task
 * on `cluster`, of `family` when given), or with `auto` every one that runs `family` there. Reads
 * only; a name that is wrong fails here, before the deploy changes anything.
 */
export async function findScheduledTasks(
  clients: ScheduleClients,
  wanted: ScheduledTasksInput,
  where: { cluster: string; family?: string },
): Promise<ScheduledTask[]> {
  const cluster = clusterNameOf(where.cluster);
  if (wanted.auto && !where.cluster.startsWith('arn:'))
    throw new Error('scheduled-tasks: auto needs the cluster ARN (what rule targets name)');
  const onCluster = (arn: string | undefined) => !!arn && /:ecs:/.test(arn) && clusterNameOf(arn) === cluster;
  const ofFamily = (arn: string) => !where.family || familyOf(arn) === where.family;
  if (wanted.auto) {
    if (!where.family) throw new Error('scheduled-tasks: auto needs the family to look for');
    const found: ScheduledTask[] = [];
    for (const summary of await listSchedules(clients.scheduler)) {
      if (!onCluster(summary.targetArn)) continue;
      const task = await readSchedule(clients.scheduler, {
        via: 'scheduler',
        group: summary.group,
        name: summary.name,
      });
      if (task && ofFamily(task.taskDefinitionArn)) found.push(task);
    }
    for (const rule of await rulesTargeting(clients.events, where.cluster))
      for (const task of await readRule(clients.events, { via: 'events', bus: 'default', rule }))
        if (onCluster(task.clusterArn) && ofFamily(task.taskDefinitionArn)) found.push(task);
    return found;
  }
  const found: ScheduledTask[] = [];
  for (const ref of wanted.refs) {
    const label = describe(ref);
    const tasks =
      ref.via === 'scheduler'
        ? [await readSchedule(clients.scheduler, ref, true)].filter((task): task is Found => !!task)
        : await readRule(clients.events, ref, true);
    const here = tasks.filter((task) => onCluster(task.clusterArn));
    if (here.length === 0)
      throw new InputError(
        'scheduled-tasks',
        `names ${label}, which runs no ECS task on cluster ${cluster}`,
        EXAMPLE,
      );
    const other = here.find((task) => !ofFamily(task.taskDefinitionArn));
    if (other && here.every((task) => !ofFamily(task.taskDefinitionArn)))
      throw new InputError(
        'scheduled-tasks',
        `names ${label}, which runs ${familyOf(other.taskDefinitionArn)}, not this service's family ${where.family}`,
        EXAMPLE,
      );
    found.push(
      ...here
        .filter((task) => ofFamily(task.taskDefinitionArn))
        .map(({ clusterArn: _cluster, source: _source, ...task }) => task),
    );
  }
  return found;
}

/**
 * Points each scheduled task at `taskDefinitionArn`, keeping every other field of the schedule or
 * target, and reads it back. A failure does not stop the others; the caller fails the run with
 * `scheduleFailure` (and a re-run converges: a task already there is left alone).
 */
export async function pointScheduledTasksAt(
  clients: ScheduleClients,
  tasks: ScheduledTask[],
  taskDefinitionArn: string,
  now: Date = new Date(),
): Promise<ScheduledTaskUpdate[]> {
  const updates: ScheduledTaskUpdate[] = [];
  for (const task of tasks) {
    const update: ScheduledTaskUpdate = {
      label: task.label,
      from: task.taskDefinitionArn,
      to: taskDefinitionArn,
      status: 'unchanged',
    };
    try {
      // Read again just before: a field someone changed since the run began is kept too.
      const current = await readAgain(clients, task);
      if (!current) throw new Error(`${task.label} is gone`);
      update.from = current.taskDefinitionArn;
      if (familyOf(current.taskDefinitionArn) !== familyOf(taskDefinitionArn))
        throw new Error(
          `${task.label} runs ${familyOf(current.taskDefinitionArn)}, not ${familyOf(taskDefinitionArn)}`,
        );
      if (current.taskDefinitionArn !== taskDefinitionArn) {
        if ('schedule' in current.source)
          await updateSchedule(clients.scheduler, current.source.schedule, taskDefinitionArn);
        else if (task.ref.via === 'events')
          await updateRuleTarget(clients.events, task.ref, current.source.target, taskDefinitionArn);
        const after = await readAgain(clients, task);
        if (after?.taskDefinitionArn !== taskDefinitionArn)
          throw new Error(
            `${task.label} reads back ${after?.taskDefinitionArn ?? 'nothing'} after the update`,
          );
        update.status = 'updated';
      }
      const expression = current.expression ? parseScheduleExpression(current.expression) : undefined;
      const next = expression ? nextRun(expression, now, { timezone: current.timezone }) : undefined;
      if (next) update.nextRun = next;
    } catch (error) {
      update.status = 'failed';
      update.error = errorMessage(error);
    }
    updates.push(update);
  }
  return updates;
}

/** The message a run fails with when some scheduled tasks could not be moved, or undefined. */
export function scheduleFailure(updates: ScheduledTaskUpdate[], releaseLive: string): string | undefined {
  const failed = updates.filter((update) => update.status === 'failed');
  if (failed.length === 0) return undefined;
  return (
    `${failed.length} scheduled task${failed.length === 1 ? '' : 's'} still run${failed.length === 1 ? 's' : ''} another release than the one customers are on (${releaseLive}): ` +
    failed.map((update) => `${update.label} still runs ${update.from} (${update.error})`).join('; ') +
    '. Traffic is not moved back; run the job again once the cause is fixed, and it puts them on the release.'
  );
}

/**
 * findScheduledTasks for an ECS service: its cluster's ARN (what schedules and rules target) and,
 * unless given, its family are read from the service.
 */
export async function findScheduledTasksOf(
  clients: ScheduleClients & { ecs: Pick<ECSClient, 'send'> },
  wanted: ScheduledTasksInput,
  where: { cluster: string; service: string; family?: string },
): Promise<ScheduledTask[]> {
  const answer = await clients.ecs.send(
    new DescribeServicesCommand({ cluster: where.cluster, services: [where.service] }),
  );
  const service = answer.services?.[0];
  if (!service?.clusterArn || !service.taskDefinition)
    throw new ActionError(
      `scheduled-tasks: service ${where.service} was not found in cluster ${where.cluster}`,
    );
  return findScheduledTasks(clients, wanted, {
    cluster: service.clusterArn,
    family: where.family ?? familyOf(service.taskDefinition),
  });
}

/** The revision an ECS service runs now (what the live side of a release serves). */
export async function serviceRevision(
  ecs: Pick<ECSClient, 'send'>,
  cluster: string,
  service: string,
): Promise<string | undefined> {
  const answer = await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
  return answer.services?.[0]?.taskDefinition;
}

/**
 * Points the scheduled tasks at the revision customers are on (none when it is not known), logging
 * a line for each; `failure` is what the run fails with when some could not be moved.
 */
export async function followRelease(
  clients: ScheduleClients,
  tasks: ScheduledTask[],
  taskDefinitionArn: string | undefined,
  log: (line: string) => void,
): Promise<{ updates: ScheduledTaskUpdate[]; failure?: string }> {
  if (tasks.length === 0 || !taskDefinitionArn) return { updates: [] };
  const updates = await pointScheduledTasksAt(clients, tasks, taskDefinitionArn);
  for (const update of updates)
    log(
      update.status === 'failed'
        ? `${update.label}: still runs ${update.from}: ${update.error}`
        : `${update.label}: runs ${update.to} (${update.status})${update.nextRun ? `; next run ${update.nextRun.toISOString()}` : ''}`,
    );
  const failure = scheduleFailure(updates, taskDefinitionArn);
  return failure ? { updates, failure } : { updates };
}

/** The `scheduled-tasks` output: a JSON list, or '' when there were none. */
export function scheduleOutput(updates: ScheduledTaskUpdate[]): string {
  if (updates.length === 0) return '';
  return JSON.stringify(
    updates.map((update) => ({
      label: update.label,
      runs: update.status === 'failed' ? update.from : update.to,
      was: update.from,
      status: update.status,
      ...(update.nextRun ? { 'next-run': update.nextRun.toISOString() } : {}),
      ...(update.error ? { error: update.error } : {}),
    })),
  );
}

/** The job summary's part on scheduled tasks ([] when there were none). */
export const scheduleSummaryPart = (updates: ScheduledTaskUpdate[]): string[] =>
  updates.length === 0 ? [] : [`${scheduleSummary(updates).join('\n')}\n`];

/** Markdown lines for the job summary. */
export function scheduleSummary(updates: ScheduledTaskUpdate[]): string[] {
  if (updates.length === 0) return [];
  const revision = (arn: string) => arn.split('/').pop() ?? arn;
  return [
    '',
    '### Scheduled tasks',
    '',
    '| scheduled task | runs | was | next run | |',
    '|---|---|---|---|---|',
    ...updates.map(
      (update) =>
        `| ${update.label} | ${revision(update.status === 'failed' ? update.from : update.to)} | ${revision(update.from)} | ${update.nextRun?.toISOString().replace('.000Z', 'Z') ?? '—'} | ${update.status === 'failed' ? `❌ ${(update.error ?? '').replace(/\|/g, '\\|')}` : update.status} |`,
    ),
  ];
}

async function listSchedules(scheduler: ScheduleClients['scheduler']) {
  const summaries: { group: string; name: string; targetArn?: string }[] = [];
  let token: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const answer = await scheduler.send(new ListSchedulesCommand({ NextToken: token }));
    for (const schedule of answer.Schedules ?? [])
      summaries.push({
        group: schedule.GroupName ?? 'default',
        name: schedule.Name!,
        targetArn: schedule.Target?.Arn,
      });
    token = answer.NextToken;
    if (!token) return summaries;
  }
  throw new Error('ListSchedules kept returning pages');
}

async function rulesTargeting(events: ScheduleClients['events'], clusterArn: string): Promise<string[]> {
  const names: string[] = [];
  let token: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const answer = await events.send(
      new ListRuleNamesByTargetCommand({ TargetArn: clusterArn, NextToken: token }),
    );
    names.push(...(answer.RuleNames ?? []));
    token = answer.NextToken;
    if (!token) return names;
  }
  throw new Error('ListRuleNamesByTarget kept returning pages');
}

/** A scheduled task as just read: the cluster its target names, and the schedule or rule target itself. */
type Found = ScheduledTask & {
  clusterArn?: string;
  source: { schedule: GetScheduleOutput } | { target: RuleTarget };
};

async function readSchedule(
  scheduler: ScheduleClients['scheduler'],
  ref: Extract<ScheduledTaskRef, { via: 'scheduler' }>,
  named = false,
): Promise<Found | undefined> {
  let schedule: GetScheduleOutput;
  try {
    schedule = await scheduler.send(new GetScheduleCommand({ Name: ref.name, GroupName: ref.group }));
  } catch (error) {
    if (named && (error as Error).name === 'ResourceNotFoundException')
      throw new InputError(
        'scheduled-tasks',
        `names schedule ${ref.group}/${ref.name}, which does not exist`,
        EXAMPLE,
      );
    throw error;
  }
  const arn = schedule.Target?.EcsParameters?.TaskDefinitionArn;
  if (!arn) return undefined;
  return {
    ref,
    label: describe(ref),
    taskDefinitionArn: arn,
    expression: schedule.ScheduleExpression ?? '',
    ...(schedule.ScheduleExpressionTimezone ? { timezone: schedule.ScheduleExpressionTimezone } : {}),
    clusterArn: schedule.Target?.Arn,
    source: { schedule },
  };
}

async function readRule(
  events: ScheduleClients['events'],
  ref: Extract<ScheduledTaskRef, { via: 'events' }>,
  named = false,
): Promise<Found[]> {
  let expression: string;
  try {
    expression =
      (await events.send(new DescribeRuleCommand({ Name: ref.rule, EventBusName: ref.bus })))
        .ScheduleExpression ?? '';
  } catch (error) {
    if (named && (error as Error).name === 'ResourceNotFoundException')
      throw new InputError(
        'scheduled-tasks',
        `names rule ${ref.rule}, which does not exist on event bus ${ref.bus}`,
        EXAMPLE,
      );
    throw error;
  }
  return (await ruleTargets(events, ref))
    .filter((target) => target.EcsParameters?.TaskDefinitionArn)
    .map((target) => ({
      ref,
      label: describe(ref, target.Id),
      taskDefinitionArn: target.EcsParameters!.TaskDefinitionArn!,
      expression,
      targetId: target.Id!,
      clusterArn: target.Arn,
      source: { target },
    }));
}

async function ruleTargets(
  events: ScheduleClients['events'],
  ref: Extract<ScheduledTaskRef, { via: 'events' }>,
): Promise<RuleTarget[]> {
  const targets: RuleTarget[] = [];
  let token: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const answer = await events.send(
      new ListTargetsByRuleCommand({ Rule: ref.rule, EventBusName: ref.bus, NextToken: token }),
    );
    targets.push(...(answer.Targets ?? []));
    token = answer.NextToken;
    if (!token) return targets;
  }
  throw new Error('ListTargetsByRule kept returning pages');
}

/** UpdateSchedule replaces the whole schedule: every field read is sent back, the revision changed. */
async function updateSchedule(
  scheduler: ScheduleClients['scheduler'],
  schedule: GetScheduleOutput,
  taskDefinitionArn: string,
): Promise<void> {
  const target = schedule.Target!;
  await scheduler.send(
    new UpdateScheduleCommand({
      Name: schedule.Name!,
      GroupName: schedule.GroupName,
      ScheduleExpression: schedule.ScheduleExpression!,
      ScheduleExpressionTimezone: schedule.ScheduleExpressionTimezone,
      StartDate: schedule.StartDate,
      EndDate: schedule.EndDate,
      Description: schedule.Description,
      State: schedule.State,
      KmsKeyArn: schedule.KmsKeyArn,
      FlexibleTimeWindow: schedule.FlexibleTimeWindow!,
      ActionAfterCompletion: schedule.ActionAfterCompletion,
      Target: {
        ...target,
        EcsParameters: { ...target.EcsParameters!, TaskDefinitionArn: taskDefinitionArn },
      },
    }),
  );
}

/** PutTargets replaces the target it names: the whole target is sent back, the revision changed. */
async function updateRuleTarget(
  events: ScheduleClients['events'],
  ref: Extract<ScheduledTaskRef, { via: 'events' }>,
  target: RuleTarget,
  taskDefinitionArn: string,
): Promise<void> {
  const answer = await events.send(
    new PutTargetsCommand({
      Rule: ref.rule,
      EventBusName: ref.bus,
      Targets: [
        { ...target, EcsParameters: { ...target.EcsParameters!, TaskDefinitionArn: taskDefinitionArn } },
      ],
    }),
  );
  if ((answer.FailedEntryCount ?? 0) > 0) {
    const entry = answer.FailedEntries?.[0];
    throw new ActionError(
      `PutTargets refused target ${target.Id}: ${entry?.ErrorCode ?? ''} ${entry?.ErrorMessage ?? ''}`.trim(),
    );
  }
}

/** What a scheduled task's target starts, as read now: its cluster, ECS parameters and overrides. */
export interface ScheduledTarget {
  clusterArn: string;
  ecsParameters: NonNullable<RuleTarget['EcsParameters']>;
  /** The target's Input: the RunTask overrides, as JSON. */
  input?: string;
}

/** Reads a scheduled task's target afresh (undefined when the schedule or target is gone). */
export async function readScheduledTarget(
  clients: ScheduleClients,
  task: ScheduledTask,
): Promise<ScheduledTarget | undefined> {
  const found = await readAgain(clients, task);
  if (!found) return undefined;
  const target = 'schedule' in found.source ? found.source.schedule.Target! : found.source.target;
  return {
    clusterArn: target.Arn!,
    ecsParameters: target.EcsParameters as ScheduledTarget['ecsParameters'],
    ...(target.Input ? { input: target.Input } : {}),
  };
}

/** A scheduled task read afresh (its schedule, or its target in the rule), or undefined when gone. */
async function readAgain(clients: ScheduleClients, task: ScheduledTask): Promise<Found | undefined> {
  if (task.ref.via === 'scheduler') return readSchedule(clients.scheduler, task.ref, true);
  return (await readRule(clients.events, task.ref, true)).find((entry) => entry.targetId === task.targetId);
}
