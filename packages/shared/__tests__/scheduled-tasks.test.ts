import { describe, expect, it } from '@jest/globals';
import {
  DescribeRuleCommand,
  ListRuleNamesByTargetCommand,
  ListTargetsByRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  GetScheduleCommand,
  ListSchedulesCommand,
  UpdateScheduleCommand,
  type GetScheduleOutput,
} from '@aws-sdk/client-scheduler';
import { parseScheduledTasks } from '../src/scheduled-tasks/input.js';
import {
  findScheduledTasks,
  pointScheduledTasksAt,
  scheduleFailure,
  type ScheduleClients,
} from '../src/scheduled-tasks/update.js';

const CLUSTER = 'arn:aws:ecs:eu-west-1:123456789012:cluster/mpac';
const td = (family: string, revision: number) =>
  `arn:aws:ecs:eu-west-1:123456789012:task-definition/${family}:${revision}`;

/** Scheduler and EventBridge as plain maps, recording every call. */
function fakeAws(
  schedules: Record<string, GetScheduleOutput>,
  rules: Record<string, { expression: string; targets: Record<string, unknown>[] }> = {},
) {
  const calls: { name: string; input: Record<string, unknown> }[] = [];
  const failing = new Set<string>();
  const scheduler = {
    send: async (command: { input: Record<string, unknown> }) => {
      calls.push({ name: command.constructor.name, input: command.input });
      const key = `${String(command.input.GroupName ?? 'default')}/${String(command.input.Name)}`;
      if (command instanceof ListSchedulesCommand)
        return {
          Schedules: Object.values(schedules).map((schedule) => ({
            Name: schedule.Name,
            GroupName: schedule.GroupName,
            Target: { Arn: schedule.Target!.Arn },
          })),
        };
      if (command instanceof GetScheduleCommand) {
        if (!schedules[key])
          throw Object.assign(new Error(`Schedule ${key} does not exist.`), {
            name: 'ResourceNotFoundException',
          });
        return structuredClone(schedules[key]);
      }
      if (command instanceof UpdateScheduleCommand) {
        if (failing.has(key))
          throw Object.assign(new Error('We are sorry'), { name: 'InternalServerException' });
        schedules[key] = {
          ...(structuredClone(command.input) as GetScheduleOutput),
          CreationDate: schedules[key]!.CreationDate,
        };
        return {};
      }
      throw new Error(`unexpected ${command.constructor.name}`);
    },
  };
  const events = {
    send: async (command: { input: Record<string, unknown> }) => {
      calls.push({ name: command.constructor.name, input: command.input });
      const rule = rules[String(command.input.Rule ?? command.input.Name)];
      if (command instanceof ListRuleNamesByTargetCommand)
        return {
          RuleNames: Object.keys(rules).filter((name) =>
            rules[name]!.targets.some((target) => target.Arn === command.input.TargetArn),
          ),
        };
      if (!rule) throw Object.assign(new Error('no rule'), { name: 'ResourceNotFoundException' });
      if (command instanceof DescribeRuleCommand) return { ScheduleExpression: rule.expression };
      if (command instanceof ListTargetsByRuleCommand) return { Targets: structuredClone(rule.targets) };
      if (command instanceof PutTargetsCommand) {
        for (const target of command.input.Targets as unknown as Record<string, unknown>[]) {
          const index = rule.targets.findIndex((entry) => entry.Id === target.Id);
          rule.targets[index] = structuredClone(target);
        }
        return { FailedEntryCount: 0 };
      }
      throw new Error(`unexpected ${command.constructor.name}`);
    },
  };
  return { clients: { scheduler, events } as unknown as ScheduleClients, calls, failing, schedules, rules };
}

