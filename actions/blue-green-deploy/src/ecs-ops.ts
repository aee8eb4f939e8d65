/** The deploy's own ECS work: task definitions and the one-off migration task. */
import {
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type DescribeTaskDefinitionCommandOutput,
  type ECSClient,
  type RegisterTaskDefinitionCommandInput,
  type RunTaskCommandInput,
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
  await runOneOffTask(
    ecs,
    {
      cluster: options.cluster,
      taskDefinition: options.taskDefinitionArn,
      launchType: 'FARGATE',
      startedBy: 'mpac-migration',
      ...(options.service.networkConfiguration
        ? { networkConfiguration: options.service.networkConfiguration }
        : {}),
      overrides: { containerOverrides: [{ name: options.containerName, command: options.command }] },
    },
    {
      what: 'migration',
      container: options.containerName,
      started: options.command.join(' '),
      after: 'no traffic was moved',
      timeoutMs: options.timeoutMs,
      clock: options.clock,
      log: options.log,
    },
  );
}

export interface OneOffOptions {
  /** What the task is, in messages: `migration`, `scheduled task default/matcher`. */
  what: string;
  /** The container whose exit code is the task's (every other one must exit 0 too); default: all alike. */
  container?: string;
  /** Logged when it starts (the command). */
  started?: string;
  /** What a failure left as it was, said after the reason. */
  after: string;
  timeoutMs: number;
  clock: Clock;
  log: (line: string) => void;
}

/**
 * Starts one task, waits (bounded) for it to stop and judges it by its exit codes: every container
 * must exit 0, a sidecar included. Returns the task's ARN; throws with every exit code otherwise.
 */
export async function runOneOffTask(
  ecs: ECSClient,
  request: RunTaskCommandInput,
  options: OneOffOptions,
): Promise<string> {
  const what = options.what;
  const Whats = what.charAt(0).toUpperCase() + what.slice(1);
  const started = await ecs.send(new RunTaskCommand(request));
  const taskArn = started.tasks?.[0]?.taskArn;
  if (!taskArn)
    throw new ActionError(
      `The ${what} task did not start: ${started.failures?.map((failure) => failure.reason).join(', ') ?? 'no reason given'}; ${options.after}`,
    );
  options.log(
    `${Whats} task ${taskArn.split('/').pop()} started${options.started ? `: ${options.started}` : ''}`,
  );
  const result = await pollUntil({
    clock: options.clock,
    timeoutMs: options.timeoutMs,
    read: async () => {
      const task = (await ecs.send(new DescribeTasksCommand({ cluster: request.cluster, tasks: [taskArn] })))
        .tasks?.[0];
      return { done: task?.lastStatus === 'STOPPED', key: task?.lastStatus ?? 'unknown', value: task };
    },
  });
  const task = result.value;
  if (!result.done)
    throw new ActionError(
      `The ${what} task ${taskArn} did not finish within ${Math.round(options.timeoutMs / 1000)} s; ${options.after}`,
    );
  // Every container counts: a sidecar that failed fails the task too.
  const containers = task?.containers ?? [];
  const codes = containers
    .map((container) => `${container.name} ${container.exitCode ?? 'unknown'}`)
    .join(', ');
  const main = options.container ?? containers.find((container) => container.exitCode !== 0)?.name;
  const exitCode = main
    ? containers.find((container) => container.name === main)?.exitCode
    : containers.length > 0
      ? 0
      : undefined;
  const failedOthers = containers.filter((container) => container.name !== main && container.exitCode !== 0);
  if (exitCode !== 0 || failedOthers.length > 0) {
    throw new ActionError(
      exitCode !== 0
        ? `The ${what} task exited with code ${exitCode ?? 'unknown'} (${task?.stoppedReason ?? 'no reason given'}; exit codes: ${codes}); ${options.after}`
        : `The ${what}'s container exited 0 but ${failedOthers.map((container) => container.name).join(', ')} did not (exit codes: ${codes}); ${options.after}`,
    );
  }
  options.log(`${Whats} finished with exit code 0`);
  return taskArn;
}

/** Splits a migration command line into arguments, honouring simple quotes. */
export function splitCommand(command: string): string[] {
  const parts = command.match(/"[^"]*"|'[^']*'|\S+/g) ?? [];
  return parts.map((part) => part.replace(/^(["'])(.*)\1$/, '$2'));
}
