/** What a twin starts with: resources, image behaviours, timing. JSON or a JS object. */
import type { ImageBehaviour } from './images.js';
import type { IamScenario } from './authorize.js';
import type { EcrScenario, Finding } from './services/ecr.js';

export interface Timing {
  /** Health-check interval for every target group (default 100 ms; AWS: the group's own, 30 s). */
  healthCheckIntervalMs?: number;
  /** Consecutive checks to become healthy / unhealthy (defaults 2 / 2). */
  healthyThreshold?: number;
  unhealthyThreshold?: number;
  /** From a task's creation to its container serving (default 50 ms). */
  taskStartDelayMs?: number;
  /** Deregistration delay for every target group (default 200 ms; AWS: 300 s). */
  deregistrationDelayMs?: number;
  /** How often services and tasks move a step (default 25 ms). */
  reconcileIntervalMs?: number;
  /**
   * How long one minute of a native deployment's bakes, step bakes and hook timeouts lasts on the
   * twin (default 60000: real minutes). Tests scale it down, keeping the order of things.
   */
  minuteMs?: number;
}

export interface EcsNativeSpec {
  /** The service, its task definition family and its target groups `<name>-a` / `<name>-b`. */
  name: string;
  cluster?: string;
  /** Image the service runs at rest. */
  image: string;
  desiredCount?: number;
  /** BLUE_GREEN (default), LINEAR or CANARY. */
  strategy?: 'BLUE_GREEN' | 'LINEAR' | 'CANARY';
  /** More of the service's deploymentConfiguration (bakeTimeInMinutes, linearConfiguration, lifecycleHooks, alarms…). */
  deploymentConfiguration?: Record<string, unknown>;
  containerName?: string;
  containerPort?: number;
  healthCheckPath?: string;
  /** A test listener (port 8080) whose rule ECS points at the new revision (default true). */
  testListener?: boolean;
}

export interface EcsNativeResources {
  cluster: string;
  clusterArn: string;
  service: string;
  serviceArn: string;
  family: string;
  taskDefinitionArn: string;
  containerName: string;
  loadBalancerArn: string;
  productionListenerArn: string;
  productionRuleArn: string;
  productionUrl: string;
  testListenerArn?: string;
  testRuleArn?: string;
  testUrl?: string;
  /** The service's targetGroupArn (serving at rest) and its alternateTargetGroupArn. */
  targetGroupArn: string;
  alternateTargetGroupArn: string;
  /** The infrastructure role ECS uses to rewrite the rules. */
  roleArn: string;
}

export interface BlueGreenSpec {
  /** Base name: services `<name>-blue` / `<name>-green`, family `<name>`. */
  name: string;
  cluster?: string;
  /** Image the live colour runs. */
  image: string;
  desiredCount?: number;
  live?: 'blue' | 'green';
  containerName?: string;
  containerPort?: number;
  healthCheckPath?: string;
  /** Create a test listener whose rule forwards only to the idle colour (default true). */
  testListener?: boolean;
  /** Stickiness on the production forward action, in seconds. */
  stickinessSeconds?: number;
  /** Give the idle colour running tasks too (default false: desired count 0). */
  idleImage?: string;
  /** The services' circuit breaker rolls a failed deployment back to the previous revision (default false). */
  circuitBreakerRollback?: boolean;
}

export interface AlarmSpec {
  name: string;
  metricName: string;
  namespace?: string;
  dimensions?: { Name: string; Value: string }[];
  statistic?: string;
  periodSeconds?: number;
  evaluationPeriods?: number;
  threshold: number;
  comparison?: string;
}

