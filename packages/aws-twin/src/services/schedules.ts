/**
 * EventBridge Scheduler (restJson1: GET/PUT/POST/DELETE /schedules/{Name}, GET /schedules) and
 * EventBridge rules with their targets (awsJson1_1, `AWSEvents.*`): what a scheduled ECS task is
 * made of. As AWS does: UpdateSchedule replaces the whole schedule (a field left out is gone, State
 * back to ENABLED); PutTargets replaces each target it names by Id; an ECS target needs EcsParameters
 * with a TaskDefinitionArn and a role. `due()` lists the ECS targets whose time has come, for the
 * twin to run.
 */
import {
  parseScheduleExpression,
  nextRun,
  isTimeZone,
  type ScheduleExpression,
} from '../../../shared/src/schedule-expression.js';
import { AwsError } from '../errors.js';
import { arn, type Account } from '../ids.js';
import type { Pager } from '../pages.js';

type Json = Record<string, unknown>;

export interface Schedule {
  Name: string;
  GroupName: string;
  Arn: string;
  ScheduleExpression: string;
  ScheduleExpressionTimezone?: string;
  StartDate?: Date;
  EndDate?: Date;
  Description?: string;
  State: 'ENABLED' | 'DISABLED';
  KmsKeyArn?: string;
  Target: Json;
  FlexibleTimeWindow: Json;
  ActionAfterCompletion?: string;
  CreationDate: Date;
  LastModificationDate: Date;
}

export interface Rule {
  Name: string;
  Arn: string;
  EventBusName: string;
  ScheduleExpression?: string;
  EventPattern?: string;
  State: 'ENABLED' | 'DISABLED';
  Description?: string;
  targets: Map<string, Json>;
  /** When PutRule last wrote it: its times count again from then. */
  changedAt: number;
}

/** A scheduled ECS task the twin should start now: from which schedule or rule, with what. */
export interface DueRun {
  via: 'scheduler' | 'events';
  /** `<group>/<name>` for a schedule, the rule's name for a rule. */
  name: string;
  target: Json;
  at: Date;
}

const ROLE = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const ECS_CLUSTER = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster\/[\w-]+$/;
const dateOf = (value: unknown) =>
  value === undefined || value === null ? undefined : new Date(Number(value) * 1000);

/** EventBridge Scheduler. */
export class SchedulerService {
  readonly schedules = new Map<string, Schedule>();
  readonly groups = new Set(['default']);
  pager!: Pager;
  private readonly dueTimes = new DueTimes();

  constructor(
    private readonly account: Account,
    private readonly now: () => number,
  ) {}

  readonly handlers: Record<string, (input: Json) => unknown> = {
    CreateSchedule: (input) => {
      const group = String(input.GroupName ?? 'default');
      if (!this.groups.has(group)) throw notFound(`Schedule group ${group} does not exist.`);
      const key = `${group}/${String(input.Name)}`;
      if (this.schedules.has(key))
        throw new AwsError('ConflictException', `Schedule ${String(input.Name)} already exists.`, 409);
      const schedule = this.build(input, group);
      this.schedules.set(key, schedule);
      return { ScheduleArn: schedule.Arn };
    },
    GetSchedule: (input) => {
      const schedule = this.find(input);
      const { CreationDate, LastModificationDate, ...rest } = schedule;
      return { ...rest, CreationDate, LastModificationDate };
    },
    UpdateSchedule: (input) => {
      const existing = this.find(input);
      const schedule = { ...this.build(input, existing.GroupName), CreationDate: existing.CreationDate };
      this.schedules.set(`${existing.GroupName}/${existing.Name}`, schedule);
      return { ScheduleArn: schedule.Arn };
    },
    DeleteSchedule: (input) => {
      const schedule = this.find(input);
      this.schedules.delete(`${schedule.GroupName}/${schedule.Name}`);
      return {};
    },
    ListSchedules: (input) => {
      const group = input.ScheduleGroup === undefined ? undefined : String(input.ScheduleGroup);
      const prefix = String(input.NamePrefix ?? '');
      const state = input.State === undefined ? undefined : String(input.State);
      const matching = [...this.schedules.values()].filter(
        (schedule) =>
          (group === undefined || schedule.GroupName === group) &&
          schedule.Name.startsWith(prefix) &&
          (state === undefined || schedule.State === state),
      );
      const page = this.pager.page(
        matching,
        { token: input.NextToken, size: input.MaxResults },
        { defaultSize: 100, maxSize: 100, badTokenCode: 'ValidationException' },
      );
      return {
        Schedules: page.items.map((schedule) => ({
          Arn: schedule.Arn,
          Name: schedule.Name,
          GroupName: schedule.GroupName,
          State: schedule.State,
          CreationDate: schedule.CreationDate,
          LastModificationDate: schedule.LastModificationDate,
          Target: { Arn: schedule.Target.Arn },
        })),
        ...(page.nextToken ? { NextToken: page.nextToken } : {}),
      };
    },
  };

