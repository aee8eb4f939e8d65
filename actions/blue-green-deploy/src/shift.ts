/**
 * The shift phase: production traffic to the new colour step by step, each step baked and gated; a
 * failed gate puts all traffic back on the previous colour, retrying AWS errors, or fails loudly.
 */
import {
  OutcomeNotRecordedError,
  ReleaseRefusedError,
  runMove,
  TrafficSplitError,
  type StepJudgement,
} from '../../../packages/shared/src/blue-green/move.js';
import type { BlueGreenState } from '../../../packages/shared/src/blue-green/read.js';
import { ActionError } from '../../../packages/shared/src/errors.js';
import { otherColor, type Color } from '../../../packages/shared/src/traffic.js';
import { probeUrlCheck } from '../../../packages/shared/src/signals/probes.js';
import { bakeAndJudge, type GateSettings, type StepRecord } from './cutover.js';
import { DeployFailure, mover, type DeployResult, type PhaseContext } from './phase.js';

/** `shift` on its own: promotes what `prepare` put on the idle colour, and nothing else. */
export async function shiftPrepared(run: PhaseContext, state: BlueGreenState): Promise<DeployResult> {
  refuseShift(state);
  return shift(run, state, state.idle, state.sides[state.idle].taskDefinition);
}

/** Shift refuses anything but the release prepare left, healthy, on the idle colour: nothing is changed. */
export function refuseShift(state: BlueGreenState): void {
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
}

export async function shift(
  run: PhaseContext,
  state: BlueGreenState,
  newColor: Color,
  taskDefinitionArn: string,
): Promise<DeployResult> {
  const { inputs, clients } = run;
  const previous = otherColor(newColor);
  const steps: StepRecord[] = [];
  const result = {
    taskDefinitionArn,
    previousTaskDefinitionArn: state.sides[previous].taskDefinition,
    previousColor: previous,
    steps,
    notices: run.notices,
  };
  const judge = async (percent: number, clock: PhaseContext['clock']): Promise<StepJudgement> => {
    run.log(`Step ${percent} %: baking ${Math.round(inputs['step-bake'] / 1000)} s`);
    const bake = () =>
      bakeAndJudge(
        {
          cloudwatch: clients.cloudwatch,
          bakeMs: inputs['step-bake'],
          clock,
          send: run.send,
          gates: gateSettings(inputs, {
            blue: state.sides.blue.dimensions,
            green: state.sides.green.dimensions,
          }),
        },
        percent,
        newColor,
      );
    const record = run.group ? await run.group(`Step ${percent} %: bake and gate`, bake) : await bake();
    steps.push(record);
    const reasons = record.reasons.join('; ');
    if (record.verdict === 'failed')
      return { verdict: 'fail', reason: `Gate failed at ${percent} %: ${reasons}` };
    if (record.verdict === 'inconclusive')
      return { verdict: 'inconclusive', reason: `Gate inconclusive at ${percent} %: ${reasons}` };
    run.log(`Gate at ${percent} %: ${record.verdict}${reasons ? ` (${reasons})` : ''}`);
    return { verdict: 'pass', reason: reasons };
  };
  let moved;
  try {
    moved = await runMove(mover(run), {
      kind: 'promote',
      to: newColor,
      release: taskDefinitionArn,
      steps: inputs['traffic-steps'],
      expectWeights: state.traffic.weights,
      judge,
      outcome: 'promoted',
      cutoverAt: new Date(run.clock.now()).toISOString(),
      why: `the cutover from ${previous} to ${newColor}`,
    });
  } catch (error) {
    throw failureOfMove(error, result);
  }
  if (moved.lockUnverified) run.notices.push(`Lock unverified: ${moved.lockUnverified}`);
  if (moved.status === 'restored') {
    const outcome =
      moved.restoredBecause === 'fail'
        ? 'rolled-back'
        : moved.restoredBecause === 'inconclusive'
          ? 'inconclusive'
          : 'failed';
    throw new DeployFailure(`${moved.reason}; all traffic is back on ${previous}`, {
      ...result,
      outcome,
      liveColor: previous,
    });
  }
  run.log(`Promoted: ${newColor} serves 100 %; ${previous} keeps running for a fast rollback until cleanup`);
  return { ...result, outcome: 'promoted', liveColor: newColor };
}

/** A move that ended without settling as asked, as the deploy reports it; other errors pass through. */
export function failureOfMove(error: unknown, result: DeployFailure['partial']): unknown {
  if (error instanceof TrafficSplitError)
    return new DeployFailure(error.message, { ...result, outcome: 'traffic-split' });
  if (error instanceof OutcomeNotRecordedError)
    return new DeployFailure(error.message, { ...result, outcome: 'lock-unverified' });
  if (error instanceof ReleaseRefusedError)
    return new DeployFailure(error.message, { ...result, outcome: 'refused' });
  return error;
}

/** The gate of a step from the inputs, over the two target groups' metrics (`dimensions`). */
export function gateSettings(
  inputs: PhaseContext['inputs'],
  dimensions: GateSettings['dimensions'],
): GateSettings {
  return {
    guardrails: { maxErrorRatePercent: inputs['max-error-rate'], maxP95Ms: inputs['max-p95-latency'] },
    comparison: {
      alpha: inputs.alpha,
      looks: inputs['traffic-steps'].length,
      maxErrorIncreasePp: inputs['max-error-increase'],
      maxLatencyIncreaseMs: inputs['max-latency-increase'],
    },
    alarms: inputs.alarms,
    probe: inputs['probe-url'] ? probeUrlCheck(inputs['probe-url']) : undefined,
    probeIntervalMs: Math.max(250, Math.min(2000, Math.floor(inputs['step-bake'] / 4))),
    dimensions,
    periodMs: inputs['metric-period'],
    delayMs: inputs['metric-delay'],
    noData: inputs['no-data'],
    maxBakeMs: inputs['max-bake'],
  };
}
