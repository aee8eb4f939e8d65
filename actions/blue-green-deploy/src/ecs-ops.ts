/** The deploy's own ECS work: task definitions and the one-off migration task. */
import {
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type DescribeTaskDefinitionCommandOutput,
  type ECSClient,
  type RegisterTaskDefinitionCommandInput,
  type Service,
} from '@aws-sdk/client-ecs';
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

export const RUN_TAG = 'mpac:run';

/** A task definition as ECS describes it, or undefined when ECS has none by that reference. */
export async function findTaskDefinition(
  ecs: ECSClient,
  reference: string,
  include?: 'TAGS',
): Promise<DescribeTaskDefinitionCommandOutput | undefined> {
  try {
    const response = await ecs.send(
      new DescribeTaskDefinitionCommand({
        taskDefinition: reference,
        ...(include ? { include: [include] } : {}),
      }),
    );
    return response.taskDefinition ? response : undefined;
  } catch (error) {
    if ((error as { name?: string }).name === 'ClientException') return undefined;
    throw error;
  }
}

/** The family's newest ACTIVE revision with its tags, or undefined when the family has none. */
export async function describeLatestRevision(
  ecs: ECSClient,
  family: string,
): Promise<{ definition: Record<string, unknown>; tags: Map<string, string> } | undefined> {
  const response = await findTaskDefinition(ecs, family, 'TAGS');
  if (!response) return undefined;
  return {
    definition: response.taskDefinition as unknown as Record<string, unknown>,
    tags: new Map((response.tags ?? []).map((tag) => [tag.key ?? '', tag.value ?? ''])),
  };
}

export interface RegisterOnceOptions {
  /** Tagged on the revision: a retry after a lost response finds it instead of registering twice. */
  run: string;
  clock: Clock;
  log: (line: string) => void;
  attempts?: number;
}

/**
 * Registers a revision at most once per run. The call goes without SDK retries (RegisterTaskDefinition
 * is not idempotent); after a failure the family's newest revision is read, and if it carries this
 * run's tag, the registration had happened and that revision is used.
 */
export async function registerOnce(
  ecs: ECSClient,
  ecsSingleAttempt: ECSClient,
  definition: Record<string, unknown>,
  options: RegisterOnceOptions,
): Promise<string> {
  const family = String(definition.family);
  const existingTags = (definition.tags as { key: string; value: string }[] | undefined) ?? [];
  const input = {
    ...definition,
    tags: [...existingTags.filter((tag) => tag.key !== RUN_TAG), { key: RUN_TAG, value: options.run }],
  } as unknown as RegisterTaskDefinitionCommandInput;
  const attempts = options.attempts ?? 4;
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await ecsSingleAttempt.send(new RegisterTaskDefinitionCommand(input));
      return response.taskDefinition!.taskDefinitionArn!;
    } catch (error) {
      const latest = await describeLatestRevision(ecs, family);
      if (latest?.tags.get(RUN_TAG) === options.run) {
        options.log(
          `RegisterTaskDefinition failed (${(error as Error).message}), but ${String(latest.definition.taskDefinitionArn)} was registered by this run: using it`,
        );
        return String(latest.definition.taskDefinitionArn);
      }
      if (attempt >= attempts || !isRetryable(error)) throw error;
      options.log(`RegisterTaskDefinition failed (${(error as Error).message}); trying again`);
      await options.clock.sleep(500 * 2 ** (attempt - 1));
    }
  }
}

/** Throttling, AWS 5xx and network errors; not a refusal of the request itself. */
function isRetryable(error: unknown): boolean {
  const details = error as { $metadata?: { httpStatusCode?: number }; name?: string; $retryable?: unknown };
  const status = details.$metadata?.httpStatusCode;
  if (status === undefined) return true;
  return status >= 500 || status === 429 || /Throttl/i.test(details.name ?? '');
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
  // Every container counts: a sidecar that failed fails the migration too.
  const containers = task?.containers ?? [];
  const exitCode = containers.find((container) => container.name === options.containerName)?.exitCode;
  const others = containers.filter((container) => container.name !== options.containerName);
  const failedOthers = others.filter((container) => container.exitCode !== 0);
  if (exitCode !== 0 || failedOthers.length > 0) {
    const codes = containers
      .map((container) => `${container.name} ${container.exitCode ?? 'unknown'}`)
      .join(', ');
    throw new ActionError(
      exitCode !== 0
        ? `The migration task exited with code ${exitCode ?? 'unknown'} (${task?.stoppedReason ?? 'no reason given'}; exit codes: ${codes}); no traffic was moved`
        : `The migration's container exited 0 but ${failedOthers.map((container) => container.name).join(', ')} did not (exit codes: ${codes}); no traffic was moved`,
    );
  }
  options.log('Migration finished with exit code 0');
}

/** Splits a migration command line into arguments, honouring simple quotes. */
export function splitCommand(command: string): string[] {
  const parts = command.match(/"[^"]*"|'[^']*'|\S+/g) ?? [];
  return parts.map((part) => part.replace(/^(["'])(.*)\1$/, '$2'));
}