  /** The enabled schedules with an ECS target whose next time, after the last one run, has come. */
  due(clock: number): DueRun[] {
    const runs: DueRun[] = [];
    for (const schedule of this.schedules.values()) {
      const key = `${schedule.GroupName}/${schedule.Name}`;
      if (schedule.State !== 'ENABLED' || !schedule.Target.EcsParameters) continue;
      const at = this.dueTimes.take(key, clock, {
        expression: schedule.ScheduleExpression,
        timezone: schedule.ScheduleExpressionTimezone,
        changedAt: schedule.LastModificationDate.getTime(),
        ...(schedule.StartDate ? { startsAt: schedule.StartDate.getTime() } : {}),
        ...(schedule.EndDate ? { endsAt: schedule.EndDate.getTime() } : {}),
      });
      if (at) runs.push({ via: 'scheduler', name: key, target: schedule.Target, at });
    }
    return runs;
  }

  /** A schedule by `name` or `group/name`, for the twin's own use (runs on demand, tests). */
  get(name: string): Schedule | undefined {
    return this.schedules.get(name.includes('/') ? name : `default/${name}`);
  }

  private find(input: Json): Schedule {
    const group = String(input.GroupName ?? 'default');
    const schedule = this.schedules.get(`${group}/${String(input.Name)}`);
    if (!schedule) throw notFound(`Schedule ${String(input.Name)} does not exist.`);
    return schedule;
  }

  private build(input: Json, group: string): Schedule {
    const name = String(input.Name ?? '');
    const expression = String(input.ScheduleExpression ?? '');
    try {
      parseScheduleExpression(expression);
    } catch {
      throw invalid(`Invalid Schedule Expression ${expression}.`);
    }
    const zone = input.ScheduleExpressionTimezone as string | undefined;
    if (zone !== undefined && !isTimeZone(zone))
      throw invalid(`Invalid Schedule Expression Timezone ${zone}.`);
    const window = (input.FlexibleTimeWindow ?? {}) as Json;
    if (window.Mode === 'FLEXIBLE' && window.MaximumWindowInMinutes === undefined)
      throw invalid('MaximumWindowInMinutes is required when Mode is FLEXIBLE.');
    checkTarget((input.Target ?? {}) as Json, 'Target');
    const at = new Date(this.now());
    return {
      Name: name,
      GroupName: group,
      Arn: arn(this.account, 'scheduler', `schedule/${group}/${name}`),
      ScheduleExpression: expression,
      ...(zone !== undefined ? { ScheduleExpressionTimezone: zone } : {}),
      ...(input.StartDate !== undefined ? { StartDate: dateOf(input.StartDate) } : {}),
      ...(input.EndDate !== undefined ? { EndDate: dateOf(input.EndDate) } : {}),
      ...(input.Description !== undefined ? { Description: String(input.Description) } : {}),
      State: input.State === 'DISABLED' ? 'DISABLED' : 'ENABLED',
      ...(input.KmsKeyArn !== undefined ? { KmsKeyArn: String(input.KmsKeyArn) } : {}),
      Target: input.Target as Json,
      FlexibleTimeWindow: window,
      ...(input.ActionAfterCompletion !== undefined
        ? { ActionAfterCompletion: String(input.ActionAfterCompletion) }
        : {}),
      CreationDate: at,
      LastModificationDate: at,
    };
  }
}

