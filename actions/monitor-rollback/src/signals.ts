/** The monitor's own signals besides ALB metrics and alarms: task restarts, Prometheus, probe rounds. */
import { DescribeTasksCommand, ListTasksCommand, type ECSClient, type Task } from '@aws-sdk/client-ecs';
import type { Check } from '../../../packages/shared/src/checks/checks.js';
import type { HttpRequest, HttpResponse } from '../../../packages/shared/src/checks/http.js';
import { runCheck, type CheckResult, type RunOptions } from '../../../packages/shared/src/checks/runner.js';
import type { Clock } from '../../../packages/shared/src/clock.js';
import type { PrometheusQuery } from './inputs.js';

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

export interface PrometheusReading {
  name: string;
  /** Undefined when the query returned no series: no data for this signal. */
  value?: number;
  failed: boolean;
  text: string;
}

/** Runs each query (`{{color}}` replaced) through the HTTP API and compares it with its threshold. */
export async function readPrometheus(
  url: string,
  queries: PrometheusQuery[],
  color: string,
  options: {
    token?: string;
    send: (request: HttpRequest, timeoutMs: number) => Promise<HttpResponse>;
    timeoutMs: number;
  },
): Promise<PrometheusReading[]> {
  const readings: PrometheusReading[] = [];
  for (const query of queries) {
    const promql = query.query.replaceAll('{{color}}', color);
    const target = `${url.replace(/\/$/, '')}/api/v1/query?query=${encodeURIComponent(promql)}`;
    let value: number | undefined;
    let problem: string | undefined;
    try {
      const response = await options.send(
        {
          method: 'GET',
          url: target,
          headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
        },
        options.timeoutMs,
      );
      if (response.status !== 200) problem = `Prometheus answered ${response.status}`;
      else {
        const body = JSON.parse(response.body) as {
          status?: string;
          data?: { resultType?: string; result?: { value?: [number, string] }[] | [number, string] };
        };
        const result = body.data?.result;
        const values =
          body.data?.resultType === 'scalar'
            ? [Number((result as [number, string])[1])]
            : ((result as { value?: [number, string] }[] | undefined) ?? []).map((series) =>
                Number(series.value?.[1]),
              );
        const finite = values.filter((entry) => Number.isFinite(entry));
        if (finite.length > 0) value = Math.max(...finite);
      }
    } catch (error) {
      problem = `Prometheus query failed: ${(error as Error).message}`;
    }
    const failed =
      value !== undefined &&
      (query.direction === 'above' ? value > query.threshold : value < query.threshold);
    readings.push({
      name: query.name,
      value,
      failed,
      text:
        value === undefined
          ? `${query.name}: ${problem ?? 'no data'}`
          : `${query.name} = ${Math.round(value * 1000) / 1000} (${query.direction === 'above' ? 'max' : 'min'} ${query.threshold})`,
    });
  }
  return readings;
}

export interface ProbeRound {
  at: number;
  passed: boolean;
  results: { name: string; passed: boolean; detail: string }[];
}

/** Every probe check once (no retries: the rounds themselves are the retries). */
export async function runProbeRound(
  probes: Check[],
  options: Omit<RunOptions, 'retries' | 'failFast' | 'concurrency' | 'retryOnStatus' | 'retryOnAssertion'> & {
    clock: Clock;
  },
): Promise<ProbeRound> {
  const at = options.clock.now();
  const results: CheckResult[] = [];
  for (const check of probes) {
    results.push(
      await runCheck(
        check,
        {
          ...options,
          retries: 0,
          failFast: false,
          concurrency: 1,
          retryOnStatus: [],
          retryOnAssertion: false,
        },
        at + options.requestTimeoutMs,
      ),
    );
  }
  return {
    at,
    passed: results.every((result) => result.passed),
    results: results.map((result) => ({
      name: result.check.name,
      passed: result.passed,
      detail: result.passed
        ? `${result.response?.status} in ${result.response?.latencyMs} ms`
        : result.failures[0]
          ? `${result.failures[0].assertion} expected ${result.failures[0].expected}, got ${result.failures[0].actual}`
          : (result.error ?? 'no answer'),
    })),
  };
}
