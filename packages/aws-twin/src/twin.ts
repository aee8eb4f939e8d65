/** startTwin: the control plane, the data plane and the scheduler, from one scenario. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CallLog } from './calls.js';
import { startListenerServer, type ListenerServer } from './dataplane/listener-server.js';
import { HealthChecker } from './dataplane/health-checker.js';
import { startTaskServer, type TaskServer } from './dataplane/task-server.js';
import { Faults } from './faults.js';
import type { Account } from './ids.js';
import { ImageCatalog, type ImageBehaviour } from './images.js';
import { MetricStore } from './metrics.js';
import { seededRandom } from './random.js';
import { Pager } from './pages.js';
import {
  validateScenario,
  type BlueGreenResources,
  type BlueGreenSpec,
  type EcsNativeResources,
  type EcsNativeSpec,
  type Scenario,
  type ScheduledTaskSpec,
} from './scenario.js';
import { createControlPlane } from './server.js';
import { CloudWatchService } from './services/cloudwatch.js';
import { EcrService } from './services/ecr.js';
import { EcsService, type Task, type TaskRuntime } from './services/ecs.js';
import { ElbService } from './services/elbv2.js';
import { Authorizer } from './authorize.js';
import { StsService } from './services/sts.js';
import { EventsService, SchedulerService, type DueRun } from './services/schedules.js';
import {
  sendRequests,
  startTraffic,
  type TrafficOptions,
  type TrafficRun,
  type TrafficTally,
} from './traffic.js';

export interface Twin {
  /** `http://127.0.0.1:<port>`: give it to the SDK as AWS_ENDPOINT_URL. */
  endpoint: string;
  /** Environment for a process that should talk to the twin (endpoint, region, fake credentials). */
  env: Record<string, string>;
  account: Account;
  /** Resources of each blue/green service in the scenario, by its base name. */
  resources: Record<string, BlueGreenResources>;
  /** Resources of each ecsNative service in the scenario, by its name. */
  native: Record<string, EcsNativeResources>;
  calls: CallLog;
  faults: Faults & {
    /** Every credential issued so far is expired from now on. */
    expireCredentials(): void;
    /** From `afterMs` on, an image (and its running tasks) behaves with `change` merged in. */
    changeImage(image: string, change: ImageBehaviour, afterMs?: number): void;
  };
  traffic: {
    start(options: Omit<TrafficOptions, 'url'> & { url?: string; listenerArn?: string }): TrafficRun;
    send(url: string, count: number, concurrency?: number): Promise<TrafficTally>;
  };
  /** The real URL of a listener's data-plane port. */
  listenerUrl(listenerArn: string): string;
  services: {
    ecs: EcsService;
    elbv2: ElbService;
    ecr: EcrService;
    cloudwatch: CloudWatchService;
    sts: StsService;
    scheduler: SchedulerService;
    events: EventsService;
  };
  metrics: MetricStore;
  /** Every scheduled task the twin started (at its time, or by runSchedule), oldest first. */
  scheduledRuns(): ScheduledRun[];
  /**
   * Runs a schedule (`name` or `group/name`) or an EventBridge rule's ECS targets now, as its next
   * time would: the task definition its target names at this moment, with its overrides.
   */
  runSchedule(name: string): ScheduledRun[];
  /** Polls `condition` until it holds, or fails after `timeoutMs`. */
  waitFor(condition: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
  close(): Promise<void>;
}

/** One start of a scheduled ECS task. */
export interface ScheduledRun {
  via: 'scheduler' | 'events';
  /** The schedule (`group/name`) or rule that started it. */
  name: string;
  taskDefinitionArn: string;
  at: Date;
  /** The task it started, when RunTask took it; with the image it runs and, once stopped, its exit code. */
  task?: { arn: string; image: string; lastStatus: string; exitCode?: number };
  /** Why it did not start. */
  error?: string;
}