const schedule = (name: string, taskDefinitionArn: string, cluster = CLUSTER): GetScheduleOutput => ({
  Name: name,
  GroupName: 'default',
  Arn: `arn:aws:scheduler:eu-west-1:123456789012:schedule/default/${name}`,
  ScheduleExpression: 'cron(0 3 * * ? *)',
  ScheduleExpressionTimezone: 'Asia/Tokyo',
  Description: 'nightly reconciliation',
  State: 'ENABLED',
  FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 10 },
  Target: {
    Arn: cluster,
    RoleArn: 'arn:aws:iam::123456789012:role/matcher-scheduler',
    Input: '{"containerOverrides":[{"name":"app","command":["reconcile","--since","24h"]}]}',
    RetryPolicy: { MaximumRetryAttempts: 2 },
    EcsParameters: {
      TaskDefinitionArn: taskDefinitionArn,
      TaskCount: 1,
      LaunchType: 'FARGATE',
      NetworkConfiguration: { awsvpcConfiguration: { Subnets: ['subnet-1'], AssignPublicIp: 'DISABLED' } },
      Tags: [{ team: 'pgw' }],
    },
  },
});

describe('the scheduled-tasks input', () => {
  it('reads schedule names, groups, ARNs and rules, or auto', () => {
    expect(
      parseScheduledTasks(
        'matcher, reports/nightly\narn:aws:scheduler:eu-west-1:123456789012:schedule/ops/sweep\nrule/matcher-rule, rule/payments/settle\narn:aws:events:eu-west-1:123456789012:rule/legacy',
      ),
    ).toEqual({
      auto: false,
      refs: [
        { via: 'scheduler', group: 'default', name: 'matcher' },
        { via: 'scheduler', group: 'reports', name: 'nightly' },
        { via: 'scheduler', group: 'ops', name: 'sweep' },
        { via: 'events', bus: 'default', rule: 'matcher-rule' },
        { via: 'events', bus: 'payments', rule: 'settle' },
        { via: 'events', bus: 'default', rule: 'legacy' },
      ],
    });
    expect(parseScheduledTasks(' auto ')).toEqual({ auto: true });
    expect(parseScheduledTasks('')).toBeUndefined();
  });

  it('refuses what names neither, and auto mixed with names', () => {
    expect(() => parseScheduledTasks('auto, matcher')).toThrow(
      "Input 'scheduled-tasks' is 'auto' together with names (auto, matcher); give one or the other",
    );
    expect(() => parseScheduledTasks('matcher at 3am')).toThrow(
      "Input 'scheduled-tasks' names 'matcher at 3am', which is not a schedule (name, group/name or its ARN) nor an EventBridge rule (rule/<name>, rule/<bus>/<name> or its ARN). A valid value looks like: matcher, reports/nightly, rule/matcher-nightly (or auto)",
    );
  });
});

