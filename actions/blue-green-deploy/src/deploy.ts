/** One run of the action: take the lease, read the state afresh, run the phase, let go. */
import { acquireLease, LeaseLostError } from '../../../packages/shared/src/blue-green/lease.js';
import { TrafficChangedError } from '../../../packages/shared/src/blue-green/move.js';
import {
  readBlueGreen,
  type BlueGreenState,
  type BlueGreenTarget,
} from '../../../packages/shared/src/blue-green/read.js';
import { describeColorServices } from '../../../packages/shared/src/ecs.js';
import { cleanup, refuseCleanup } from './cleanup.js';
import type { Inputs } from './inputs.js';
import {
  DeployFailure,
  leaseOptions,
  type DeployContext,
  type DeployResult,
  type PhaseContext,
} from './phase.js';
import { leaveSplit, prepare, refuseSplit, resolveTaskDefinition } from './prepare.js';
import { rollback } from './rollback.js';
import { refuseShift, shift, shiftPrepared } from './shift.js';
import { refuseStandbySplit, standby } from './standby.js';

export { DeployFailure, type DeployContext, type DeployResult } from './phase.js';

export function blueGreenTarget(inputs: Inputs): BlueGreenTarget {
  if (!inputs.production) throw new Error('strategy weighted needs the production listener or rule');
  return {
    cluster: inputs.cluster,
    serviceNames: { blue: inputs['blue-service'], green: inputs['green-service'] },
    production: inputs.production,
    test: inputs.test,
  };
}

export async function deploy(context: DeployContext): Promise<DeployResult> {
  const { inputs, clients } = context;
  const target = blueGreenTarget(inputs);
  const deploying = inputs.phase === 'all' || inputs.phase === 'prepare' || inputs.phase === 'standby';
  // Before the lock, with reads only, so that a mistake in the inputs changes nothing: the release,
  // and that the cluster has both colours (the plan itself is read after the lock).
  const resolved = deploying ? (context.resolved ?? (await resolveTaskDefinition(context))) : undefined;
  await describeColorServices(clients.ecs, inputs.cluster, target.serviceNames);
  const lease = await acquireLease(clients.elbv2, target.production.arn, {
    ...leaseOptions(context),
    // A run about to refuse leaves an expired lock where it is, for the recovery job to see.
    beforeTakeOver: async () => refuseEarly(inputs, await readBlueGreen(clients, target)),
  });
  const run: PhaseContext = {
    ...context,
    target,
    lease,
    clock: lease.clock(),
    baseClock: context.clock,
    state: { holder: context.holder, target, lockHeld: true, restoreTimeoutMs: inputs['restore-timeout'] },
    notices: [...(resolved?.notices ?? [])],
  };
  context.save(run.state);
  try {
    // Read only now that the lease is ours: a run that waited sees what the previous one left.
    const state = await readBlueGreen(clients, target, {
      maxStickinessSeconds: Math.floor(inputs['step-bake'] / 1000),
    });
    switch (inputs.phase) {
      case 'all':
      case 'prepare': {
        const ready = await leaveSplit(run, state);
        const prepared = await prepare(run, ready, resolved!);
        const live = ready.live;
        if (prepared === 'unchanged')
          return {
            outcome: 'unchanged',
            taskDefinitionArn: ready.sides[live].taskDefinition,
            previousTaskDefinitionArn: ready.sides[live].taskDefinition,
            liveColor: live,
            previousColor: live,
            steps: [],
            notices: run.notices,
          };
        if (inputs.phase === 'prepare')
          return {
            outcome: 'prepared',
            taskDefinitionArn: prepared.taskDefinitionArn,
            previousTaskDefinitionArn: ready.sides[live].taskDefinition,
            liveColor: live,
            previousColor: live,
            steps: [],
            notices: run.notices,
            testListener: prepared.testListener,
          };
        const result = await shift(run, ready, prepared.newColor, prepared.taskDefinitionArn);
        return { ...result, testListener: prepared.testListener };
      }
      case 'shift':
        return await shiftPrepared(run, state);
      case 'rollback':
        return await rollback(run, state);
      case 'cleanup':
        return await cleanup(run, state);
      case 'standby':
        return await standby(run, state, resolved!);
      default:
        throw new Error(`Unknown phase ${String(inputs.phase)}`);
    }
  } catch (error) {
    if (error instanceof LeaseLostError) {
      // Another run may own traffic now: this run stops touching it. Its post step restores the
      // safe end only if nobody holds the lease by then.
      run.state.lockHeld = false;
      context.save(run.state);
      throw new DeployFailure(error.message, { outcome: 'lock-lost', steps: [], notices: run.notices });
    }
    if (error instanceof TrafficChangedError)
      // Someone moved traffic by hand while this run held the lease: it is left as they set it.
      throw new DeployFailure(error.message, { outcome: 'failed', steps: [], notices: run.notices });
    throw error;
  } finally {
    // A run that could not settle traffic keeps the lease for its post step, which retries.
    if (inputs.phase !== 'prepare' && run.state.lockHeld && !run.state.safeEnd) {
      await lease
        .release()
        .catch((error: Error) => context.log(`Could not release the deploy lock: ${error.message}`));
      run.state.lockHeld = false;
      context.save(run.state);
    }
  }
}

/** The refusals a phase makes on the state alone, before it would take over another run's expired lock. */
function refuseEarly(inputs: Inputs, state: BlueGreenState): void {
  if (inputs.phase === 'all' || inputs.phase === 'prepare') refuseSplit(inputs, state);
  if (inputs.phase === 'shift') refuseShift(state);
  if (inputs.phase === 'cleanup') refuseCleanup(state);
  if (inputs.phase === 'standby') refuseStandbySplit(state);
}
