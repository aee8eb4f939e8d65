/** ECS reads and waits that the deploy, the rollback and the monitor share. */
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  UpdateServiceCommand,
  type ECSClient,
  type Service,
} from '@aws-sdk/client-ecs';
import {
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Clock } from './clock.js';
import { ActionError, InputError } from './errors.js';
import { pollUntil } from './poll.js';
import type { Color } from './traffic.js';

export interface ColorServices {
  blue: Service;
  green: Service;
}

export async function describeColorServices(
  ecs: ECSClient,
  cluster: string,
  names: Record<Color, string>,
): Promise<ColorServices> {
  let response;
  try {
    response = await ecs.send(new DescribeServicesCommand({ cluster, services: [names.blue, names.green] }));
  } catch (error) {
    throw error instanceof Error && error.name === 'ClusterNotFoundException'
      ? new InputError(
          'cluster',
          `names ${cluster}, which ECS does not have in this account and region`,
          'mpac-production',
        )
      : error;
  }
  const find = (name: string) =>
    response.services?.find((service) => service.serviceName === name && service.status === 'ACTIVE');
  const missing = [names.blue, names.green].filter((name) => !find(name));
  if (missing.length > 0)
    throw new ActionError(
      `ECS cluster ${cluster} has no active service named ${missing.join(' or ')}; check service, blue-service and green-service`,
    );
  for (const name of [names.blue, names.green]) {
    if (!find(name)!.loadBalancers?.[0]?.targetGroupArn)
      throw new ActionError(
        `Service ${name} is not attached to a target group; blue/green needs one per colour`,
      );
  }
  return { blue: find(names.blue)!, green: find(names.green)! };
}

export async function updateService(
  ecs: ECSClient,
  cluster: string,
  service: string,
  change: { taskDefinition?: string; desiredCount?: number },
): Promise<void> {
  await ecs.send(new UpdateServiceCommand({ cluster, service, ...change }));
}

export interface Diagnostics {
  stoppedTasks: { id: string; reason: string; exitCode?: number; taskDefinitionArn?: string }[];
  events: string[];
  targetHealth: { target: string; state: string; reason?: string; description?: string }[];
}

export interface StableWaitOptions {
  cluster: string;
  service: string;
  targetGroupArn: string;
  taskDefinitionArn: string;
  desiredCount: number;
  timeoutMs: number;
  clock: Clock;
  log: (line: string) => void;
}

/** A read of the service every this long while waiting: a change is seen within a second, at about one call a second. */
export const STABLE_POLL_MS = 1000;

/**
 * Waits until the service's primary deployment runs `taskDefinitionArn` COMPLETED with the desired
 * count, and every target in its group is healthy. ECS's own verdicts end the wait at once: the
 * deployment FAILED, or the circuit breaker rolled the service back to another revision.
 *
 * Prompt and frugal at once: one DescribeServices a second (ECS marks the rollout COMPLETED when
 * the tasks' health checks pass); the target group is read only once ECS says COMPLETED, to
 * confirm it.
 */
export async function waitForHealthyService(
  ecs: ECSClient,
  elbv2: ElasticLoadBalancingV2Client,
  options: StableWaitOptions,
): Promise<void> {
  const result = await pollUntil({
    clock: options.clock,
    timeoutMs: options.timeoutMs,
    minIntervalMs: STABLE_POLL_MS,
    maxIntervalMs: STABLE_POLL_MS,
    read: async () => {
      const service = (
        await ecs.send(new DescribeServicesCommand({ cluster: options.cluster, services: [options.service] }))
      ).services?.[0];
      const primary = service?.deployments?.find((deployment) => deployment.status === 'PRIMARY');
      const running = service?.runningCount ?? 0;
      const verdict = breakerVerdict(service, options.taskDefinitionArn);
      const rollout =
        primary?.taskDefinition === options.taskDefinitionArn
          ? (primary.rolloutState ?? 'IN_PROGRESS')
          : 'NOT_STARTED';
      let summary = `${verdict ? 'FAILED' : rollout}, ${running}/${options.desiredCount} running`;
      let done = verdict !== undefined;
      if (!done && rollout === 'COMPLETED' && running >= options.desiredCount) {
        const health =
          (await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: options.targetGroupArn })))
            .TargetHealthDescriptions ?? [];
        const healthy = health.filter((target) => target.TargetHealth?.State === 'healthy').length;
        summary += `, ${healthy}/${health.length} targets healthy`;
        done = healthy >= options.desiredCount && health.length === healthy;
      }
      return { done, key: summary, value: { verdict, summary } };
    },
    onChange: (state) => options.log(`${options.service}: ${state.summary}`),
  });
  if (result.done && !result.value.verdict) return;
  const why =
    result.value.verdict ??
    `it did not become stable and healthy within ${Math.round(options.timeoutMs / 1000)} s (${result.value.summary})`;
  const diagnostics = await collectDiagnostics(ecs, elbv2, options);
  // The tasks of the release that failed tell why; the old ones stopped by ECS do not.
  const ours = diagnostics.stoppedTasks.filter(
    (task) => task.taskDefinitionArn === options.taskDefinitionArn,
  );
  const reasons = [...new Set(ours.map((task) => task.reason))].slice(0, 2);
  const stopped = result.value.verdict && reasons.length > 0 ? `; stopped tasks: ${reasons.join(' / ')}` : '';
  throw new DeploymentNotHealthyError(`${options.service} was not deployed: ${why}${stopped}`, diagnostics);
}