export interface Scenario {
  accountId?: string;
  region?: string;
  /** Seed for routing and behaviour draws; random when omitted. */
  seed?: number;
  timing?: Timing;
  images?: Record<string, ImageBehaviour>;
  blueGreen?: BlueGreenSpec[];
  /** Services under ECS's own blue/green, linear or canary: one service, two target groups. */
  ecsNative?: EcsNativeSpec[];
  ecr?: EcrScenario & { repositories?: { name: string; scanOnPush?: boolean; immutable?: boolean }[] };
  alarms?: AlarmSpec[];
  /** Sessions from AssumeRoleWithWebIdentity last this long, whatever was asked. */
  credentialLifetimeMs?: number;
  /**
   * CloudWatch as AWS publishes ALB metrics: aggregated per `periodSeconds` (default 60) and visible
   * `publicationDelaySeconds` (default 120) after each period ends. Omitted: 1-second data at once.
   * Tests scale it down: `{ periodSeconds: 1, publicationDelaySeconds: 3 }`.
   */
  metrics?: { periodSeconds?: number; publicationDelaySeconds?: number };
  /** Bind the control plane to this port (default: an ephemeral one). */
  port?: number;
  /** Every paginated List/Describe answers at most this many items a page (tests that callers follow tokens). */
  pageSize?: number;
  /**
   * IAM for assumed roles: calls signed with credentials of a role named here are evaluated against
   * its `policy` (PassRole included); its `trust` (optional) decides who may assume it. Without
   * `iam`, every call is allowed.
   */
  iam?: IamScenario;
  /**
   * Scheduled ECS tasks (a daily reconciliation, say) that run a service's task definition family:
   * an EventBridge Scheduler schedule (`via: 'scheduler'`, the default) or an EventBridge rule with
   * one ECS target (`via: 'events'`), created at the service's current revision. The twin runs them
   * at their times on the scaled clock (`timing.minuteMs` a minute), or at once with runSchedule().
   */
  scheduledTasks?: ScheduledTaskSpec[];
  /**
   * More regions the twin serves beside its own (a DR standby, say), by name: each with its own
   * services, resources, registry and alarms, none shared with another region. A client signed for
   * one of them (its AWS_REGION) is served by that region alone.
   */
  regions?: Record<string, RegionScenario>;
}

/** What one more region holds: the regional parts of a scenario. */
export type RegionScenario = Pick<Scenario, 'blueGreen' | 'ecsNative' | 'ecr' | 'alarms' | 'scheduledTasks'>;

export interface ScheduledTaskSpec {
  /** The schedule's (or rule's) name. */
  name: string;
  /** The blueGreen or ecsNative service whose family it runs. */
  service: string;
  /** cron(…), rate(…) or (Scheduler only) at(…). */
  schedule: string;
  via?: 'scheduler' | 'events';
  /** RunTask overrides, as the target's Input (default: the container's command `["reconcile"]`). */
  overrides?: Record<string, unknown>;
}

export type { Finding, ImageBehaviour };

export interface BlueGreenResources {
  cluster: string;
  clusterArn: string;
  blueService: string;
  greenService: string;
  family: string;
  taskDefinitionArn: string;
  containerName: string;
  loadBalancerArn: string;
  productionListenerArn: string;
  productionRuleArn: string;
  productionUrl: string;
  testListenerArn?: string;
  testRuleArn?: string;
  testUrl?: string;
  blueTargetGroupArn: string;
  greenTargetGroupArn: string;
}

/** A scenario that cannot be what its author meant: names the key or value and where it is. */
export class ScenarioError extends Error {
  constructor(message: string) {
    super(`scenario: ${message}`);
    this.name = 'ScenarioError';
  }
}

const KNOWN: Record<string, readonly string[]> = {
  scenario: [
    'accountId',
    'region',
    'seed',
    'timing',
    'images',
    'blueGreen',
    'ecsNative',
    'ecr',
    'alarms',
    'credentialLifetimeMs',
    'metrics',
    'port',
    'pageSize',
    'iam',
    'scheduledTasks',
    'regions',
  ],
  region: ['blueGreen', 'ecsNative', 'ecr', 'alarms', 'scheduledTasks'],
  scheduledTask: ['name', 'service', 'schedule', 'via', 'overrides'],
  timing: [
    'healthCheckIntervalMs',
    'healthyThreshold',
    'unhealthyThreshold',
    'taskStartDelayMs',
    'deregistrationDelayMs',
    'reconcileIntervalMs',
    'minuteMs',
  ],
  image: [
    'errorRate',
    'errorEvery',
    'statusMix',
    'latencyMs',
    'healthStatus',
    'version',
    'crashAfterMs',
    'failToStart',
    'dropRate',
    'exitCode',
    'runMs',
  ],
  blueGreen: [
    'name',
    'cluster',
    'image',
    'desiredCount',
    'live',
    'containerName',
    'containerPort',
    'healthCheckPath',
    'testListener',
    'stickinessSeconds',
    'idleImage',
    'circuitBreakerRollback',
  ],
  ecsNative: [
    'name',
    'cluster',
    'image',
    'desiredCount',
    'strategy',
    'deploymentConfiguration',
    'containerName',
    'containerPort',
    'healthCheckPath',
    'testListener',
  ],
  ecr: ['findings', 'scanDelayMs', 'scanType', 'repositories', 'replicateTo', 'replicationDelayMs'],
  alarm: [
    'name',
    'metricName',
    'namespace',
    'dimensions',
    'statistic',
    'periodSeconds',
    'evaluationPeriods',
    'threshold',
    'comparison',
  ],
  metrics: ['periodSeconds', 'publicationDelaySeconds'],
};