/** EventBridge rules on the default bus (and named buses), with their targets. */
export class EventsService {
  readonly rules = new Map<string, Rule>();
  pager!: Pager;
  private readonly dueTimes = new DueTimes();

  constructor(
    private readonly account: Account,
    private readonly now: () => number,
  ) {}

  readonly handlers: Record<string, (input: Json) => unknown> = {
    PutRule: (input) => {
      const bus = String(input.EventBusName ?? 'default');
      const name = String(input.Name ?? '');
      if (input.ScheduleExpression === undefined && input.EventPattern === undefined)
        throw invalid('Parameter(s) EventPattern or ScheduleExpression must be specified.');
      if (input.ScheduleExpression !== undefined) {
        const expression = String(input.ScheduleExpression);
        let parsed: ScheduleExpression | undefined;
        try {
          parsed = parseScheduleExpression(expression);
        } catch {
          parsed = undefined;
        }
        if (!parsed || parsed.kind === 'at') throw invalid('Parameter ScheduleExpression is not valid.');
        if (bus !== 'default')
          throw invalid('ScheduleExpression is supported only on the default event bus.');
      }
      const key = `${bus}/${name}`;
      const rule: Rule = {
        Name: name,
        Arn: arn(this.account, 'events', bus === 'default' ? `rule/${name}` : `rule/${bus}/${name}`),
        EventBusName: bus,
        ...(input.ScheduleExpression !== undefined
          ? { ScheduleExpression: String(input.ScheduleExpression) }
          : {}),
        ...(input.EventPattern !== undefined ? { EventPattern: String(input.EventPattern) } : {}),
        State: input.State === 'DISABLED' ? 'DISABLED' : 'ENABLED',
        ...(input.Description !== undefined ? { Description: String(input.Description) } : {}),
        targets: this.rules.get(key)?.targets ?? new Map(),
        changedAt: this.now(),
      };
      this.rules.set(key, rule);
      return { RuleArn: rule.Arn };
    },
    DescribeRule: (input) => {
      const { targets: _targets, ...rule } = this.find(input.Name, input.EventBusName);
      return rule;
    },
    ListTargetsByRule: (input) => {
      const rule = this.find(input.Rule, input.EventBusName);
      const page = this.pager.page(
        [...rule.targets.values()],
        { token: input.NextToken, size: input.Limit },
        { defaultSize: 100, maxSize: 100, badTokenCode: 'ValidationException' },
      );
      return { Targets: page.items, ...(page.nextToken ? { NextToken: page.nextToken } : {}) };
    },
    PutTargets: (input) => {
      const rule = this.find(input.Rule, input.EventBusName);
      const targets = (input.Targets as Json[] | undefined) ?? [];
      const ids = new Set<string>();
      for (const target of targets) {
        const id = String(target.Id ?? '');
        if (ids.has(id)) throw invalid(`Target ids must be unique within a request: ${id}.`);
        ids.add(id);
      }
      if (rule.targets.size + [...ids].filter((id) => !rule.targets.has(id)).length > 5)
        throw new AwsError(
          'LimitExceededException',
          'The requested resource exceeds the maximum number allowed.',
        );
      // A target AWS refuses refuses the whole request, before any target changes.
      for (const target of targets) checkTarget(target, `Targets.${String(target.Id)}`);
      for (const target of targets) rule.targets.set(String(target.Id), target);
      return { FailedEntryCount: 0, FailedEntries: [] };
    },
    ListRuleNamesByTarget: (input) => {
      const bus = String(input.EventBusName ?? 'default');
      const wanted = String(input.TargetArn ?? '');
      const names = [...this.rules.values()]
        .filter(
          (rule) =>
            rule.EventBusName === bus && [...rule.targets.values()].some((target) => target.Arn === wanted),
        )
        .map((rule) => rule.Name);
      const page = this.pager.page(
        names,
        { token: input.NextToken, size: input.Limit },
        { defaultSize: 100, maxSize: 100, badTokenCode: 'ValidationException' },
      );
      return { RuleNames: page.items, ...(page.nextToken ? { NextToken: page.nextToken } : {}) };
    },
  };

