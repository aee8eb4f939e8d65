/**
 * EventBridge Scheduler and EventBridge rules on the twin, through the real SDK v3 clients: the
 * scenario's scheduled tasks, UpdateSchedule and PutTargets replacing what they are given, AWS's
 * refusals, and the scheduled ECS task run at its time with the revision its target names then.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import {
  DescribeRuleCommand,
  ListRuleNamesByTargetCommand,
  ListTargetsByRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateScheduleCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  paginateListSchedules,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { startTwin, type Twin } from '../src/index.js';
import { clientsFor } from './clients.js';

let twin: Twin;
let clients: ReturnType<typeof clientsFor>;
beforeAll(async () => {
  twin = await startTwin({
    blueGreen: [{ name: 'mpac-pgw', image: 'pgw:v1' }],
    images: { 'pgw:v1': {}, 'pgw:v2': { exitCode: 0 }, 'pgw:broken': { exitCode: 3 } },
    scheduledTasks: [
      { name: 'matcher', service: 'mpac-pgw', schedule: 'cron(0 3 * * ? *)' },
      { name: 'matcher-rule', service: 'mpac-pgw', schedule: 'cron(0 3 * * ? *)', via: 'events' },
    ],
    pageSize: 1,
  });
  clients = clientsFor(twin);
});
afterAll(() => twin.close());

const register = async (image: string) =>
  (
    await clients.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: twin.resources['mpac-pgw']!.family,
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        containerDefinitions: [{ name: twin.resources['mpac-pgw']!.containerName, image, essential: true }],
      }),
    )
  ).taskDefinition!.taskDefinitionArn!;

const failure = (call: Promise<unknown>) =>
  call.then(
    () => 'succeeded',
    (error: { name: string; message: string; $metadata?: { httpStatusCode?: number } }) =>
      `${error.name} (${error.$metadata?.httpStatusCode}): ${error.message}`,
  );

describe('EventBridge Scheduler on the twin', () => {
  it("creates the scenario's schedule at the service's current revision, with its overrides", async () => {
    const schedule = await clients.scheduler.send(new GetScheduleCommand({ Name: 'matcher' }));
    expect(schedule).toMatchObject({
      Name: 'matcher',
      GroupName: 'default',
      Arn: `arn:aws:scheduler:${twin.account.region}:${twin.account.accountId}:schedule/default/matcher`,
      ScheduleExpression: 'cron(0 3 * * ? *)',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: twin.resources['mpac-pgw']!.clusterArn,
        EcsParameters: { TaskDefinitionArn: twin.resources['mpac-pgw']!.taskDefinitionArn, TaskCount: 1 },
      },
    });
    expect(schedule.CreationDate).toBeInstanceOf(Date);
    expect(JSON.parse(schedule.Target!.Input!)).toEqual({
      containerOverrides: [{ name: twin.resources['mpac-pgw']!.containerName, command: ['reconcile'] }],
    });
  });

  it('lists schedules a page at a time, each with its target ARN only', async () => {
    await clients.scheduler.send(
      new CreateScheduleCommand({
        Name: 'nightly-report',
        ScheduleExpression: 'rate(1 day)',
        FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 15 },
        Target: {
          Arn: 'arn:aws:sqs:eu-west-1:123456789012:reports',
          RoleArn: 'arn:aws:iam::123456789012:role/x',
        },
      }),
    );
    const first = await clients.scheduler.send(new ListSchedulesCommand({}));
    expect(first.Schedules).toHaveLength(1);
    expect(first.NextToken).toBeDefined();
    const names: string[] = [];
    for await (const page of paginateListSchedules({ client: clients.scheduler }, {}))
      names.push(...page.Schedules!.map((schedule) => schedule.Name!));
    expect(names.sort()).toEqual(['matcher', 'nightly-report']);
    expect(first.Schedules![0]!.Target).toEqual({ Arn: expect.any(String) });
  });

  it('replaces the whole schedule on UpdateSchedule: what is left out is gone, State back to ENABLED', async () => {
    await clients.scheduler.send(
      new CreateScheduleCommand({
        Name: 'replaced',
        ScheduleExpression: 'rate(5 minutes)',
        Description: 'kept only if sent again',
        State: 'DISABLED',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: { Arn: 'arn:aws:sqs:eu-west-1:123456789012:q', RoleArn: 'arn:aws:iam::123456789012:role/x' },
      }),
    );
    await clients.scheduler.send(
      new UpdateScheduleCommand({
        Name: 'replaced',
        ScheduleExpression: 'rate(10 minutes)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: { Arn: 'arn:aws:sqs:eu-west-1:123456789012:q', RoleArn: 'arn:aws:iam::123456789012:role/x' },
      }),
    );
    const after = await clients.scheduler.send(new GetScheduleCommand({ Name: 'replaced' }));
    expect(after.Description).toBeUndefined();
    expect(after.State).toBe('ENABLED');
    expect(after.ScheduleExpression).toBe('rate(10 minutes)');
  });

  it('refuses what Scheduler refuses, in its own errors, and changes nothing', async () => {
    const before = await clients.scheduler.send(new GetScheduleCommand({ Name: 'matcher' }));
    expect(await failure(clients.scheduler.send(new GetScheduleCommand({ Name: 'no-such' })))).toBe(
      'ResourceNotFoundException (404): Schedule no-such does not exist.',
    );
    const update = (change: Record<string, unknown>) =>
      failure(
        clients.scheduler.send(
          new UpdateScheduleCommand({
            Name: 'matcher',
            ScheduleExpression: before.ScheduleExpression!,
            FlexibleTimeWindow: before.FlexibleTimeWindow!,
            Target: before.Target!,
            ...change,
          }),
        ),
      );
    expect(await update({ ScheduleExpression: 'cron(0 3 * * * *)' })).toBe(
      'ValidationException (400): Invalid Schedule Expression cron(0 3 * * * *).',
    );
    expect(await update({ Target: { ...before.Target!, RoleArn: undefined } })).toMatch(
      /^ValidationException \(400\): .*roleArn|^ValidationException \(400\): Target: RoleArn is required/,
    );
    expect(
      await update({ Target: { ...before.Target!, EcsParameters: { TaskDefinitionArn: 'mpac-pgw:1' } } }),
    ).toBe(
      'ValidationException (400): Target: EcsParameters.TaskDefinitionArn mpac-pgw:1 is not a task definition ARN.',
    );
    expect(await update({ ScheduleExpressionTimezone: 'Mars/Olympus' })).toBe(
      'ValidationException (400): Invalid Schedule Expression Timezone Mars/Olympus.',
    );
    const { $metadata: _after, ...after } = await clients.scheduler.send(
      new GetScheduleCommand({ Name: 'matcher' }),
    );
    const { $metadata: _before, ...unchanged } = before;
    expect(after).toEqual(unchanged);
  });

  it('runs the revision the target names when the schedule runs, and its exit code', async () => {
    const v2 = await register('pgw:v2');
    const before = await clients.scheduler.send(new GetScheduleCommand({ Name: 'matcher' }));
    const [first] = twin.runSchedule('matcher');
    expect(first).toMatchObject({
      via: 'scheduler',
      name: 'default/matcher',
      taskDefinitionArn: before.Target!.EcsParameters!.TaskDefinitionArn,
    });
    expect(first!.task!.image).toBe('pgw:v1');
    await clients.scheduler.send(
      new UpdateScheduleCommand({
        Name: 'matcher',
        ScheduleExpression: before.ScheduleExpression!,
        FlexibleTimeWindow: before.FlexibleTimeWindow!,
        Target: {
          ...before.Target!,
          EcsParameters: { ...before.Target!.EcsParameters!, TaskDefinitionArn: v2 },
        },
      }),
    );
    const [second] = twin.runSchedule('matcher');
    expect(second!.task!.image).toBe('pgw:v2');
    await twin.waitFor(
      () =>
        twin.scheduledRuns().find((run) => run.task?.arn === second!.task!.arn)?.task?.lastStatus ===
        'STOPPED',
      5000,
      'the scheduled task to finish',
    );
    expect(twin.scheduledRuns().find((run) => run.task?.arn === second!.task!.arn)?.task).toMatchObject({
      lastStatus: 'STOPPED',
      exitCode: 0,
    });
  });
});

describe('EventBridge rules on the twin', () => {
  it("holds the scenario's rule with its ECS target, found by the cluster it targets", async () => {
    const rule = await clients.events.send(new DescribeRuleCommand({ Name: 'matcher-rule' }));
    expect(rule).toMatchObject({
      Name: 'matcher-rule',
      ScheduleExpression: 'cron(0 3 * * ? *)',
      State: 'ENABLED',
    });
    const { RuleNames } = await clients.events.send(
      new ListRuleNamesByTargetCommand({ TargetArn: twin.resources['mpac-pgw']!.clusterArn }),
    );
    expect(RuleNames).toEqual(['matcher-rule']);
    const { Targets } = await clients.events.send(new ListTargetsByRuleCommand({ Rule: 'matcher-rule' }));
    expect(Targets).toEqual([
      expect.objectContaining({
        Id: 'matcher-rule',
        Arn: twin.resources['mpac-pgw']!.clusterArn,
        EcsParameters: expect.objectContaining({
          TaskDefinitionArn: twin.resources['mpac-pgw']!.taskDefinitionArn,
        }),
      }),
    ]);
  });

  it('refuses an ECS target without a role as a whole request, and runs a target put with one', async () => {
    const { Targets } = await clients.events.send(new ListTargetsByRuleCommand({ Rule: 'matcher-rule' }));
    const target = Targets![0]!;
    expect(
      await failure(
        clients.events.send(
          new PutTargetsCommand({ Rule: 'matcher-rule', Targets: [{ ...target, RoleArn: undefined }] }),
        ),
      ),
    ).toBe('ValidationException (400): Targets.matcher-rule: RoleArn is required for an ECS target.');
    expect(
      (await clients.events.send(new ListTargetsByRuleCommand({ Rule: 'matcher-rule' }))).Targets,
    ).toEqual(Targets);
    const broken = await register('pgw:broken');
    await clients.events.send(
      new PutTargetsCommand({
        Rule: 'matcher-rule',
        Targets: [{ ...target, EcsParameters: { ...target.EcsParameters!, TaskDefinitionArn: broken } }],
      }),
    );
    const [run] = twin.runSchedule('matcher-rule');
    expect(run).toMatchObject({ via: 'events', name: 'matcher-rule', taskDefinitionArn: broken });
    await twin.waitFor(
      () =>
        twin.scheduledRuns().some((seen) => seen.task?.arn === run!.task!.arn && seen.task.exitCode === 3),
      5000,
      'exit 3',
    );
  });
});

describe('scheduled tasks at their time', () => {
  it('starts a schedule when its time comes on the scaled clock (a minute in 100 ms)', async () => {
    const fast = await startTwin({
      timing: { minuteMs: 100 },
      blueGreen: [{ name: 'mpac-pgw', image: 'pgw:v1' }],
      scheduledTasks: [
        { name: 'every-minute', service: 'mpac-pgw', schedule: 'rate(1 minute)' },
        { name: 'every-minute-rule', service: 'mpac-pgw', schedule: 'cron(* * * * ? *)', via: 'events' },
      ],
    });
    try {
      await fast.waitFor(
        () =>
          ['default/every-minute', 'every-minute-rule'].every((name) =>
            fast.scheduledRuns().some((run) => run.name === name),
          ),
        10_000,
        'both scheduled tasks to run',
      );
      expect(fast.scheduledRuns().every((run) => run.task?.image === 'pgw:v1' && !run.error)).toBe(true);
    } finally {
      await fast.close();
    }
  });
});