function mapping(value: unknown, where: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new ScenarioError(`${where} must be a mapping`);
  return value as Record<string, unknown>;
}

function checkKeys(value: unknown, kind: keyof typeof KNOWN, where: string): Record<string, unknown> {
  const object = mapping(value, where);
  for (const key of Object.keys(object)) {
    if (!KNOWN[kind]!.includes(key))
      throw new ScenarioError(`unknown key '${key}' in ${where} (known: ${KNOWN[kind]!.join(', ')})`);
  }
  return object;
}

/**
 * Checks a scenario as read from JSON: an unknown key (a typo such as `blueGren`) is an error
 * naming it, never a silently empty twin; so is a blue/green service whose image is not described.
 */
export function validateScenario(raw: unknown): Scenario {
  const scenario = checkKeys(raw, 'scenario', 'the scenario');
  if (scenario.timing !== undefined) checkKeys(scenario.timing, 'timing', 'timing');
  if (scenario.metrics !== undefined) checkKeys(scenario.metrics, 'metrics', 'metrics');
  const images = scenario.images === undefined ? {} : mapping(scenario.images, 'images');
  for (const [name, behaviour] of Object.entries(images)) checkKeys(behaviour, 'image', `images['${name}']`);
  if (scenario.iam !== undefined) validateIam(scenario.iam);
  validateRegional(scenario, '');
  if (scenario.regions !== undefined) {
    for (const [name, region] of Object.entries(mapping(scenario.regions, 'regions'))) {
      if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(name))
        throw new ScenarioError(`regions: '${name}' is not a region name such as 'ap-northeast-3'`);
      if (name === (scenario.region ?? 'eu-west-1'))
        throw new ScenarioError(`regions: '${name}' is the twin's own region; describe it at the top level`);
      validateRegional(checkKeys(region, 'region', `regions['${name}']`), `regions['${name}'].`);
    }
  }
  const own = String(scenario.region ?? 'eu-west-1');
  const served = [own, ...Object.keys(scenario.regions ?? {})];
  for (const region of served) {
    const at = region === own ? '' : `regions['${region}'].`;
    const ecr = (region === own ? scenario : mapping(scenario.regions, 'regions')[region]) as {
      ecr?: { replicateTo?: unknown };
    };
    const replicateTo = ecr.ecr?.replicateTo;
    if (replicateTo === undefined) continue;
    if (!Array.isArray(replicateTo))
      throw new ScenarioError(
        `${at}ecr.replicateTo must be a list of region names such as ['ap-northeast-3']`,
      );
    for (const destination of replicateTo)
      if (!served.includes(String(destination)) || destination === region)
        throw new ScenarioError(
          `${at}ecr.replicateTo names ${JSON.stringify(destination)}, which is not another region of this twin (${served.join(', ')})`,
        );
  }
  if (
    scenario.pageSize !== undefined &&
    !(Number.isInteger(scenario.pageSize) && (scenario.pageSize as number) >= 1)
  )
    throw new ScenarioError(
      `pageSize must be a whole number of at least 1; got ${JSON.stringify(scenario.pageSize)}`,
    );
  return scenario as Scenario;
}

