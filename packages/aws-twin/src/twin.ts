/** startTwin: the control plane, the data plane and the scheduler, from one scenario. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CallLog } from './calls.js';
import { Faults } from './faults.js';
import type { Account } from './ids.js';
import { ImageCatalog, type ImageBehaviour } from './images.js';
import { seededRandom } from './random.js';
import { Pager } from './pages.js';
import { startRegion, type Region, type RegionTwin } from './region.js';
import {
  validateScenario,
  type BlueGreenResources,
  type BlueGreenSpec,
  type EcsNativeResources,
  type EcsNativeSpec,
  type RegionScenario,
  type Scenario,
  type ScheduledTaskSpec,
} from './scenario.js';
import { createControlPlane } from './server.js';
import { Authorizer } from './authorize.js';
import { StsService } from './services/sts.js';
import {
  sendRequests,
  startTraffic,
  type TrafficOptions,
  type TrafficRun,
  type TrafficTally,
} from './traffic.js';

export type { RegionTwin, ScheduledRun } from './region.js';

/**
 * The twin: its own region's services and resources at the top (as every single-region test uses
 * them), the control plane, the call log and the faults it shares with its other regions.
 */
export interface Twin extends RegionTwin {
  /** `http://127.0.0.1:<port>`: give it to the SDK as AWS_ENDPOINT_URL. */
  endpoint: string;
  /** Environment for a process that should talk to the twin (endpoint, region, fake credentials). */
  env: Record<string, string>;
  /**
   * Every region the twin serves, its own included, by name. A request signed for one of them is
   * served by that region alone; one signed for a region the scenario does not name is served by
   * the twin's own region (with that region in the ARNs it makes).
   */
  regions: Record<string, RegionTwin>;
  /**
   * ECR replication to a registry this twin does not hold (another account's twin, say): every image
   * pushed to this twin's registry in `from` (default its own region) appears in `to`'s.
   */
  replicateRegistry(to: RegionTwin, from?: string): void;
  /** The same environment, with AWS_REGION and AWS_DEFAULT_REGION set to another region the twin serves. */
  envFor(region: string): Record<string, string>;
  calls: CallLog;
  faults: Faults & {
    /** Every credential issued so far is expired from now on. */
    expireCredentials(): void;
    /** From `afterMs` on, an image (and its running tasks) behaves with `change` merged in, in every region. */
    changeImage(image: string, change: ImageBehaviour, afterMs?: number): void;
  };
  traffic: {
    start(options: Omit<TrafficOptions, 'url'> & { url?: string; listenerArn?: string }): TrafficRun;
    send(url: string, count: number, concurrency?: number): Promise<TrafficTally>;
  };
  services: RegionTwin['services'] & { sts: StsService };
  /** Polls `condition` until it holds, or fails after `timeoutMs`. */
  waitFor(condition: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
  close(): Promise<void>;
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
  const pager = new Pager(scenario.pageSize);
  const regions = new Map<string, Region>();
  const images = new ImageCatalog(scenario.images ?? {}, now, (image) =>
    [...regions.values()].flatMap((region) => region.services.ecr.tagsOfDigest(image)),
  );
  const shared = { now, random, timing, pager, images, metrics: scenario.metrics };
  const home = startRegion(account, { ...shared, ecr: scenario.ecr });
  regions.set(account.region, home);
  for (const [name, spec] of Object.entries(scenario.regions ?? {}))
    regions.set(name, startRegion({ ...account, region: name }, { ...shared, ecr: spec.ecr }));
  for (const [name, region] of regions) {
    const spec = name === account.region ? scenario.ecr : scenario.regions?.[name]?.ecr;
    // validateScenario checked that each names another region of this twin.
    for (const destination of spec?.replicateTo ?? [])
      region.services.ecr.replicas.push(regions.get(destination)!.services.ecr);
  }
  const regionOf = (name: string | undefined) => (name ? regions.get(name) : undefined) ?? home;

  const authorizer: Authorizer = new Authorizer({
    iam: scenario.iam,
    account,
    sessionOf: (key) => sts.issued.get(key),
    tagsOf: (arn) => {
      for (const region of regions.values()) {
        const tags = region.services.elbv2.tags.get(arn) ?? region.services.ecs.tags.get(arn);
        if (tags) return tags;
      }
      return undefined;
    },
  });
  const sts = new StsService(
    account,
    now,
    () => scenario.credentialLifetimeMs,
    (role, claims) => authorizer.trusts(role, claims),
  );

  const server: Server = createControlPlane({
    servicesFor: (name) => ({ ...regionOf(name).handlers, sts: sts.handlers }),
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

  const waitFor = async (condition: () => boolean, timeoutMs = 10_000, what = 'condition') => {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`twin: timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  /** A listener's URL, in whichever region has it. */
  const listenerUrl = (listenerArn: string) => {
    const region = [...regions.values()].find((candidate) => candidate.hasListener(listenerArn));
    if (!region) throw new Error(`twin: no listener ${listenerArn}`);
    return region.listenerUrl(listenerArn);
  };
  const envFor = (region: string) => {
    if (!regions.has(region))
      throw new Error(`twin: no region ${region} (it serves ${[...regions.keys()].join(', ')})`);
    return {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: 'AKIDTWINEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'twin-secret-access-key',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
  };

  let closed = false;
  const twin: Twin = {
    ...home,
    endpoint,
    env: envFor(account.region),
    envFor,
    regions: Object.fromEntries(regions),
    replicateRegistry(to, from = account.region) {
      const source = regions.get(from);
      if (!source) throw new Error(`twin: no region ${from}`);
      source.services.ecr.replicas.push(to.services.ecr);
    },
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
    services: { ...home.services, sts },
    waitFor,
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await Promise.all([...regions.values()].map((region) => region.close()));
    },
  };

  try {
    await populate(home, scenario, timing, waitFor);
    for (const [name, spec] of Object.entries(scenario.regions ?? {}))
      await populate(regions.get(name)!, spec, timing, waitFor);
  } catch (error) {
    await twin.close();
    throw error;
  }
  return twin;
}

/** Creates a region's scenario resources and waits for its services to reach a steady state. */
async function populate(
  region: RegionTwin,
  scenario: RegionScenario,
  timing: Required<NonNullable<Scenario['timing']>>,
  waitFor: Twin['waitFor'],
): Promise<void> {
  const { ecr, ecs, cloudwatch } = region.services;
  for (const repository of scenario.ecr?.repositories ?? []) {
    ecr.handlers.CreateRepository!({
      repositoryName: repository.name,
      imageScanningConfiguration: { scanOnPush: repository.scanOnPush ?? true },
      imageTagMutability: repository.immutable === false ? 'MUTABLE' : 'IMMUTABLE',
    });
  }
  for (const spec of scenario.blueGreen ?? [])
    region.resources[spec.name] = await createBlueGreen(region, spec, timing);
  for (const spec of scenario.ecsNative ?? [])
    region.native[spec.name] = await createEcsNative(region, spec, timing);
  for (const spec of scenario.scheduledTasks ?? []) createScheduledTask(region, spec);
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
    ...Object.values(region.resources).flatMap((resources) => [
      resources.blueService,
      resources.greenService,
    ]),
    ...Object.values(region.native).map((resources) => resources.service),
  ];
  await waitFor(
    () =>
      liveServices.every((name) => {
        const service = [...ecs.services.values()].find((candidate) => candidate.name === name);
        return service?.deployments[0]?.rolloutState === 'COMPLETED';
      }),
    15_000,
    `the scenario services of ${region.region} to reach a steady state`,
  );
}

/** A schedule or rule whose ECS target runs a scenario service's family at its current revision. */
function createScheduledTask(twin: RegionTwin, spec: ScheduledTaskSpec): void {
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
  twin: RegionTwin,
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
  twin: RegionTwin,
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
  twin: RegionTwin,
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
  twin: RegionTwin,
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