/**
 * ECS's own verdict on the deployment of `taskDefinitionArn`, when it gave one: the rollout FAILED
 * (the circuit breaker, or a task that could not start), or the breaker already rolled the service
 * back to another revision. Undefined while the deployment is still under way or done.
 */
export function breakerVerdict(service: Service | undefined, taskDefinitionArn: string): string | undefined {
  const deployments = service?.deployments ?? [];
  const primary = deployments.find((deployment) => deployment.status === 'PRIMARY');
  const ours = deployments.find((deployment) => deployment.taskDefinition === taskDefinitionArn);
  const breakerEvents = (service?.events ?? [])
    .map((event) => event.message ?? '')
    .filter((message) => /circuit breaker|deployment failed|rolling back/i.test(message))
    .slice(0, 2);
  const evidence = breakerEvents.length > 0 ? `; ECS said: ${breakerEvents.join(' / ')}` : '';
  if (ours?.rolloutState === 'FAILED')
    return `its deployment failed (${ours.rolloutStateReason ?? 'no reason given'})${evidence}`;
  if (
    primary &&
    primary.taskDefinition !== taskDefinitionArn &&
    service?.taskDefinition !== taskDefinitionArn
  )
    return `ECS's deployment circuit breaker rolled it back to ${primary.taskDefinition}${evidence}`;
  return undefined;
}

export class DeploymentNotHealthyError extends ActionError {
  constructor(
    message: string,
    readonly diagnostics: Diagnostics,
  ) {
    super(message);
  }
}

/** Stopped-task reasons, the newest service events and target-health reasons: why a colour is not healthy. */
export async function collectDiagnostics(
  ecs: ECSClient,
  elbv2: ElasticLoadBalancingV2Client,
  where: { cluster: string; service: string; targetGroupArn: string },
): Promise<Diagnostics> {
  const stoppedArns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ecs.send(
      new ListTasksCommand({
        cluster: where.cluster,
        serviceName: where.service,
        desiredStatus: 'STOPPED',
        nextToken,
      }),
    );
    stoppedArns.push(...(page.taskArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  const stopped =
    stoppedArns.length === 0
      ? []
      : ((await ecs.send(new DescribeTasksCommand({ cluster: where.cluster, tasks: stoppedArns.slice(-20) })))
          .tasks ?? []);
  const service = (
    await ecs.send(new DescribeServicesCommand({ cluster: where.cluster, services: [where.service] }))
  ).services?.[0];
  const health =
    (await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: where.targetGroupArn })))
      .TargetHealthDescriptions ?? [];
  return {
    stoppedTasks: stopped.map((task) => ({
      id: task.taskArn!.split('/').pop()!,
      taskDefinitionArn: task.taskDefinitionArn,
      reason: task.stoppedReason ?? 'no reason given',
      exitCode:
        task.containers?.find((container) => container.exitCode !== undefined && container.exitCode !== 0)
          ?.exitCode ?? task.containers?.[0]?.exitCode,
    })),
    events: (service?.events ?? []).slice(0, 10).map((event) => event.message ?? ''),
    targetHealth: health.map((target) => ({
      target: `${target.Target?.Id}:${target.Target?.Port}`,
      state: target.TargetHealth?.State ?? 'unknown',
      reason: target.TargetHealth?.Reason,
      description: target.TargetHealth?.Description,
    })),
  };
}