/** The regional part of a scenario (the top level, or one of `regions`); `at` prefixes its keys in errors. */
function validateRegional(scenario: Record<string, unknown>, at: string): void {
  if (scenario.ecr !== undefined) {
    const ecr = checkKeys(scenario.ecr, 'ecr', `${at}ecr`);
    if (ecr.scanType !== undefined && ecr.scanType !== 'BASIC' && ecr.scanType !== 'ENHANCED')
      throw new ScenarioError(
        `${at}ecr.scanType must be BASIC or ENHANCED; got ${JSON.stringify(ecr.scanType)}`,
      );
  }
  if (scenario.blueGreen !== undefined && !Array.isArray(scenario.blueGreen))
    throw new ScenarioError(`${at}blueGreen must be a list of services`);
  ((scenario.blueGreen as unknown[] | undefined) ?? []).forEach((entry, index) => {
    const spec = checkKeys(entry, 'blueGreen', `${at}blueGreen[${index}]`);
    if (typeof spec.name !== 'string' || !spec.name)
      throw new ScenarioError(`${at}blueGreen[${index}] has no name`);
    for (const key of ['image', 'idleImage'] as const) {
      const image = spec[key];
      if (image === undefined) {
        if (key === 'image') throw new ScenarioError(`${at}blueGreen[${index}] (${spec.name}) has no image`);
        continue;
      }
      if (typeof image !== 'string' || !image)
        throw new ScenarioError(
          `${at}blueGreen[${index}].${key} must be an image name such as 'svc-portal:v1'`,
        );
    }
  });
  if (scenario.ecsNative !== undefined && !Array.isArray(scenario.ecsNative))
    throw new ScenarioError(`${at}ecsNative must be a list of services`);
  ((scenario.ecsNative as unknown[] | undefined) ?? []).forEach((entry, index) => {
    const spec = checkKeys(entry, 'ecsNative', `${at}ecsNative[${index}]`);
    if (typeof spec.name !== 'string' || !spec.name)
      throw new ScenarioError(`${at}ecsNative[${index}] has no name`);
    if (typeof spec.image !== 'string' || !spec.image)
      throw new ScenarioError(
        `${at}ecsNative[${index}] (${spec.name}) needs an image such as 'svc-portal:v1'`,
      );
    if (spec.strategy !== undefined && !['BLUE_GREEN', 'LINEAR', 'CANARY'].includes(String(spec.strategy)))
      throw new ScenarioError(
        `${at}ecsNative[${index}].strategy must be BLUE_GREEN, LINEAR or CANARY; got ${JSON.stringify(spec.strategy)}`,
      );
  });
  if (scenario.alarms !== undefined && !Array.isArray(scenario.alarms))
    throw new ScenarioError(`${at}alarms must be a list`);
  ((scenario.alarms as unknown[] | undefined) ?? []).forEach((entry, index) =>
    checkKeys(entry, 'alarm', `${at}alarms[${index}]`),
  );
  if (scenario.scheduledTasks !== undefined && !Array.isArray(scenario.scheduledTasks))
    throw new ScenarioError(`${at}scheduledTasks must be a list`);
  const services = [
    ...((scenario.blueGreen as { name: string }[] | undefined) ?? []),
    ...((scenario.ecsNative as { name: string }[] | undefined) ?? []),
  ].map((service) => service.name);
  ((scenario.scheduledTasks as unknown[] | undefined) ?? []).forEach((entry, index) => {
    const spec = checkKeys(entry, 'scheduledTask', `${at}scheduledTasks[${index}]`);
    if (typeof spec.name !== 'string' || !/^[\w.-]{1,64}$/.test(spec.name))
      throw new ScenarioError(
        `${at}scheduledTasks[${index}].name must be 1-64 letters, digits, '.', '-' or '_'`,
      );
    if (!services.includes(String(spec.service)))
      throw new ScenarioError(
        `${at}scheduledTasks[${index}] (${spec.name}) runs service ${JSON.stringify(spec.service)}, which the scenario does not have (${services.join(', ') || 'none'})`,
      );
    if (spec.via !== undefined && spec.via !== 'scheduler' && spec.via !== 'events')
      throw new ScenarioError(
        `${at}scheduledTasks[${index}].via must be scheduler or events; got ${JSON.stringify(spec.via)}`,
      );
    if (typeof spec.schedule !== 'string')
      throw new ScenarioError(
        `${at}scheduledTasks[${index}].schedule must be an expression such as 'cron(0 3 * * ? *)'`,
      );
  });
}