  /** The enabled scheduled rules' ECS targets whose time has come. */
  due(clock: number): DueRun[] {
    const runs: DueRun[] = [];
    for (const [key, rule] of this.rules) {
      if (rule.State !== 'ENABLED' || !rule.ScheduleExpression) continue;
      const at = this.dueTimes.take(key, clock, {
        expression: rule.ScheduleExpression,
        changedAt: rule.changedAt,
      });
      if (!at) continue;
      for (const target of rule.targets.values())
        if (target.EcsParameters) runs.push({ via: 'events', name: rule.Name, target, at });
    }
    return runs;
  }

  get(name: string, bus = 'default'): Rule | undefined {
    return this.rules.get(`${bus}/${name}`);
  }

  private find(name: unknown, bus: unknown): Rule {
    const rule = this.rules.get(`${String(bus ?? 'default')}/${String(name)}`);
    if (!rule)
      throw new AwsError(
        'ResourceNotFoundException',
        `Rule ${String(name)} does not exist on EventBus ${String(bus ?? 'default')}.`,
      );
    return rule;
  }
}

/**
 * When each schedule or rule next comes due on the twin's clock: computed when it is first seen or
 * changed, and after each run, not on every tick. Times count from when the twin first saw it.
 */
class DueTimes {
  private readonly next = new Map<string, { changedAt: number; at?: number }>();

  /** The time `key` came due, when it has by `clock` (then its next time is set), else undefined. */
  take(
    key: string,
    clock: number,
    definition: {
      expression: string;
      timezone?: string;
      changedAt: number;
      startsAt?: number;
      endsAt?: number;
    },
  ): Date | undefined {
    const after = (from: number) =>
      nextRun(parseScheduleExpression(definition.expression), new Date(from), {
        timezone: definition.timezone,
        start: new Date(from),
      })?.getTime();
    let entry = this.next.get(key);
    if (!entry || entry.changedAt !== definition.changedAt) {
      // Not before its start date (Scheduler's StartDate).
      entry = { changedAt: definition.changedAt, at: after(Math.max(clock, definition.startsAt ?? clock)) };
      this.next.set(key, entry);
    }
    const at = entry.at;
    if (at === undefined || at > clock || (definition.endsAt !== undefined && at > definition.endsAt))
      return undefined;
    entry.at = after(clock);
    return new Date(at);
  }
}

/** What both services check in a target: a role to run it with, and for ECS the task definition. */
function checkTarget(target: Json, at: string): void {
  const targetArn = String(target.Arn ?? '');
  if (ECS_CLUSTER.test(targetArn)) {
    const ecs = target.EcsParameters as Json | undefined;
    if (!ecs?.TaskDefinitionArn)
      throw invalid(`${at}: EcsParameters.TaskDefinitionArn is required for an ECS target.`);
    if (
      !/^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/[\w-]+(:\d+)?$/.test(
        String(ecs.TaskDefinitionArn),
      )
    )
      throw invalid(
        `${at}: EcsParameters.TaskDefinitionArn ${String(ecs.TaskDefinitionArn)} is not a task definition ARN.`,
      );
    if (!ROLE.test(String(target.RoleArn ?? '')))
      throw invalid(`${at}: RoleArn is required for an ECS target.`);
  }
  if (target.Input !== undefined) {
    try {
      JSON.parse(String(target.Input));
    } catch {
      throw invalid(`${at}: Input is not valid JSON.`);
    }
  }
}

const notFound = (message: string) => new AwsError('ResourceNotFoundException', message, 404);
const invalid = (message: string) => new AwsError('ValidationException', message, 400);
