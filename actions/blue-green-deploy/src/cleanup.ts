/** The cleanup phase: scale the idle colour to zero once nothing can need it for a fast rollback. */
import { describeWeights, type BlueGreenState } from '../../../packages/shared/src/blue-green/read.js';
import { updateService } from '../../../packages/shared/src/ecs.js';
import { ActionError } from '../../../packages/shared/src/errors.js';
import type { DeployResult, PhaseContext } from './phase.js';

/** Cleanup while a colour besides the live one has traffic, or a run moves it, is refused. */
export function refuseCleanup(state: BlueGreenState): void {
  if (state.split || state.safeEnd)
    throw new ActionError(
      `${state.idle} still receives traffic or a run is moving it (${describeWeights(state.traffic.weights)}); ` +
        'finish or roll back the cutover before cleanup. Nothing was changed.',
    );
}

export async function cleanup(run: PhaseContext, state: BlueGreenState): Promise<DeployResult> {
  const { live, idle } = state;
  refuseCleanup(state);
  const idleSide = state.sides[idle];
  await run.lease.check();
  await updateService(run.clients.ecs, run.inputs.cluster, idleSide.serviceName, { desiredCount: 0 });
  run.log(`Scaled ${idleSide.serviceName} (${idle}) to 0 tasks`);
  return {
    outcome: 'cleaned-up',
    taskDefinitionArn: state.sides[live].taskDefinition,
    previousTaskDefinitionArn: state.sides[live].taskDefinition,
    liveColor: live,
    previousColor: live,
    steps: [],
    notices: run.notices,
  };
}