/** The scenario format, for `aws-twin --help`. */
/** `iam: { roles: { <name>: { policy, trust? } } }`, each policy a document with statements. */
function validateIam(raw: unknown): void {
  const iam = mapping(raw, 'iam');
  const unknown = Object.keys(iam).filter((key) => key !== 'roles');
  if (unknown.length > 0)
    throw new ScenarioError(`iam has unknown key ${unknown.join(', ')}; it takes roles`);
  for (const [name, role] of Object.entries(mapping(iam.roles ?? {}, 'iam.roles'))) {
    const entry = mapping(role, `iam.roles['${name}']`);
    const extra = Object.keys(entry).filter((key) => key !== 'policy' && key !== 'trust');
    if (extra.length > 0)
      throw new ScenarioError(
        `iam.roles['${name}'] has unknown key ${extra.join(', ')}; it takes policy and trust`,
      );
    for (const key of ['policy', 'trust'] as const) {
      if (entry[key] === undefined) {
        if (key === 'policy') throw new ScenarioError(`iam.roles['${name}'] has no policy`);
        continue;
      }
      const document = mapping(entry[key], `iam.roles['${name}'].${key}`);
      if (document.Statement === undefined)
        throw new ScenarioError(`iam.roles['${name}'].${key} has no Statement: give an IAM policy document`);
    }
  }
}

export const SCENARIO_HELP = `A scenario is a JSON file; every key is optional:
  region, accountId           where the twin's ARNs live (default eu-west-1, 123456789012)
  seed                        seeds routing and behaviour draws (default: random)
  images                      { "<image>": behaviour }: how tasks of an image answer
                                errorRate 0–1, errorEvery N, statusMix {"200":90,"404":10},
                                latencyMs N or {min,max}, healthStatus, version, crashAfterMs,
                                failToStart true|"reason", dropRate 0–1, exitCode and runMs (one-off tasks)
  blueGreen                   [{ name, image, desiredCount, live: blue|green, idleImage, containerName,
                                containerPort, healthCheckPath, testListener, stickinessSeconds, cluster,
                                circuitBreakerRollback }]
                                two services, two target groups, an ALB with production and test listeners
  ecsNative                   [{ name, image, desiredCount, strategy: BLUE_GREEN|LINEAR|CANARY, cluster,
                                deploymentConfiguration, containerName, containerPort, healthCheckPath,
                                testListener }]: one service under ECS's own blue/green, two target groups,
                                production and test rules over both, an infrastructure role; at rest on one
                                revision. Its deployments move on the scaled clock (timing.minuteMs)
  metrics                     { periodSeconds, publicationDelaySeconds }: CloudWatch as AWS publishes
                                ALB metrics (60 and 120); omitted: 1-second data at once
  alarms                      [{ name, metricName, threshold, namespace, dimensions, statistic,
                                periodSeconds, evaluationPeriods, comparison }]
  ecr                         { repositories: [{ name, scanOnPush, immutable }], findings, scanDelayMs,
                                scanType: BASIC (findings, COMPLETE) | ENHANCED (enhancedFindings, ACTIVE),
                                replicateTo: ["<region>"] (ECR replication to regions the twin serves),
                                replicationDelayMs }
  timing                      { healthCheckIntervalMs, healthyThreshold, unhealthyThreshold,
                                taskStartDelayMs, deregistrationDelayMs, reconcileIntervalMs, minuteMs }
  credentialLifetimeMs        sessions from AssumeRoleWithWebIdentity last this long
  iam                         { roles: { "<role name>": { policy: <IAM policy document>, trust: <trust
                                policy, optional> } } }: calls with credentials of such a role are
                                evaluated against its policy (Deny wins, wildcards, NotAction/NotResource,
                                String/Arn/Bool/Null conditions, iam:PassRole with iam:PassedToService on
                                RegisterTaskDefinition, RunTask overrides and schedule or rule targets)
                                and refused as AWS refuses;
                                the trust's sub/aud conditions are checked against the OIDC token. Without
                                iam, every call is allowed
  scheduledTasks              [{ name, service, schedule: "cron(0 3 * * ? *)", via: scheduler|events,
                                overrides }]: an EventBridge Scheduler schedule (or a rule with one ECS
                                target) running the service's family at its current revision; the twin
                                starts it when due on its clock (timing.minuteMs a minute)
  regions                     { "<region>": { blueGreen, ecsNative, ecr, alarms, scheduledTasks } }: more
                                regions served beside the twin's own (a DR standby), each with its own
                                resources; a client is served by the region it signs for (AWS_REGION)
  pageSize                    every List/Describe page holds at most this many items (test paging)
  port                        the control plane's port (default: any free one)
Ready scenarios: packages/aws-twin/examples/*.json. An unknown key is an error naming it.`;
