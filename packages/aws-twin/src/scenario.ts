/** What a twin starts with: resources, image behaviours, timing. JSON or a JS object. */
import type { ImageBehaviour } from './images.js';
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
