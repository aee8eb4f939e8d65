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
  stoppedTasks: { id: string; reason: string; exitCode?: number }[];
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
 * count, and every target in its group is healthy. Fails early when the deployment FAILED.
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
      const rollout =
        primary?.taskDefinition === options.taskDefinitionArn
          ? (primary.rolloutState ?? 'IN_PROGRESS')
          : 'NOT_STARTED';
      const failed = rollout === 'FAILED';
      let summary = `${rollout}, ${running}/${options.desiredCount} running`;
      let done = failed;
      if (rollout === 'COMPLETED' && running >= options.desiredCount) {
        const health =
          (await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: options.targetGroupArn })))
            .TargetHealthDescriptions ?? [];
        const healthy = health.filter((target) => target.TargetHealth?.State === 'healthy').length;
        summary += `, ${healthy}/${health.length} targets healthy`;
        done = healthy >= options.desiredCount && health.length === healthy;
      }
      return { done, key: summary, value: { failed, summary, reason: primary?.rolloutStateReason } };
    },
    onChange: (state) => options.log(`${options.service}: ${state.summary}`),
  });
  if (result.done && !result.value.failed) return;
  const why = result.value.failed
    ? `its deployment failed (${result.value.reason ?? 'no reason given'})`
    : `it did not become stable and healthy within ${Math.round(options.timeoutMs / 1000)} s (${result.value.summary})`;
  throw new DeploymentNotHealthyError(
    `${options.service} was not deployed: ${why}`,
    await collectDiagnostics(ecs, elbv2, options),
  );
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