describe('scheduled tasks following a release', () => {
  it('changes only the revision: overrides, role, retries, network, tags, time zone and window are sent back as they were', async () => {
    const aws = fakeAws({ 'default/matcher': schedule('matcher', td('mpac-pgw', 4)) });
    const before = structuredClone(aws.schedules['default/matcher']!);
    const tasks = await findScheduledTasks(aws.clients, parseScheduledTasks('matcher')!, {
      cluster: 'mpac',
      family: 'mpac-pgw',
    });
    const [update] = await pointScheduledTasksAt(
      aws.clients,
      tasks,
      td('mpac-pgw', 5),
      new Date('2026-12-03T08:00:00Z'),
    );
    expect(update).toEqual({
      label: 'schedule default/matcher',
      from: td('mpac-pgw', 4),
      to: td('mpac-pgw', 5),
      status: 'updated',
      // 03:00 in Tokyo.
      nextRun: new Date('2026-12-03T18:00:00Z'),
    });
    const { Arn: _arn, CreationDate: _created, ...sent } = before;
    expect(aws.calls.find((call) => call.name === 'UpdateScheduleCommand')!.input).toEqual({
      ...sent,
      Target: {
        ...before.Target,
        EcsParameters: { ...before.Target!.EcsParameters, TaskDefinitionArn: td('mpac-pgw', 5) },
      },
    });
  });

  it('finds with auto only what runs the family on the cluster, schedules and rules alike', async () => {
    const aws = fakeAws(
      {
        'default/matcher': schedule('matcher', td('mpac-pgw', 4)),
        'default/portal-report': schedule('portal-report', td('svc-portal', 9)),
        'default/other-cluster': schedule(
          'other-cluster',
          td('mpac-pgw', 4),
          'arn:aws:ecs:eu-west-1:123456789012:cluster/dr',
        ),
      },
      {
        'matcher-rule': {
          expression: 'rate(1 day)',
          targets: [
            {
              Id: 'a',
              Arn: CLUSTER,
              RoleArn: 'arn:aws:iam::123456789012:role/r',
              EcsParameters: { TaskDefinitionArn: td('mpac-pgw', 3) },
            },
            {
              Id: 'b',
              Arn: CLUSTER,
              RoleArn: 'arn:aws:iam::123456789012:role/r',
              EcsParameters: { TaskDefinitionArn: td('svc-portal', 9) },
            },
          ],
        },
      },
    );
    const tasks = await findScheduledTasks(
      aws.clients,
      { auto: true },
      { cluster: CLUSTER, family: 'mpac-pgw' },
    );
    expect(tasks.map((task) => [task.label, task.taskDefinitionArn])).toEqual([
      ['schedule default/matcher', td('mpac-pgw', 4)],
      ['rule matcher-rule (target a)', td('mpac-pgw', 3)],
    ]);
    await pointScheduledTasksAt(aws.clients, tasks, td('mpac-pgw', 5));
    expect(
      aws.rules['matcher-rule']!.targets.map(
        (target) => (target.EcsParameters as { TaskDefinitionArn: string }).TaskDefinitionArn,
      ),
    ).toEqual([td('mpac-pgw', 5), td('svc-portal', 9)]);
    expect(aws.schedules['default/portal-report']!.Target!.EcsParameters!.TaskDefinitionArn).toBe(
      td('svc-portal', 9),
    );
  });

  it('refuses a named schedule of another family before changing anything', async () => {
    const aws = fakeAws({ 'default/portal-report': schedule('portal-report', td('svc-portal', 9)) });
    await expect(
      findScheduledTasks(aws.clients, parseScheduledTasks('portal-report')!, {
        cluster: CLUSTER,
        family: 'mpac-pgw',
      }),
    ).rejects.toThrow(
      "Input 'scheduled-tasks' names schedule default/portal-report, which runs svc-portal, not this service's family mpac-pgw",
    );
    expect(aws.calls.map((call) => call.name)).toEqual(['GetScheduleCommand']);
  });

  it('goes on past a failure, says which still runs what, and a second pass converges without touching the done ones', async () => {
    const aws = fakeAws({
      'default/matcher': schedule('matcher', td('mpac-pgw', 4)),
      'default/matcher-eu': schedule('matcher-eu', td('mpac-pgw', 4)),
    });
    const tasks = await findScheduledTasks(aws.clients, parseScheduledTasks('matcher, matcher-eu')!, {
      cluster: CLUSTER,
      family: 'mpac-pgw',
    });
    aws.failing.add('default/matcher');
    const first = await pointScheduledTasksAt(aws.clients, tasks, td('mpac-pgw', 5));
    expect(first.map((update) => update.status)).toEqual(['failed', 'updated']);
    expect(scheduleFailure(first, td('mpac-pgw', 5))).toBe(
      `1 scheduled task still runs another release than the one customers are on (${td('mpac-pgw', 5)}): schedule default/matcher still runs ${td('mpac-pgw', 4)} (We are sorry). Traffic is not moved back; run the job again once the cause is fixed, and it puts them on the release.`,
    );
    aws.failing.clear();
    aws.calls.length = 0;
    const second = await pointScheduledTasksAt(aws.clients, tasks, td('mpac-pgw', 5));
    expect(second.map((update) => update.status)).toEqual(['updated', 'unchanged']);
    expect(scheduleFailure(second, td('mpac-pgw', 5))).toBeUndefined();
    expect(
      aws.calls.filter((call) => call.name === 'UpdateScheduleCommand').map((call) => call.input.Name),
    ).toEqual(['matcher']);
  });
});
