/**
 * Release identity: a colour receives customers only if it runs the revision the mover expects
 * (the one just verified, or the one last verified on that colour), with its tasks up.
 */
import type { Clock } from '../clock.js';
import { DeploymentNotHealthyError, updateService, waitForHealthyService } from '../ecs.js';
import { ActionError } from '../errors.js';
import { otherColor, type Color } from '../traffic.js';
import type { BlueGreenClients, BlueGreenTarget, ColorsState } from './read.js';

/** The colour does not run what the mover expects and could not be made to: nothing moved. */
export class ReleaseRefusedError extends ActionError {}

export interface EnsureOptions {
  /** Bring the expected revision back onto the colour when it runs another (else refuse). */
  bringBack: boolean;
  /** Runs before every change to the service: the lease check. */
  guard?: () => Promise<void>;
  clock: Clock;
  log: (line: string) => void;
  waitTimeoutMs: number;
}

/** The last three parts of a task definition ARN: `svc-portal:3`. */
export function shortRevision(arn: string): string {
  return arn.split('/').pop() ?? arn;
}

/**
 * Makes sure `color` runs `release` with its tasks healthy before customers are sent there: brings
 * the release back (a new deployment of the colour, waited for and health-checked) or scales a
 * scaled-down colour up. Throws ReleaseRefusedError when it cannot, naming both revisions.
 */
export async function ensureRelease(
  clients: BlueGreenClients,
  target: BlueGreenTarget,
  colors: ColorsState,
  color: Color,
  release: string,
  options: EnsureOptions,
): Promise<'ready' | 'brought-back' | 'scaled-up'> {
  const side = colors.sides[color];
  const wrongRelease = side.taskDefinition !== release;
  if (!wrongRelease && side.desiredCount > 0 && side.runningCount >= side.desiredCount) return 'ready';
  if (wrongRelease && !options.bringBack)
    throw new ReleaseRefusedError(
      `${side.serviceName} (${color}) runs ${side.taskDefinition || 'nothing'}, not ${release}, the release expected there; no customer was moved to it`,
    );
  const desiredCount = side.desiredCount || Math.max(1, colors.sides[otherColor(color)].desiredCount);
  if (wrongRelease)
    options.log(
      `${side.serviceName} (${color}) runs ${shortRevision(side.taskDefinition)}, not ${shortRevision(release)}, the release it must run: starting ${shortRevision(release)} on it first`,
    );
  else if (side.desiredCount === 0)
    options.log(`${side.serviceName} (${color}) was scaled down; bringing ${desiredCount} tasks back first`);
  if (wrongRelease || side.desiredCount === 0) {
    await options.guard?.();
    await updateService(clients.ecs, target.cluster, side.serviceName, {
      ...(wrongRelease ? { taskDefinition: release } : {}),
      desiredCount,
    });
  }
  try {
    await waitForHealthyService(clients.ecs, clients.elbv2, {
      cluster: target.cluster,
      service: side.serviceName,
      targetGroupArn: side.targetGroupArn,
      taskDefinitionArn: release,
      desiredCount,
      timeoutMs: options.waitTimeoutMs,
      clock: options.clock,
      log: options.log,
    });
  } catch (error) {
    if (wrongRelease && error instanceof DeploymentNotHealthyError)
      throw new ReleaseRefusedError(
        `${side.serviceName} (${color}) ran ${side.taskDefinition}, and ${release} could not be brought back onto it (${error.message}); no customer was moved to it`,
      );
    throw error;
  }
  return wrongRelease ? 'brought-back' : 'scaled-up';
}