export async function startTwin(given: Scenario = {}): Promise<Twin> {
  const scenario = validateScenario(given);
  const account: Account = {
    accountId: scenario.accountId ?? '123456789012',
    region: scenario.region ?? 'eu-west-1',
  };
  const random = scenario.seed === undefined ? Math.random : seededRandom(scenario.seed);
  const timing = {
    healthCheckIntervalMs: 100,
    healthyThreshold: 2,
    unhealthyThreshold: 2,
    taskStartDelayMs: 50,
    deregistrationDelayMs: 200,
    reconcileIntervalMs: 25,
    minuteMs: 60_000,
    ...scenario.timing,
  };
  const now = () => Date.now();
  const calls = new CallLog();
  const faults = new Faults(random);
  const metrics = new MetricStore(
    now,
    scenario.metrics
      ? {
          periodSeconds: scenario.metrics.periodSeconds ?? 60,
          publicationDelayMs: (scenario.metrics.publicationDelaySeconds ?? 120) * 1000,
          wholePeriods: true,
        }
      : undefined,
  );
  const listenerServers = new Map<string, ListenerServer>();
  const taskServers = new Map<string, { server?: TaskServer; timers: NodeJS.Timeout[] }>();

  const ecr = new EcrService(account, now, scenario.ecr);
  const images = new ImageCatalog(scenario.images ?? {}, now, (image) => ecr.tagsOfDigest(image));
  const elbv2 = new ElbService(
    account,
    {
      listenerCreated: async (listener) => {
        listenerServers.set(listener.arn, await startListenerServer(listener.arn, elbv2, metrics, random));
      },
    },
    now,
    () => timing.deregistrationDelayMs,
  );

  const runtime: TaskRuntime = {
    behaviourOf: (image) => images.behaviourOf(image),
    async start(task: Task, onExit) {
      const behaviour = images.behaviourOf(task.image);
      if (behaviour.failToStart) {
        return {
          error:
            typeof behaviour.failToStart === 'string'
              ? behaviour.failToStart
              : `CannotPullContainerError: pull image manifest has been retried 1 time(s): ${task.image}: not found`,
        };
      }
      const entry: { server?: TaskServer; timers: NodeJS.Timeout[] } = { timers: [] };
      taskServers.set(task.arn, entry);
      if (!task.serviceName) {
        // A one-off task (RunTask): runs its command, then exits with the image's exit code.
        entry.timers.push(
          setTimeout(
            () =>
              onExit(
                behaviour.exitCode ?? 0,
                behaviour.exitCode ? 'Essential container in task exited' : 'Task finished',
              ),
            behaviour.runMs ?? 50,
          ),
        );
        return { port: 0 };
      }
      entry.server = await startTaskServer(task.id, () => images.behaviourOf(task.image), random);
      if (behaviour.crashAfterMs !== undefined) {
        entry.timers.push(
          setTimeout(() => {
            entry.server?.kill();
            onExit(137, 'Essential container in task exited');
          }, behaviour.crashAfterMs),
        );
      }
      return { port: entry.server.port };
    },
    async stop(task: Task) {
      const entry = taskServers.get(task.arn);
      if (!entry) return;
      taskServers.delete(task.arn);
      for (const timer of entry.timers) clearTimeout(timer);
      await entry.server?.stop();
    },
  };

  const ecs = new EcsService(account, elbv2, runtime, now, () => timing.taskStartDelayMs);
  const cloudwatch = new CloudWatchService(account, metrics, now);
  ecs.minuteMs = () => timing.minuteMs;
  ecs.alarmStateOf = (name) => cloudwatch.stateOf(name);
  const pager = new Pager(scenario.pageSize);
  for (const service of [ecs, elbv2, ecr, cloudwatch]) service.pager = pager;
  const authorizer: Authorizer = new Authorizer({
    iam: scenario.iam,
    account,
    sessionOf: (key) => sts.issued.get(key),
    tagsOf: (arn) => elbv2.tags.get(arn) ?? ecs.tags.get(arn),
  });
  const sts = new StsService(
    account,
    now,
    () => scenario.credentialLifetimeMs,
    (role, claims) => authorizer.trusts(role, claims),
  );
  const scheduler = new SchedulerService(account, now);
  const events = new EventsService(account, now);
  scheduler.pager = pager;
  events.pager = pager;
  const runs: (Omit<ScheduledRun, 'task'> & { taskArn?: string })[] = [];
  const startScheduled = (due: DueRun) => {
    const ecsParameters = (due.target.EcsParameters ?? {}) as Record<string, unknown>;
    const taskDefinitionArn = String(ecsParameters.TaskDefinitionArn ?? '');
    const run: (typeof runs)[number] = { via: due.via, name: due.name, taskDefinitionArn, at: due.at };
    try {
      const overrides = due.target.Input ? (JSON.parse(String(due.target.Input)) as unknown) : undefined;
      const started = ecs.handlers.RunTask!({
        cluster: due.target.Arn,
        taskDefinition: taskDefinitionArn,
        count: ecsParameters.TaskCount ?? 1,
        ...(overrides ? { overrides } : {}),
        startedBy: due.via === 'events' ? `events-rule/${due.name}`.slice(0, 36) : 'scheduler.amazonaws.com',
      }) as { tasks: { taskArn: string }[] };
      run.taskArn = started.tasks[0]?.taskArn;
    } catch (error) {
      run.error = error instanceof Error ? error.message : String(error);
    }
    runs.push(run);
    return run;
  };
  const describeRun = (run: (typeof runs)[number]): ScheduledRun => {
    const { taskArn, ...rest } = run;
    const task = taskArn ? ecs.tasks.get(taskArn) : undefined;
    return {
      ...rest,
      ...(task
        ? {
            task: {
              arn: task.arn,
              image: task.image,
              lastStatus: task.lastStatus,
              ...(task.exitCode !== undefined ? { exitCode: task.exitCode } : {}),
            },
          }
        : {}),
    };
  };
  // The schedules' clock: real time at the start, then scaled like the rest (timing.minuteMs a minute).
  const clockStarted = now();
  const scheduleClock = () => clockStarted + ((now() - clockStarted) * 60_000) / timing.minuteMs;
  const healthChecker = new HealthChecker(elbv2, metrics, () => timing.healthCheckIntervalMs);

  const server: Server = createControlPlane({
    services: {
      ecs: ecs.handlers,
      ecr: ecr.handlers,
      cloudwatch: cloudwatch.handlers,
      elbv2: elbv2.handlers,
      sts: sts.handlers,
      scheduler: scheduler.handlers,
      events: events.handlers,
    },
    calls,
    faults,
    isExpired: (key) => sts.isExpired(key),
    authorize: (service, operation, input, key) => authorizer.check(service, operation, input, key),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(scenario.port ?? 0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const reconciler = setInterval(() => {
    healthChecker.tick();
    void ecs.tick();
  }, timing.reconcileIntervalMs);
  const scheduledTasks = setInterval(() => {
    const clock = scheduleClock();
    for (const due of [...scheduler.due(clock), ...events.due(clock)]) startScheduled(due);
  }, 250);

  const waitFor = async (condition: () => boolean, timeoutMs = 10_000, what = 'condition') => {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`twin: timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  const listenerUrl = (listenerArn: string) => {
    const found = listenerServers.get(listenerArn);
    if (!found) throw new Error(`twin: no listener ${listenerArn}`);
    return found.url;
  };

  let closed = false;
  const twin: Twin = {
    endpoint,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: account.region,
      AWS_DEFAULT_REGION: account.region,
      AWS_ACCESS_KEY_ID: 'AKIDTWINEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'twin-secret-access-key',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    account,
    resources: {},
    native: {},
    calls,
    faults: Object.assign(faults, {
      expireCredentials: () => sts.expireAll(),
      changeImage: (image: string, change: ImageBehaviour, afterMs = 0) =>
        images.changeAt(image, change, afterMs),
    }),
    traffic: {
      start: ({ url, listenerArn, ...options }) => {
        const target = url ?? (listenerArn ? listenerUrl(listenerArn) : undefined);
        if (!target) throw new Error('twin: traffic needs a url or a listenerArn');
        return startTraffic({ ...options, url: target });
      },
      send: (url, count, concurrency) => sendRequests(url, count, concurrency),
    },
    listenerUrl,
    services: { ecs, elbv2, ecr, cloudwatch, sts, scheduler, events },
    metrics,
    scheduledRuns: () => runs.map(describeRun),
    runSchedule(name) {
      const schedule = scheduler.get(name);
      const at = new Date(scheduleClock());
      if (schedule) {
        if (!schedule.Target.EcsParameters) throw new Error(`twin: schedule ${name} has no ECS target`);
        return [
          describeRun(
            startScheduled({
              via: 'scheduler',
              name: `${schedule.GroupName}/${schedule.Name}`,
              target: schedule.Target,
              at,
            }),
          ),
        ];
      }
      const rule = events.get(name);
      if (!rule) throw new Error(`twin: no schedule or rule named ${name}`);
      return [...rule.targets.values()]
        .filter((target) => target.EcsParameters)
        .map((target) => describeRun(startScheduled({ via: 'events', name: rule.Name, target, at })));
    },
    waitFor,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(reconciler);
      clearInterval(scheduledTasks);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await Promise.all([...listenerServers.values()].map((listener) => listener.close()));
      await Promise.all([...taskServers.keys()].map((taskArn) => runtime.stop({ arn: taskArn } as Task)));
    },
  };

  try {
    for (const repository of scenario.ecr?.repositories ?? []) {
      ecr.handlers.CreateRepository!({
        repositoryName: repository.name,
        imageScanningConfiguration: { scanOnPush: repository.scanOnPush ?? true },
        imageTagMutability: repository.immutable === false ? 'MUTABLE' : 'IMMUTABLE',
      });
    }
    for (const spec of scenario.blueGreen ?? [])
      twin.resources[spec.name] = await createBlueGreen(twin, spec, timing);
    for (const spec of scenario.ecsNative ?? [])
      twin.native[spec.name] = await createEcsNative(twin, spec, timing);
    for (const spec of scenario.scheduledTasks ?? []) createScheduledTask(twin, spec);
    for (const alarm of scenario.alarms ?? []) {
      cloudwatch.handlers.PutMetricAlarm!({
        AlarmName: alarm.name,
        MetricName: alarm.metricName,
        Namespace: alarm.namespace ?? 'AWS/ApplicationELB',
        Dimensions: alarm.dimensions ?? [],
        Statistic: alarm.statistic?.startsWith('p') ? undefined : (alarm.statistic ?? 'Sum'),
        ExtendedStatistic: alarm.statistic?.startsWith('p') ? alarm.statistic : undefined,
        Period: alarm.periodSeconds ?? 60,
        EvaluationPeriods: alarm.evaluationPeriods ?? 1,
        Threshold: alarm.threshold,
        ComparisonOperator: alarm.comparison ?? 'GreaterThanThreshold',
      });
    }
    const liveServices = [
      ...Object.values(twin.resources).flatMap((resources) => [
        resources.blueService,
        resources.greenService,
      ]),
      ...Object.values(twin.native).map((resources) => resources.service),
    ];
    await waitFor(
      () =>
        liveServices.every((name) => {
          const service = [...ecs.services.values()].find((candidate) => candidate.name === name);
          return service?.deployments[0]?.rolloutState === 'COMPLETED';
        }),
      15_000,
      'the scenario services to reach a steady state',
    );
  } catch (error) {
    await twin.close();
    throw error;
  }
  return twin;
}

/** A schedule or rule whose ECS target runs a scenario service's family at its current revision. */
function createScheduledTask(twin: Twin, spec: ScheduledTaskSpec): void {
  const service = twin.resources[spec.service] ?? twin.native[spec.service];
  if (!service) throw new Error(`twin: scheduledTasks ${spec.name}: no service ${spec.service}`);
  const roleArn = `arn:aws:iam::${twin.account.accountId}:role/mpac-${spec.service}-scheduler`;
  const ecsParameters = {
    TaskDefinitionArn: service.taskDefinitionArn,
    TaskCount: 1,
    LaunchType: 'FARGATE',
    NetworkConfiguration: {
      awsvpcConfiguration: {
        Subnets: ['subnet-0a1b2c3d'],
        SecurityGroups: ['sg-0a1b2c3d'],
        AssignPublicIp: 'DISABLED',
      },
    },
  };
  const input = JSON.stringify(
    spec.overrides ?? { containerOverrides: [{ name: service.containerName, command: ['reconcile'] }] },
  );
  if ((spec.via ?? 'scheduler') === 'scheduler') {
    twin.services.scheduler.handlers.CreateSchedule!({
      Name: spec.name,
      ScheduleExpression: spec.schedule,
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: service.clusterArn, RoleArn: roleArn, EcsParameters: ecsParameters, Input: input },
    });
    return;
  }
  twin.services.events.handlers.PutRule!({ Name: spec.name, ScheduleExpression: spec.schedule });
  twin.services.events.handlers.PutTargets!({
    Rule: spec.name,
    Targets: [
      {
        Id: spec.name,
        Arn: service.clusterArn,
        RoleArn: roleArn,
        EcsParameters: ecsParameters,
        Input: input,
      },
    ],
  });
}

/** An ALB for one service: its load balancer, and makers of target groups and of listeners with one rule. */
function albFor(
  twin: Twin,
  name: string,
  containerPort: number,
  healthCheckPath: string,
  timing: Required<NonNullable<Scenario['timing']>>,
) {
  const { elbv2 } = twin.services;
  const lb = (
    elbv2.handlers.CreateLoadBalancer!({ Name: `${name}-alb`.slice(0, 32) }) as {
      LoadBalancers: { LoadBalancerArn: string }[];
    }
  ).LoadBalancers[0]!;
  const createGroup = (suffix: string) =>
    (
      elbv2.handlers.CreateTargetGroup!({
        Name: `${name}-${suffix}`.slice(0, 32),
        Protocol: 'HTTP',
        Port: containerPort,
        TargetType: 'ip',
        HealthCheckPath: healthCheckPath,
        HealthCheckIntervalSeconds: 5,
        HealthyThresholdCount: timing.healthyThreshold,
        UnhealthyThresholdCount: timing.unhealthyThreshold,
      }) as { TargetGroups: { TargetGroupArn: string }[] }
    ).TargetGroups[0]!.TargetGroupArn;
  /** A listener whose default answers 404, with one catch-all rule forwarding as `forwardConfig` says. */
  const createListenerWithRule = async (port: number, forwardConfig: Record<string, unknown>) => {
    const notFound = [
      {
        Type: 'fixed-response',
        FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'no rule matched' },
      },
    ];
    const created = (await elbv2.handlers.CreateListener!({
      LoadBalancerArn: lb.LoadBalancerArn,
      Port: port,
      Protocol: 'HTTP',
      DefaultActions: notFound,
    })) as {
      Listeners: { ListenerArn: string }[];
    };
    const listenerArn = created.Listeners[0]!.ListenerArn;
    const rule = elbv2.handlers.CreateRule!({
      ListenerArn: listenerArn,
      Priority: 10,
      Conditions: [{ Field: 'path-pattern', Values: ['/*'] }],
      Actions: [{ Type: 'forward', ForwardConfig: forwardConfig }],
    }) as { Rules: { RuleArn: string }[] };
    return { listenerArn, ruleArn: rule.Rules[0]!.RuleArn };
  };
  return { loadBalancerArn: lb.LoadBalancerArn, createGroup, createListenerWithRule };
}

/** Registers a Fargate task definition of one container through the twin's own handler. */
function registerDefinition(
  twin: Twin,
  family: string,
  containerName: string,
  containerPort: number,
  image: string,
) {
  return (
    twin.services.ecs.handlers.RegisterTaskDefinition!({
      family,
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [
        { name: containerName, image, essential: true, portMappings: [{ containerPort, protocol: 'tcp' }] },
      ],
    }) as { taskDefinition: { taskDefinitionArn: string } }
  ).taskDefinition.taskDefinitionArn;
}

/**
 * One service under ECS's own blue/green (ECS_NATIVE.md §3.1): target groups `<name>-a` (serving)
 * and `<name>-b`, production and test rules each forwarding over both (a at 100, b at 0), the
 * infrastructure role ECS rewrites them with, at rest on one revision.
 */
async function createEcsNative(
  twin: Twin,
  spec: EcsNativeSpec,
  timing: Required<NonNullable<Scenario['timing']>>,
): Promise<EcsNativeResources> {
  const { ecs } = twin.services;
  const clusterName = spec.cluster ?? 'mpac';
  const containerName = spec.containerName ?? 'app';
  const containerPort = spec.containerPort ?? 8080;
  const cluster = (ecs.handlers.CreateCluster!({ clusterName }) as { cluster: { clusterArn: string } })
    .cluster;
  const taskDefinitionArn = registerDefinition(twin, spec.name, containerName, containerPort, spec.image);
  const alb = albFor(twin, spec.name, containerPort, spec.healthCheckPath ?? '/health', timing);
  const groups = { a: alb.createGroup('a'), b: alb.createGroup('b') };
  const overBoth = {
    TargetGroups: [
      { TargetGroupArn: groups.a, Weight: 100 },
      { TargetGroupArn: groups.b, Weight: 0 },
    ],
    TargetGroupStickinessConfig: { Enabled: false },
  };
  const production = await alb.createListenerWithRule(80, overBoth);
  const test = spec.testListener === false ? undefined : await alb.createListenerWithRule(8080, overBoth);
  const roleArn = `arn:aws:iam::${twin.account.accountId}:role/ecs-infrastructure-${spec.name}`;
  const strategy = spec.strategy ?? 'BLUE_GREEN';
  const created = ecs.handlers.CreateService!({
    cluster: clusterName,
    serviceName: spec.name,
    taskDefinition: taskDefinitionArn,
    desiredCount: spec.desiredCount ?? 2,
    launchType: 'FARGATE',
    deploymentController: { type: 'ECS' },
    deploymentConfiguration: {
      strategy,
      bakeTimeInMinutes: 0,
      ...spec.deploymentConfiguration,
    },
    loadBalancers: [
      {
        targetGroupArn: groups.a,
        containerName,
        containerPort,
        advancedConfiguration: {
          alternateTargetGroupArn: groups.b,
          productionListenerRule: production.ruleArn,
          ...(test ? { testListenerRule: test.ruleArn } : {}),
          roleArn,
        },
      },
    ],
  }) as { service: { serviceArn: string } };
  return {
    cluster: clusterName,
    clusterArn: cluster.clusterArn,
    service: spec.name,
    serviceArn: created.service.serviceArn,
    family: spec.name,
    taskDefinitionArn,
    containerName,
    loadBalancerArn: alb.loadBalancerArn,
    productionListenerArn: production.listenerArn,
    productionRuleArn: production.ruleArn,
    productionUrl: twin.listenerUrl(production.listenerArn),
    testListenerArn: test?.listenerArn,
    testRuleArn: test?.ruleArn,
    testUrl: test ? twin.listenerUrl(test.listenerArn) : undefined,
    targetGroupArn: groups.a,
    alternateTargetGroupArn: groups.b,
    roleArn,
  };
}

/** Creates a blue/green pair behind one ALB, as DESIGN.md describes it, through the twin's own handlers. */
async function createBlueGreen(
  twin: Twin,
  spec: BlueGreenSpec,
  timing: Required<NonNullable<Scenario['timing']>>,
): Promise<BlueGreenResources> {
  const { ecs } = twin.services;
  const clusterName = spec.cluster ?? 'mpac';
  const live = spec.live ?? 'blue';
  const containerName = spec.containerName ?? 'app';
  const containerPort = spec.containerPort ?? 8080;

  const cluster = (ecs.handlers.CreateCluster!({ clusterName }) as { cluster: { clusterArn: string } })
    .cluster;
  const alb = albFor(twin, spec.name, containerPort, spec.healthCheckPath ?? '/health', timing);
  const createListenerWithRule = alb.createListenerWithRule;

  const taskDefinitionArn = registerDefinition(twin, spec.name, containerName, containerPort, spec.image);
  const groups = { blue: alb.createGroup('blue'), green: alb.createGroup('green') };
  const idle = live === 'blue' ? 'green' : 'blue';
  const production = await createListenerWithRule(80, {
    TargetGroups: [
      { TargetGroupArn: groups.blue, Weight: live === 'blue' ? 100 : 0 },
      { TargetGroupArn: groups.green, Weight: live === 'green' ? 100 : 0 },
    ],
    TargetGroupStickinessConfig: spec.stickinessSeconds
      ? { Enabled: true, DurationSeconds: spec.stickinessSeconds }
      : { Enabled: false },
  });
  const test =
    spec.testListener === false
      ? undefined
      : await createListenerWithRule(8080, { TargetGroups: [{ TargetGroupArn: groups[idle], Weight: 1 }] });

  const desiredCount = spec.desiredCount ?? 2;
  for (const color of ['blue', 'green'] as const) {
    const isLive = color === live;
    ecs.handlers.CreateService!({
      cluster: clusterName,
      serviceName: `${spec.name}-${color}`,
      taskDefinition:
        !isLive && spec.idleImage
          ? registerDefinition(twin, spec.name, containerName, containerPort, spec.idleImage)
          : taskDefinitionArn,
      desiredCount: isLive || spec.idleImage ? desiredCount : 0,
      launchType: 'FARGATE',
      loadBalancers: [{ targetGroupArn: groups[color], containerName, containerPort }],
      deploymentConfiguration: {
        deploymentCircuitBreaker: { enable: true, rollback: spec.circuitBreakerRollback ?? false },
      },
    });
  }

  return {
    cluster: clusterName,
    clusterArn: cluster.clusterArn,
    blueService: `${spec.name}-blue`,
    greenService: `${spec.name}-green`,
    family: spec.name,
    taskDefinitionArn,
    containerName,
    loadBalancerArn: alb.loadBalancerArn,
    productionListenerArn: production.listenerArn,
    productionRuleArn: production.ruleArn,
    productionUrl: twin.listenerUrl(production.listenerArn),
    testListenerArn: test?.listenerArn,
    testRuleArn: test?.ruleArn,
    testUrl: test ? twin.listenerUrl(test.listenerArn) : undefined,
    blueTargetGroupArn: groups.blue,
    greenTargetGroupArn: groups.green,
  };
}
