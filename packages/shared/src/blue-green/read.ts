/** One read of everything a blue/green decision needs: services, target groups, weights, recorded tags. */
import type { ECSClient, Service } from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describeColorServices } from '../ecs.js';
import { ActionError } from '../errors.js';
import {
  analyseTraffic,
  describeTags,
  readProductionActions,
  type Color,
  type ColorGroups,
  type ProductionTarget,
  type TrafficState,
} from '../traffic.js';
import { parseLockEntry, type LockEntry } from './lease.js';
import {
  parseColorMark,
  parseColorReleases,
  parseRecordedOutcome,
  PREPARED_TAG,
  SAFE_END_TAG,
  type ColorMark,
  type ColorReleases,
  type RecordedOutcome,
} from './outcome.js';

/** Where a blue/green service lives: its cluster, the two colour services and the listeners. */
export interface BlueGreenTarget {
  cluster: string;
  serviceNames: Record<Color, string>;
  production: ProductionTarget;
  /** A test listener rule, or a listener's default action, that forwards only to the idle colour. */
  test?: ProductionTarget;
}

export interface BlueGreenClients {
  ecs: ECSClient;
  elbv2: ElasticLoadBalancingV2Client;
}

export interface ColorSide {
  color: Color;
  serviceName: string;
  taskDefinition: string;
  desiredCount: number;
  runningCount: number;
  targetGroupArn: string;
  /** The CloudWatch dimension values of the colour's target group (both are needed per group). */
  dimensions: { loadBalancer: string; targetGroup: string };
  /** Weight on the production forward action. */
  weight: number;
  service: Service;
}

/** The colours and the split, without the tags: enough to move traffic while tags cannot be read. */
export interface ColorsState {
  sides: Record<Color, ColorSide>;
  groups: ColorGroups;
  traffic: TrafficState;
  /** The colour with the larger weight (blue on a tie). */
  live: Color;
  idle: Color;
  /** Neither colour has all the traffic. */
  split: boolean;
}

export interface BlueGreenState extends ColorsState {
  /** The outcome the last run recorded in the production tags. */
  recorded?: RecordedOutcome;
  /** Set while a run moves traffic: where traffic must end if that run dies (detail: the run). */
  safeEnd?: ColorMark;
  /** Set by `prepare`: the colour and task definition a later `shift` promotes. */
  prepared?: ColorMark;
  /** The release last verified on each colour, and any put there unverified. */
  releases: ColorReleases;
  locks: LockEntry[];
}

/** `app/<name>/<id>`, the LoadBalancer dimension, from a listener or listener-rule ARN. */
export function loadBalancerDimension(listenerOrRuleArn: string): string {
  const match = /:(?:listener|listener-rule)\/(app\/[^/]+\/[^/]+)\//.exec(listenerOrRuleArn);
  if (!match) throw new ActionError(`Cannot tell the load balancer from ${listenerOrRuleArn}`);
  return match[1]!;
}

export async function readTags(
  elbv2: ElasticLoadBalancingV2Client,
  resourceArn: string,
): Promise<Map<string, string>> {
  const tags = await describeTags(elbv2, resourceArn);
  return new Map(tags.map((tag) => [tag.Key ?? '', tag.Value ?? '']));
}

/**
 * Reads the two services and the production split (two calls), and refuses shapes the suite cannot
 * move safely (see analyseTraffic). No tags: a move still works while tags cannot be read.
 */
export async function readColors(
  clients: BlueGreenClients,
  target: BlueGreenTarget,
  options: { maxStickinessSeconds?: number } = {},
): Promise<ColorsState> {
  const loadBalancer = loadBalancerDimension(target.production.arn);
  const services = await describeColorServices(clients.ecs, target.cluster, target.serviceNames);
  const groups: ColorGroups = {
    blue: services.blue.loadBalancers![0]!.targetGroupArn!,
    green: services.green.loadBalancers![0]!.targetGroupArn!,
  };
  const traffic = analyseTraffic(
    await readProductionActions(clients.elbv2, target.production),
    groups,
    options.maxStickinessSeconds,
  );
  const side = (color: Color): ColorSide => {
    const service = services[color];
    return {
      color,
      serviceName: service.serviceName!,
      taskDefinition: service.taskDefinition ?? '',
      desiredCount: service.desiredCount ?? 0,
      runningCount: service.runningCount ?? 0,
      targetGroupArn: groups[color],
      dimensions: { loadBalancer, targetGroup: groups[color].slice(groups[color].indexOf('targetgroup/')) },
      weight: traffic.weights[color],
      service,
    };
  };
  return {
    sides: { blue: side('blue'), green: side('green') },
    groups,
    traffic,
    live: traffic.live,
    idle: traffic.idle,
    split: traffic.weights.blue > 0 && traffic.weights.green > 0,
  };
}

/** The colours, the split and what the tags record (three calls). */
export async function readBlueGreen(
  clients: BlueGreenClients,
  target: BlueGreenTarget,
  options: { maxStickinessSeconds?: number } = {},
): Promise<BlueGreenState> {
  const colors = await readColors(clients, target, options);
  const tags = await readTags(clients.elbv2, target.production.arn);
  return withTags(colors, tags);
}

/** The colours with what the tags on the production rule or listener record. */
export function withTags(colors: ColorsState, tags: Map<string, string>): BlueGreenState {
  const recorded = parseRecordedOutcome(tags);
  return {
    ...colors,
    recorded,
    safeEnd: parseColorMark(tags.get(SAFE_END_TAG)),
    prepared: parseColorMark(tags.get(PREPARED_TAG)),
    releases: parseColorReleases(tags, recorded, {
      live: colors.live,
      liveRevision: colors.sides[colors.live].taskDefinition,
      settled: !colors.split,
    }),
    locks: [...tags].flatMap(([key, value]) => parseLockEntry(key, value) ?? []),
  };
}

/** `blue 95 / green 5` as percentages of the total weight. */
export function describeWeights(weights: Record<Color, number>): string {
  const total = weights.blue + weights.green || 1;
  const percent = (color: Color) => Math.round((100 * weights[color]) / total);
  return `blue ${percent('blue')} % / green ${percent('green')} %`;
}
