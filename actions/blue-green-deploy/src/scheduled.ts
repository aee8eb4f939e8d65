/**
 * The deploy's scheduled tasks (`scheduled-tasks`): found before anything in AWS changes, so a
 * wrong name fails first (after the run, main points them at the revision the live side runs).
 */
import type { ECSClient } from '@aws-sdk/client-ecs';
import {
  familyOf,
  findScheduledTasksOf,
  type ScheduleClients,
  type ScheduledTask,
} from '../../../packages/shared/src/scheduled-tasks/update.js';
import type { Inputs } from './inputs.js';
import type { ResolvedTaskDefinition } from './prepare.js';

type Clients = ScheduleClients & { ecs: Pick<ECSClient, 'send'> };

/** The family to deploy, when the inputs name it (else the service's own is read). */
function givenFamily(inputs: Inputs, rendered?: ResolvedTaskDefinition): string | undefined {
  const given = rendered?.definition?.family;
  if (typeof given === 'string') return given;
  if (rendered?.arn) return familyOf(rendered.arn);
  const source = inputs.taskDefinition;
  if (source?.kind === 'arn') return familyOf(source.arn);
  if (source?.kind === 'family') return source.family;
  return undefined;
}

/** Reads (only) the scheduled tasks to keep on the release; [] when the input is not given. */
export async function scheduledTasksOf(
  clients: Clients,
  inputs: Inputs,
  rendered?: ResolvedTaskDefinition,
): Promise<ScheduledTask[]> {
  const wanted = inputs['scheduled-tasks'];
  if (!wanted) return [];
  const family = givenFamily(inputs, rendered);
  return findScheduledTasksOf(clients, wanted, {
    cluster: inputs.cluster,
    service: inputs.strategy === 'ecs-native' ? inputs.service : inputs['blue-service'],
    ...(family ? { family } : {}),
  });
}
