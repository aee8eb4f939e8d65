/**
 * The shift phase: production traffic to the new colour step by step, each step baked and gated; a
 * failed gate puts all traffic back on the previous colour, retrying AWS errors, or fails loudly.
 */
import { LeaseLostError } from '../../../packages/shared/src/blue-green/lease.js';
import {
  moveTraffic,
  rollBackTo,
  TrafficChangedError,
  TrafficSplitError,
} from '../../../packages/shared/src/blue-green/move.js';
import { recordOutcome } from '../../../packages/shared/src/blue-green/outcome.js';
import type { BlueGreenState } from '../../../packages/shared/src/blue-green/read.js';
import { ActionError, errorMessage } from '../../../packages/shared/src/errors.js';
import { otherColor, type Color } from '../../../packages/shared/src/traffic.js';
import { bakeAndJudge, type GateSettings, type StepRecord } from './cutover.js';
import {
  DeployFailure,
  markSafeEnd,
  markSettled,
  moveOptions,
  type DeployResult,
  type PhaseContext,
} from './phase.js';

/** `shift` on its own: promotes what `prepare` put on the idle colour, and nothing else. */
export async function shiftPrepared(run: PhaseContext, state: BlueGreenState): Promise<DeployResult> {
  const idle = state.sides[state.idle];
  const prepared = state.prepared;
  if (!prepared || prepared.color !== state.idle || prepared.detail !== idle.taskDefinition) {
    throw new ActionError(
      `Nothing prepared to shift: ${idle.serviceName} (${state.idle}) runs ${idle.taskDefinition || 'nothing'}` +
        (prepared
          ? `, but prepare left ${prepared.detail} on ${prepared.color}`
          : ', and no prepare phase recorded a release') +
        '. Run the prepare phase before shift.',
    );
  }
  if (idle.runningCount === 0)
    throw new ActionError(
      `${idle.serviceName} (${state.idle}) runs no tasks: run the prepare phase before shift`,
    );
  return shift(run, state, state.idle, idle.taskDefinition);
}

export async function shift(
  run: PhaseContext,
  state: BlueGreenState,
  newColor: Color,
  taskDefinitionArn: string,
): Promise<DeployResult> {
  const { inputs, clients } = run;
  const previous = otherColor(newColor);
  const previousTaskDefinitionArn = state.sides[previous].taskDefinition;
  const steps: StepRecord[] = [];
  const result = {
    taskDefinitionArn,
    previousTaskDefinitionArn,
    previousColor: previous,
    steps,
    notices: run.notices,
  };
  await markSafeEnd(run, previous, `the cutover from ${previous} to ${newColor}`);
  const cutoverAt = new Date(run.clock.now()).toISOString();
  let weights = state.traffic.weights;
  for (const percent of inputs['traffic-steps']) {
    try {
      const moved = await moveTraffic(clients, run.target, newColor, percent, {
        ...moveOptions(run),
        expect: weights,
      });
      weights = moved.traffic.weights;
    } catch (error) {
      if (error instanceof LeaseLostError || error instanceof TrafficChangedError) throw error;
      const failure = `Moving ${percent} % of traffic to ${newColor} failed (${errorMessage(error)})`;
      run.log(`${failure}. Putting all traffic back on ${previous}.`);
      return restorePrevious(run, previous, failure, result, 'failed');
    }
    run.log(
      `Traffic: ${percent} % on ${newColor}, ${100 - percent} % on ${previous}; baking ${Math.round(inputs['step-bake'] / 1000)} s`,
    );
    const bake = () =>
      bakeAndJudge(
        {
          cloudwatch: clients.cloudwatch,
          bakeMs: inputs['step-bake'],
          clock: run.clock,
          probe: run.probe,
          gates: gateSettings(inputs, state),
        },
        percent,
        newColor,
      );
    const record = run.group ? await run.group(`Step ${percent} %: bake and gate`, bake) : await bake();
    steps.push(record);
    if (record.verdict === 'failed' || record.verdict === 'inconclusive') {
      const failure = `${record.verdict === 'failed' ? 'Gate failed' : 'Gate inconclusive'} at ${percent} %: ${record.reasons.join('; ')}`;
      run.log(`${failure}. Putting all traffic back on ${previous}.`);
      return restorePrevious(
        run,
        previous,
        failure,
        result,
        record.verdict === 'failed' ? 'rolled-back' : 'inconclusive',
      );
    }
    run.log(
      `Gate at ${percent} %: ${record.verdict}${record.reasons.length ? ` (${record.reasons.join('; ')})` : ''}`,
    );
  }
  await recordOutcome(
    clients.elbv2,
    run.target.production.arn,
    {
      liveColor: newColor,
      previousColor: previous,
      taskDefinition: taskDefinitionArn,
      previousTaskDefinition: previousTaskDefinitionArn,
      outcome: 'promoted',
      run: run.holder,
      cutoverAt,
    },
    run.clock.now(),
  );
  await markSettled(run, { clearTag: false });
  run.log(`Promoted: ${newColor} serves 100 %; ${previous} keeps running for a fast rollback until cleanup`);
  return { ...result, outcome: 'promoted', liveColor: newColor };
}

async function restorePrevious(
  run: PhaseContext,
  previous: Color,
  failure: string,
  result: Omit<DeployResult, 'outcome' | 'liveColor'>,
  outcome: 'rolled-back' | 'inconclusive' | 'failed',
): Promise<never> {
  try {
    await rollBackTo(run.clients, run.target, previous, {
      ...moveOptions(run),
      retryForMs: run.inputs['restore-timeout'],
    });
  } catch (error) {
    if (error instanceof TrafficSplitError)
      throw new DeployFailure(`${failure}; then: ${error.message}`, { ...result, outcome: 'traffic-split' });
    throw error;
  }
  await recordOutcome(
    run.clients.elbv2,
    run.target.production.arn,
    {
      liveColor: previous,
      previousColor: previous,
      taskDefinition: result.previousTaskDefinitionArn,
      previousTaskDefinition: result.previousTaskDefinitionArn,
      rejectedTaskDefinition: outcome === 'rolled-back' ? result.taskDefinitionArn : undefined,
      outcome,
      run: run.holder,
    },
    run.clock.now(),
  );
  await markSettled(run, { clearTag: false });
  throw new DeployFailure(`${failure}; all traffic is back on ${previous}`, {
    ...result,
    outcome,
    liveColor: previous,
  });
}

export function gateSettings(inputs: PhaseContext['inputs'], state: BlueGreenState): GateSettings {
  return {
    guardrails: { maxErrorRatePercent: inputs['max-error-rate'], maxP95Ms: inputs['max-p95-latency'] },
    comparison: {
      alpha: inputs.alpha,
      looks: inputs['traffic-steps'].length,
      maxErrorIncreasePp: inputs['max-error-increase'],
      maxLatencyIncreaseMs: inputs['max-latency-increase'],
    },
    alarms: inputs.alarms,
    probeUrl: inputs['probe-url'],
    probeIntervalMs: Math.max(250, Math.min(2000, Math.floor(inputs['step-bake'] / 4))),
    dimensions: { blue: state.sides.blue.dimensions, green: state.sides.green.dimensions },
    periodMs: inputs['metric-period'],
    delayMs: inputs['metric-delay'],
    noData: inputs['no-data'],
    maxBakeMs: inputs['max-bake'],
  };
}
