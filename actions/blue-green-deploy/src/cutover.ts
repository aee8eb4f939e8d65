/** The gate of one traffic step: bake, then judge the new colour. */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Clock } from '../../../packages/shared/src/clock.js';
import {
  judgeMetrics,
  probe,
  readAlarmStates,
  readTargetGroupMetrics,
  type GateThresholds,
  type MetricSample,
  type ProbeResult,
} from '../../../packages/shared/src/gates.js';

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

export interface BakeOptions {
  cloudwatch: CloudWatchClient;
  bakeMs: number;
  gates: GateSettings;
  /** The run's clock: its sleeps keep the deploy lease. */
  clock: Clock;
  /** The HTTP probe (default: a real GET). */
  probe?: (url: string, timeoutMs: number) => Promise<ProbeResult>;
}

/**
 * Watches one step for the bake: probes and alarms through it (fast signals), then the new colour's
 * ALB metrics over the whole bake (they arrive late).
 */
export async function bakeAndJudge(options: BakeOptions, percent: number): Promise<StepRecord> {
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
      const result = await (options.probe ?? probe)(
        options.gates.probeUrl,
        Math.min(5000, options.gates.probeIntervalMs),
      );
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
