/** The ECS side of a deploy, in narrow functions named for what they do. */
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  UpdateServiceCommand,
  type ECSClient,
  type RegisterTaskDefinitionCommandInput,
  type Service,
} from '@aws-sdk/client-ecs';
import {
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Clock } from '../../../packages/shared/src/clock.js';
import { ActionError } from '../../../packages/shared/src/errors.js';
import { pollUntil } from '../../../packages/shared/src/poll.js';

export async function describeTaskDefinition(
  ecs: ECSClient,
  reference: string,
): Promise<Record<string, unknown>> {
  const response = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: reference }));
  if (!response.taskDefinition) throw new ActionError(`Task definition ${reference} was not found`);
  return response.taskDefinition as unknown as Record<string, unknown>;
}

export async function registerTaskDefinition(
  ecs: ECSClient,
  definition: Record<string, unknown>,
): Promise<string> {
  const response = await ecs.send(
    new RegisterTaskDefinitionCommand(definition as unknown as RegisterTaskDefinitionCommandInput),
  );
  return response.taskDefinition!.taskDefinitionArn!;
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

/**
 * Waits until the service's primary deployment runs `taskDefinitionArn` COMPLETED with the desired
 * count, and every target in its group is healthy. Fails early when the deployment FAILED.
 */
export async function waitForHealthyService(
  ecs: ECSClient,
  elbv2: ElasticLoadBalancingV2Client,
  options: StableWaitOptions,
): Promise<void> {
  const result = await pollUntil({
    clock: options.clock,
    timeoutMs: options.timeoutMs,
    read: async () => {
      const service = (
        await ecs.send(new DescribeServicesCommand({ cluster: options.cluster, services: [options.service] }))
      ).services?.[0];
      const primary = service?.deployments?.find((deployment) => deployment.status === 'PRIMARY');
      const health =
        (await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: options.targetGroupArn })))
          .TargetHealthDescriptions ?? [];
      const healthy = health.filter((target) => target.TargetHealth?.State === 'healthy').length;
      const rollout =
        primary?.taskDefinition === options.taskDefinitionArn
          ? (primary.rolloutState ?? 'IN_PROGRESS')
          : 'NOT_STARTED';
      const failed = rollout === 'FAILED';
      const done =
        failed ||
        (rollout === 'COMPLETED' &&
          (service?.runningCount ?? 0) >= options.desiredCount &&
          healthy >= options.desiredCount &&
          health.length === healthy);
      const summary = `${rollout}, ${service?.runningCount ?? 0}/${options.desiredCount} running, ${healthy}/${health.length} targets healthy`;
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
  const stoppedArns =
    (
      await ecs.send(
        new ListTasksCommand({
          cluster: where.cluster,
          serviceName: where.service,
          desiredStatus: 'STOPPED',
        }),
      )
    ).taskArns ?? [];
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
      exitCode: task.containers?.[0]?.exitCode,
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

export interface MigrationOptions {
  cluster: string;
  taskDefinitionArn: string;
  containerName: string;
  command: string[];
  /** The idle service, whose network configuration the one-off task borrows. */
  service: Service;
  timeoutMs: number;
  clock: Clock;
  log: (line: string) => void;
}

/** Runs a one-off task (migrations) with the new task definition and waits for its exit code. */
export async function runMigration(ecs: ECSClient, options: MigrationOptions): Promise<void> {
  const started = await ecs.send(
    new RunTaskCommand({
      cluster: options.cluster,
      taskDefinition: options.taskDefinitionArn,
      launchType: 'FARGATE',
      startedBy: 'mpac-migration',
      ...(options.service.networkConfiguration
        ? { networkConfiguration: options.service.networkConfiguration }
        : {}),
      overrides: { containerOverrides: [{ name: options.containerName, command: options.command }] },
    }),
  );
  const taskArn = started.tasks?.[0]?.taskArn;
  if (!taskArn)
    throw new ActionError(
      `The migration task did not start: ${started.failures?.map((failure) => failure.reason).join(', ') ?? 'no reason given'}`,
    );
  options.log(`Migration task ${taskArn.split('/').pop()} started: ${options.command.join(' ')}`);
  const result = await pollUntil({
    clock: options.clock,
    timeoutMs: options.timeoutMs,
    read: async () => {
      const task = (await ecs.send(new DescribeTasksCommand({ cluster: options.cluster, tasks: [taskArn] })))
        .tasks?.[0];
      return { done: task?.lastStatus === 'STOPPED', key: task?.lastStatus ?? 'unknown', value: task };
    },
  });
  const task = result.value;
  if (!result.done)
    throw new ActionError(
      `The migration task ${taskArn} did not finish within ${Math.round(options.timeoutMs / 1000)} s`,
    );
  const exitCode =
    task?.containers?.find((container) => container.name === options.containerName)?.exitCode ??
    task?.containers?.[0]?.exitCode;
  if (exitCode !== 0) {
    throw new ActionError(
      `The migration task exited with code ${exitCode ?? 'unknown'} (${task?.stoppedReason ?? 'no reason given'}); no traffic was moved`,
    );
  }
  options.log('Migration finished with exit code 0');
}

/** Splits a migration command line into arguments, honouring simple quotes. */
export function splitCommand(command: string): string[] {
  const parts = command.match(/"[^"]*"|'[^']*'|\S+/g) ?? [];
  return parts.map((part) => part.replace(/^(["'])(.*)\1$/, '$2'));
}
