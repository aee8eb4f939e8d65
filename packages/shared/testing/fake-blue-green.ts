/**
 * An in-memory blue/green service for unit tests: ECS, ELB and CloudWatch mocked with
 * aws-sdk-client-mock over one small world whose writes later reads see. Services become healthy at
 * once; faults and other runs are injected by editing the world or with `failNext`.
 */
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import {
  AddTagsCommand,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
  RemoveTagsCommand,
  type Action,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import type { AwsClients } from '../src/aws.js';
import type { Color } from '../src/traffic.js';

export const ARNS = {
  rule: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee',
  testRule:
    'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/aaaaaaaaaaaaaaaa/bbbbbbbbbbbbbbbb',
  groups: {
    blue: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/svc-blue/1111111111111111',
    green: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/svc-green/2222222222222222',
  } as Record<Color, string>,
};

export const taskDefinitionArn = (revision: number) =>
  `arn:aws:ecs:eu-west-1:123456789012:task-definition/svc:${revision}`;

interface FakeService {
  taskDefinition: string;
  desiredCount: number;
  runningCount: number;
  /** The rollout of the newest UpdateService: `FAILED` makes waits fail. */
  rollout: 'COMPLETED' | 'FAILED';
}

export interface FakeWorld {
  weights: Record<Color, number>;
  /** The colour the test rule forwards to. */
  testColor: Color;
  tags: Map<string, string>;
  services: Record<Color, FakeService>;
  revisions: { arn: string; definition: Record<string, unknown>; tags: Map<string, string> }[];
  /** Per colour, what GetMetricData answers for every period: requests, 5xx, p95 (absent when 0 / undefined). */
  metrics: Record<Color, { requests: number; errors: number; p95Seconds?: number }>;
  alarms: Map<string, string>;
  /** Exit code of migration tasks. */
  migrationExitCode: number;
  /** Stopped tasks of the services, as ListTasks (STOPPED) and DescribeTasks show them. */
  stoppedTasks: {
    taskArn: string;
    serviceName: string;
    stoppedAt: Date;
    stoppedReason: string;
    containers: { name: string; exitCode?: number }[];
  }[];
  /** Every call, as `Operation` or `Operation detail`, in order. */
  calls: string[];
  /** Make the next `times` calls of `operation` fail with a 503 (after acting, when `afterActing`). */
  failNext(operation: string, times: number, options?: { afterActing?: boolean }): void;
  /** Runs once, right before the next call of `operation` is answered. */
  beforeNext(operation: string, action: () => void): void;
}

export interface FakeBlueGreen {
  world: FakeWorld;
  clients: AwsClients;
  restore(): void;
}

function forward(weights: Record<Color, number>): Action[] {
  return [
    {
      Type: 'forward',
      ForwardConfig: {
        TargetGroups: [
          { TargetGroupArn: ARNS.groups.blue, Weight: weights.blue },
          { TargetGroupArn: ARNS.groups.green, Weight: weights.green },
        ],
      },
    },
  ];
}

function weightsOf(actions: Action[]): Record<Color, number> {
  const groups = actions[0]?.ForwardConfig?.TargetGroups ?? [];
  const weight = (color: Color) =>
    groups.find((group) => group.TargetGroupArn === ARNS.groups[color])?.Weight ?? 0;
  return { blue: weight('blue'), green: weight('green') };
}

class ServiceUnavailable extends Error {
  readonly $metadata = { httpStatusCode: 503 };
  constructor(operation: string) {
    super(`Injected: ${operation} is unavailable`);
    this.name = 'ServiceUnavailable';
  }
}

export function fakeBlueGreen(
  options: {
    live?: Color;
    weights?: Record<Color, number>;
    /** Tasks the idle colour runs (default 0, scaled down). */
    idleRunning?: number;
  } = {},
): FakeBlueGreen {
  const live = options.live ?? 'blue';
  const idle: Color = live === 'blue' ? 'green' : 'blue';
  const failures = new Map<string, { times: number; afterActing: boolean }>();
  const hooks = new Map<string, () => void>();
  const world: FakeWorld = {
    weights: options.weights ?? { blue: live === 'blue' ? 100 : 0, green: live === 'green' ? 100 : 0 },
    testColor: idle,
    tags: new Map(),
    services: {
      [live]: {
        taskDefinition: taskDefinitionArn(1),
        desiredCount: 2,
        runningCount: 2,
        rollout: 'COMPLETED',
      },
      [idle]: {
        taskDefinition: taskDefinitionArn(1),
        desiredCount: options.idleRunning ?? 0,
        runningCount: options.idleRunning ?? 0,
        rollout: 'COMPLETED',
      },
    } as Record<Color, FakeService>,
    revisions: [
      {
        arn: taskDefinitionArn(1),
        definition: {
          family: 'svc',
          status: 'ACTIVE',
          taskDefinitionArn: taskDefinitionArn(1),
          containerDefinitions: [{ name: 'app', image: 'svc:v1' }],
        },
        tags: new Map(),
      },
    ],
    metrics: { blue: { requests: 0, errors: 0 }, green: { requests: 0, errors: 0 } },
    alarms: new Map(),
    migrationExitCode: 0,
    stoppedTasks: [],
    calls: [],
    failNext: (operation, times, failOptions) =>
      failures.set(operation, { times, afterActing: failOptions?.afterActing ?? false }),
    beforeNext: (operation, action) => hooks.set(operation, action),
  };

  /** Wraps a handler: records the call, runs hooks, injects failures before or after acting. */
  const serve =
    <I, O>(operation: string, handler: (input: I) => O, detail?: (input: I) => string) =>
    (input: I): O => {
      world.calls.push(detail ? `${operation} ${detail(input)}` : operation);
      const hook = hooks.get(operation);
      if (hook) {
        hooks.delete(operation);
        hook();
      }
      const failure = failures.get(operation);
      if (failure && failure.times > 0) {
        failure.times--;
        if (failure.afterActing) handler(input);
        throw new ServiceUnavailable(operation);
      }
      return handler(input);
    };

  const colorOfService = (name: string): Color => (name.endsWith('blue') ? 'blue' : 'green');
  const describeService = (color: Color) => {
    const service = world.services[color];
    return {
      serviceName: `svc-${color}`,
      status: 'ACTIVE',
      taskDefinition: service.taskDefinition,
      desiredCount: service.desiredCount,
      runningCount: service.runningCount,
      loadBalancers: [{ targetGroupArn: ARNS.groups[color], containerName: 'app', containerPort: 8080 }],
      deployments: [
        { status: 'PRIMARY', taskDefinition: service.taskDefinition, rolloutState: service.rollout },
      ],
      events: [],
    };
  };

  const ecs = mockClient(ECSClient);
  ecs.on(DescribeServicesCommand).callsFake(
    serve('DescribeServices', (input: { services: string[] }) => ({
      services: input.services.map((name) => describeService(colorOfService(name))),
    })),
  );
  ecs.on(UpdateServiceCommand).callsFake(
    serve(
      'UpdateService',
      (input: { service: string; taskDefinition?: string; desiredCount?: number }) => {
        const service = world.services[colorOfService(input.service)];
        if (input.taskDefinition) service.taskDefinition = input.taskDefinition;
        if (input.desiredCount !== undefined) service.desiredCount = input.desiredCount;
        if (service.rollout === 'COMPLETED') service.runningCount = service.desiredCount;
        return { service: describeService(colorOfService(input.service)) };
      },
      (input) =>
        [input.service, input.taskDefinition, input.desiredCount]
          .filter((part) => part !== undefined)
          .join(' '),
    ),
  );
  ecs.on(DescribeTaskDefinitionCommand).callsFake(
    serve('DescribeTaskDefinition', (input: { taskDefinition: string; include?: string[] }) => {
      const found = input.taskDefinition.startsWith('arn:')
        ? world.revisions.find((revision) => revision.arn === input.taskDefinition)
        : world.revisions.at(-1);
      if (!found)
        throw Object.assign(new Error('Unable to describe task definition.'), { name: 'ClientException' });
      return {
        taskDefinition: found.definition,
        ...(input.include?.includes('TAGS')
          ? { tags: [...found.tags].map(([key, value]) => ({ key, value })) }
          : {}),
      };
    }),
  );
  ecs.on(ListTaskDefinitionsCommand).callsFake(
    serve('ListTaskDefinitions', (input: { familyPrefix?: string; status?: string; sort?: string }) => {
      const arns = world.revisions
        .filter(
          (revision) =>
            (revision.definition.status ?? 'ACTIVE') === (input.status ?? 'ACTIVE') &&
            (!input.familyPrefix || revision.definition.family === input.familyPrefix),
        )
        .map((revision) => revision.arn);
      return { taskDefinitionArns: input.sort === 'DESC' ? arns.reverse() : arns };
    }),
  );
  ecs.on(RegisterTaskDefinitionCommand).callsFake(
    serve('RegisterTaskDefinition', (input: Record<string, unknown>) => {
      const arn = taskDefinitionArn(world.revisions.length + 1);
      const { tags, ...definition } = input as { tags?: { key: string; value: string }[] };
      world.revisions.push({
        arn,
        definition: { ...definition, status: 'ACTIVE', taskDefinitionArn: arn },
        tags: new Map((tags ?? []).map((tag) => [tag.key, tag.value])),
      });
      return { taskDefinition: { ...definition, taskDefinitionArn: arn } };
    }),
  );
  ecs
    .on(RunTaskCommand)
    .callsFake(
      serve('RunTask', () => ({ tasks: [{ taskArn: 'arn:aws:ecs:eu-west-1:1:task/mpac/migration' }] })),
    );
  ecs.on(DescribeTasksCommand).callsFake(
    serve('DescribeTasks', (input: { tasks: string[] }) => ({
      tasks: world.stoppedTasks.some((task) => input.tasks.includes(task.taskArn))
        ? world.stoppedTasks
            .filter((task) => input.tasks.includes(task.taskArn))
            .map((task) => ({ ...task, lastStatus: 'STOPPED' }))
        : [
            {
              taskArn: 'arn:aws:ecs:eu-west-1:1:task/mpac/migration',
              lastStatus: 'STOPPED',
              stoppedReason: 'Essential container in task exited',
              containers: [{ name: 'app', exitCode: world.migrationExitCode }],
            },
          ],
    })),
  );
  ecs.on(ListTasksCommand).callsFake(
    serve('ListTasks', (input: { serviceName?: string; desiredStatus?: string }) => ({
      taskArns:
        input.desiredStatus === 'STOPPED'
          ? world.stoppedTasks
              .filter((task) => task.serviceName === input.serviceName)
              .map((task) => task.taskArn)
          : [],
    })),
  );

  const elbv2 = mockClient(ElasticLoadBalancingV2Client);
  elbv2.on(DescribeRulesCommand).callsFake(
    serve('DescribeRules', (input: { RuleArns: string[] }) => ({
      Rules: input.RuleArns.map((arn) => ({
        RuleArn: arn,
        Actions:
          arn === ARNS.testRule
            ? [
                {
                  Type: 'forward',
                  ForwardConfig: {
                    TargetGroups: [{ TargetGroupArn: ARNS.groups[world.testColor], Weight: 1 }],
                  },
                },
              ]
            : forward(world.weights),
      })),
    })),
  );
  elbv2.on(ModifyRuleCommand).callsFake(
    serve(
      'ModifyRule',
      (input: { RuleArn: string; Actions: Action[] }) => {
        if (input.RuleArn === ARNS.testRule) {
          const target = input.Actions[0]!.ForwardConfig!.TargetGroups![0]!.TargetGroupArn;
          world.testColor = target === ARNS.groups.blue ? 'blue' : 'green';
        } else world.weights = weightsOf(input.Actions);
        return {};
      },
      (input) => {
        if (input.RuleArn === ARNS.testRule) return 'test';
        const weights = weightsOf(input.Actions);
        return `${weights.blue}/${weights.green}`;
      },
    ),
  );
  elbv2.on(DescribeListenersCommand).callsFake(serve('DescribeListeners', () => ({ Listeners: [] })));
  elbv2.on(ModifyListenerCommand).callsFake(serve('ModifyListener', () => ({})));
  elbv2.on(DescribeTagsCommand).callsFake(
    serve('DescribeTags', (input: { ResourceArns: string[] }) => ({
      TagDescriptions: input.ResourceArns.map((arn) => ({
        ResourceArn: arn,
        Tags: arn === ARNS.rule ? [...world.tags].map(([Key, Value]) => ({ Key, Value })) : [],
      })),
    })),
  );
  elbv2.on(AddTagsCommand).callsFake(
    serve('AddTags', (input: { Tags: { Key: string; Value: string }[] }) => {
      for (const tag of input.Tags) world.tags.set(tag.Key, tag.Value);
      return {};
    }),
  );
  elbv2.on(RemoveTagsCommand).callsFake(
    serve('RemoveTags', (input: { TagKeys: string[] }) => {
      for (const key of input.TagKeys) world.tags.delete(key);
      return {};
    }),
  );
  elbv2.on(DescribeTargetHealthCommand).callsFake(
    serve('DescribeTargetHealth', (input: { TargetGroupArn: string }) => {
      const color: Color = input.TargetGroupArn === ARNS.groups.blue ? 'blue' : 'green';
      return {
        TargetHealthDescriptions: Array.from({ length: world.services[color].runningCount }, (_, index) => ({
          Target: { Id: `10.0.0.${index}`, Port: 8080 },
          TargetHealth: { State: 'healthy' },
        })),
      };
    }),
  );

  const cloudwatch = mockClient(CloudWatchClient);
  cloudwatch.on(GetMetricDataCommand).callsFake(
    serve(
      'GetMetricData',
      (input: {
        StartTime: Date;
        EndTime: Date;
        MetricDataQueries: { Id: string; MetricStat: { Period: number } }[];
      }) => {
        // Every period in the window is published, with the colour's per-period metrics.
        const periodMs = input.MetricDataQueries[0]!.MetricStat.Period * 1000;
        const starts: Date[] = [];
        for (let at = input.StartTime.getTime(); at < input.EndTime.getTime(); at += periodMs)
          starts.push(new Date(at));
        return {
          MetricDataResults: input.MetricDataQueries.map((query) => {
            const [color, key] = query.Id.split('_') as [Color, string];
            const metrics = world.metrics[color];
            const value =
              key === 'requests'
                ? metrics.requests || undefined
                : key === 'errors'
                  ? metrics.errors || undefined
                  : key === 'p95'
                    ? metrics.p95Seconds
                    : undefined;
            return value === undefined
              ? { Id: query.Id, Timestamps: [], Values: [] }
              : { Id: query.Id, Timestamps: starts, Values: starts.map(() => value) };
          }),
        };
      },
    ),
  );
  cloudwatch.on(DescribeAlarmsCommand).callsFake(
    serve('DescribeAlarms', (input: { AlarmNames: string[] }) => ({
      MetricAlarms: input.AlarmNames.filter((name) => world.alarms.has(name)).map((name) => ({
        AlarmName: name,
        StateValue: world.alarms.get(name),
      })),
    })),
  );

  const clientConfig = { region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } };
  const clients = {
    ecs: new ECSClient(clientConfig),
    ecsSingleAttempt: new ECSClient({ ...clientConfig, maxAttempts: 1 }),
    elbv2: new ElasticLoadBalancingV2Client(clientConfig),
    cloudwatch: new CloudWatchClient(clientConfig),
  } as AwsClients;
  return {
    world,
    clients,
    restore: () => [ecs, elbv2, cloudwatch].forEach((mock) => mock.restore()),
  };
}
