/**
 * `run-scheduled-now`: after a promotion, each scheduled task runs once on the promoted revision,
 * as its schedule would start it (its cluster, launch type, network, overrides), and is judged by
 * its exit codes like the migration task: the night's reconciliation is known to work before the
 * night comes.
 */
import type { ECSClient, RunTaskCommandInput } from '@aws-sdk/client-ecs';
import type { Clock } from '../../../packages/shared/src/clock.js';
import { ActionError, errorMessage } from '../../../packages/shared/src/errors.js';
import {
  readScheduledTarget,
  type ScheduleClients,
  type ScheduledTarget,
  type ScheduledTask,
} from '../../../packages/shared/src/scheduled-tasks/update.js';
import { runOneOffTask } from './ecs-ops.js';

export interface ScheduledRunNow {
  label: string;
  taskArn?: string;
  status: 'exited 0' | 'failed';
  error?: string;
}

/** The RunTask request a scheduled target makes, on `taskDefinitionArn`, one task. */
export function runTaskRequestOf(target: ScheduledTarget, taskDefinitionArn: string): RunTaskCommandInput {
  const parameters = target.ecsParameters;
  const network = parameters.NetworkConfiguration?.awsvpcConfiguration;
  let overrides: RunTaskCommandInput['overrides'];
  if (target.input) {
    try {
      overrides = JSON.parse(target.input) as RunTaskCommandInput['overrides'];
    } catch {
      throw new ActionError(
        `its target's Input is not JSON (RunTask overrides): ${target.input.slice(0, 80)}`,
      );
    }
  }
  return {
    cluster: target.clusterArn,
    taskDefinition: taskDefinitionArn,
    count: 1,
    startedBy: 'mpac-run-scheduled-now',
    ...(parameters.CapacityProviderStrategy?.length
      ? { capacityProviderStrategy: parameters.CapacityProviderStrategy }
      : { launchType: parameters.LaunchType ?? 'FARGATE' }),
    ...(parameters.PlatformVersion ? { platformVersion: parameters.PlatformVersion } : {}),
    ...(parameters.Group ? { group: parameters.Group } : {}),
    ...(network
      ? {
          networkConfiguration: {
            awsvpcConfiguration: {
              subnets: network.Subnets ?? [],
              ...(network.SecurityGroups ? { securityGroups: network.SecurityGroups } : {}),
              ...(network.AssignPublicIp ? { assignPublicIp: network.AssignPublicIp } : {}),
            },
          },
        }
      : {}),
    ...(parameters.EnableExecuteCommand !== undefined
      ? { enableExecuteCommand: parameters.EnableExecuteCommand }
      : {}),
    ...(parameters.EnableECSManagedTags !== undefined
      ? { enableECSManagedTags: parameters.EnableECSManagedTags }
      : {}),
    ...(overrides ? { overrides } : {}),
  };
}

/** Runs each scheduled task once on `taskDefinitionArn`; every one runs, and each says how it ended. */
export async function runScheduledNow(
  clients: ScheduleClients & { ecs: ECSClient },
  tasks: ScheduledTask[],
  taskDefinitionArn: string,
  options: { timeoutMs: number; clock: Clock; log: (line: string) => void },
): Promise<ScheduledRunNow[]> {
  const runs: ScheduledRunNow[] = [];
  for (const task of tasks) {
    try {
      const target = await readScheduledTarget(clients, task);
      if (!target) throw new ActionError('it is gone');
      const taskArn = await runOneOffTask(clients.ecs, runTaskRequestOf(target, taskDefinitionArn), {
        what: 'scheduled',
        after: 'traffic stays on the release',
        timeoutMs: options.timeoutMs,
        clock: options.clock,
        log: options.log,
      });
      runs.push({ label: task.label, taskArn, status: 'exited 0' });
    } catch (error) {
      runs.push({ label: task.label, status: 'failed', error: errorMessage(error) });
      options.log(`${task.label}: ${errorMessage(error)}`);
    }
  }
  return runs;
}

/** The run's failure when a scheduled task did not exit 0, naming each. */
export function runNowFailure(runs: ScheduledRunNow[]): string | undefined {
  const failed = runs.filter((run) => run.status === 'failed');
  if (failed.length === 0) return undefined;
  return `run-scheduled-now: ${failed.map((run) => `${run.label}: ${run.error}`).join('; ')}`;
}

/** The summary's lines for the one-off runs. */
export function runNowSummaryPart(runs: ScheduledRunNow[]): string[] {
  if (runs.length === 0) return [];
  return [
    '### Scheduled tasks run now',
    '',
    '| Scheduled task | Task | Result |',
    '| --- | --- | --- |',
    ...runs.map(
      (run) =>
        `| ${run.label} | ${run.taskArn ? `\`${run.taskArn.split('/').pop()}\`` : '—'} | ${run.status === 'failed' ? `❌ ${run.error}` : '✅ exited 0'} |`,
    ),
    '',
  ];
}
