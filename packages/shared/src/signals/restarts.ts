/** The task restarts provider: stopped tasks of the live service, added up over the watch. */
import { DescribeTasksCommand, ListTasksCommand, type ECSClient, type Task } from '@aws-sdk/client-ecs';
import type { Measurement } from './judge.js';

export interface Restart {
  taskId: string;
  stoppedAt: number;
  reason: string;
  /** Every container's exit code: a failing sidecar shows too. */
  exitCodes: { container: string; exitCode?: number }[];
}

/**
 * Tasks of the service that stopped since `sinceMs` (up to `untilMs`) and were not counted before:
 * ListTasks STOPPED (all pages), then DescribeTasks of only the tasks not seen stopped before.
 * Tracked by task, not by time window: ECS lists a task as STOPPED a while before it has stopped
 * (no stoppedAt yet), so such a task is described again until it has; one that stopped before the
 * watch is described once, not every check for the hour ECS keeps listing it.
 */
export async function newStoppedTasks(
  ecs: ECSClient,
  cluster: string,
  serviceName: string,
  sinceMs: number,
  untilMs: number,
  seen: Set<string>,
): Promise<Restart[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ecs.send(
      new ListTasksCommand({ cluster, serviceName, desiredStatus: 'STOPPED', nextToken }),
    );
    arns.push(...(page.taskArns ?? []).filter((arn) => !seen.has(arn)));
    nextToken = page.nextToken;
  } while (nextToken);
  const tasks: Task[] = [];
  for (let index = 0; index < arns.length; index += 100) {
    const batch = arns.slice(index, index + 100);
    tasks.push(...((await ecs.send(new DescribeTasksCommand({ cluster, tasks: batch }))).tasks ?? []));
  }
  const fresh: Task[] = [];
  for (const task of tasks) {
    const stoppedAt = task.stoppedAt ? new Date(task.stoppedAt).getTime() : Number.NaN;
    if (!(stoppedAt <= untilMs)) continue; // still stopping: described again next time
    seen.add(task.taskArn!);
    if (stoppedAt >= sinceMs) fresh.push(task);
  }
  return fresh
    .map((task) => ({
      taskId: task.taskArn!.split('/').pop()!,
      stoppedAt: new Date(task.stoppedAt!).getTime(),
      reason: task.stoppedReason ?? 'no reason given',
      exitCodes: (task.containers ?? []).map((container) => ({
        container: container.name ?? '?',
        exitCode: container.exitCode,
      })),
    }))
    .sort((a, b) => a.stoppedAt - b.stoppedAt);
}

export function describeRestart(restart: Restart): string {
  const codes = restart.exitCodes.map((entry) => `${entry.container} ${entry.exitCode ?? '—'}`).join(', ');
  return `task ${restart.taskId} stopped: ${restart.reason} (exit codes: ${codes || 'none'})`;
}

/**
 * Restarts add up over the window, as the platform's "restarts per hour" alert counts them: once
 * past the limit every later check fails too, so a crash loop is rolled back however its restarts
 * fall between checks.
 */
export function measureRestarts(
  all: Restart[],
  fresh: Restart[],
  max: number,
  serviceName: string,
): Measurement {
  // A quiet service says nothing about requests: no evidence by itself, but never a failure.
  if (all.length <= max)
    return {
      signal: 'restarts',
      verdict: 'pass',
      evidence: 0,
      reason: `${all.length} task restart(s) of ${serviceName} (max ${max})`,
    };
  return {
    signal: 'restarts',
    verdict: 'fail',
    evidence: 1,
    reason: `${all.length} task restart${all.length === 1 ? '' : 's'} of ${serviceName} since the watch began (max ${max}): ${describeRestart((fresh.at(-1) ?? all.at(-1))!)}`,
  };
}
