/** Moving traffic step by step, with a gate after each change; a failed gate restores the old colour. */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Clock } from '../../../packages/shared/src/clock.js';
import {
  judgeMetrics,
  probe,
  readAlarmStates,
  readTargetGroupMetrics,
  type GateThresholds,
  type MetricSample,
} from '../../../packages/shared/src/gates.js';
import {
  forwardWithWeights,
  writeProductionActions,
  type Color,
  type ColorGroups,
  type ProductionTarget,
  type TrafficState,
} from '../../../packages/shared/src/traffic.js';

export interface StepRecord {
  percent: number;
  startedAt: number;
  bakeMs: number;
  metrics?: MetricSample;
  alarmsInAlarm: string[];
  probes: { sent: number; failed: number };
  verdict: 'passed' | 'failed' | 'no data';
  reasons: string[];
}

export interface GateSettings {
  thresholds: GateThresholds;
  alarms: string[];
  probeUrl?: string;
  /** Time between probes and alarm reads during a bake. */
  probeIntervalMs: number;
  loadBalancerDimension: string;
  targetGroupDimension: string;
}

export interface CutoverOptions {
  elbv2: ElasticLoadBalancingV2Client;
  cloudwatch: CloudWatchClient;
  target: ProductionTarget;
  groups: ColorGroups;
  state: TrafficState;
  newColor: Color;
  steps: number[];
  bakeMs: number;
  gates: GateSettings;
  clock: Clock;
  log: (line: string) => void;
  /** Called once weights are about to change for the first time (for the post step's safety net). */
  onFirstShift: () => void;
}

export interface CutoverResult {
  promoted: boolean;
  steps: StepRecord[];
  failure?: string;
}

/**
 * Shifts to `newColor` through the steps. After each change the rule is read back, then baked and
 * gated; the first failed gate puts 100 % back on the previous colour (verified) and stops.
 */
export async function runCutover(options: CutoverOptions): Promise<CutoverResult> {
  const steps: StepRecord[] = [];
  const previous = options.newColor === 'blue' ? 'green' : 'blue';
  options.onFirstShift();
  for (const percent of options.steps) {
    await writeProductionActions(
      options.elbv2,
      options.target,
      forwardWithWeights(options.state, options.groups, options.newColor, percent),
      options.groups,
    );
    options.log(
      `Traffic: ${percent} % on ${options.newColor}, ${100 - percent} % on ${previous}; baking ${Math.round(options.bakeMs / 1000)} s`,
    );
    const record = await bakeAndJudge(options, percent);
    steps.push(record);
    if (record.verdict === 'failed') {
      options.log(
        `Gate failed at ${percent} %: ${record.reasons.join('; ')}. Restoring 100 % to ${previous}.`,
      );
      await writeProductionActions(options.elbv2, options.target, options.state.actions, options.groups);
      return { promoted: false, steps, failure: `Gate failed at ${percent} %: ${record.reasons.join('; ')}` };
    }
    options.log(
      `Gate at ${percent} %: ${record.verdict}${record.reasons.length ? ` (${record.reasons.join('; ')})` : ''}`,
    );
  }
  return { promoted: true, steps };
}

async function bakeAndJudge(options: CutoverOptions, percent: number): Promise<StepRecord> {
  const startedAt = options.clock.now();
  const bakeUntil = startedAt + options.bakeMs;
  const record: StepRecord = {
    percent,
    startedAt,
    bakeMs: options.bakeMs,
    alarmsInAlarm: [],
    probes: { sent: 0, failed: 0 },
    verdict: 'passed',
    reasons: [],
  };
  let consecutiveProbeFailures = 0;
  // The fast signals (probes, alarms) are checked through the bake; ALB metrics arrive late, so they
  // are judged once, over the whole bake.
  while (options.clock.now() < bakeUntil) {
    if (options.gates.probeUrl) {
      const result = await probe(options.gates.probeUrl, Math.min(5000, options.gates.probeIntervalMs));
      record.probes.sent++;
      if (result.ok) consecutiveProbeFailures = 0;
      else {
        record.probes.failed++;
        consecutiveProbeFailures++;
      }
      if (consecutiveProbeFailures >= 2) {
        return fail(
          record,
          `probe ${options.gates.probeUrl} failed twice in a row (${result.status ?? result.error})`,
        );
      }
    }
    if (options.gates.alarms.length > 0) {
      const states = await readAlarmStates(options.cloudwatch, options.gates.alarms);
      record.alarmsInAlarm = [...states].filter(([, state]) => state === 'ALARM').map(([name]) => name);
      if (record.alarmsInAlarm.length > 0)
        return fail(record, `alarm ${record.alarmsInAlarm.join(', ')} in ALARM`);
    }
    await options.clock.sleep(
      Math.max(0, Math.min(options.gates.probeIntervalMs, bakeUntil - options.clock.now())),
    );
  }
  record.metrics = await readTargetGroupMetrics(
    options.cloudwatch,
    { loadBalancer: options.gates.loadBalancerDimension, targetGroup: options.gates.targetGroupDimension },
    startedAt,
    options.clock.now(),
  );
  const verdict = judgeMetrics(record.metrics, options.gates.thresholds);
  if (!verdict.passed) return fail(record, ...verdict.reasons);
  if (verdict.noData) {
    record.verdict = 'no data';
    record.reasons = verdict.reasons;
  }
  return record;
}

function fail(record: StepRecord, ...reasons: string[]): StepRecord {
  record.verdict = 'failed';
  record.reasons = reasons;
  return record;
}
