/**
 * The gate of one traffic step. Probes and alarms are watched through the bake (fast signals); ALB
 * metrics are judged over the complete periods CloudWatch has published since the traffic moved,
 * the new colour against the old over the same periods. A step without evidence is inconclusive
 * unless the user said `no-data: pass`.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Clock } from '../../../packages/shared/src/clock.js';
import { probe, readAlarmStates, type ProbeResult } from '../../../packages/shared/src/gates.js';
import {
  aggregate,
  completePeriods,
  judgeMetrics,
  type Aggregate,
  type Comparison,
  type Guardrails,
  type MetricJudgement,
} from '../../../packages/shared/src/signals/analysis.js';
import { readColorMetrics, type ColorDimensions } from '../../../packages/shared/src/signals/cloudwatch.js';
import { otherColor, type Color } from '../../../packages/shared/src/traffic.js';

export type NoDataPolicy = 'fail' | 'pass' | 'wait';

export interface StepRecord {
  percent: number;
  startedAt: number;
  /** How long the step was watched, extensions for late or missing data included. */
  bakedMs: number;
  newColor: Color;
  /** The new colour over the judged periods. */
  canary?: Aggregate;
  /** The old colour over the same periods. */
  baseline?: Aggregate;
  /** The comparison in numbers, when both colours served requests. */
  comparison?: string;
  alarmsInAlarm: string[];
  /** Alarm reads made (each is evidence). */
  alarmReads: number;
  probes: { sent: number; failed: number };
  /** Requests in CloudWatch + probe results + alarm reads. */
  evidence: number;
  verdict: 'passed' | 'failed' | 'inconclusive' | 'no data';
  reasons: string[];
}

export interface GateSettings {
  guardrails: Guardrails;
  comparison: Comparison;
  alarms: string[];
  probeUrl?: string;
  /** Time between probes and alarm reads during a bake. */
  probeIntervalMs: number;
  dimensions: Record<Color, ColorDimensions>;
  periodMs: number;
  /** How late CloudWatch may publish a period. */
  delayMs: number;
  noData: NoDataPolicy;
  /** With `no-data: wait`, the longest a step is watched for evidence. */
  maxBakeMs: number;
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

export async function bakeAndJudge(
  options: BakeOptions,
  percent: number,
  newColor: Color,
): Promise<StepRecord> {
  const { clock, gates } = options;
  const startedAt = clock.now();
  const record: StepRecord = {
    percent,
    startedAt,
    bakedMs: 0,
    newColor,
    alarmsInAlarm: [],
    alarmReads: 0,
    probes: { sent: 0, failed: 0 },
    evidence: 0,
    verdict: 'passed',
    reasons: [],
  };
  const done = (verdict: StepRecord['verdict'], reasons: string[]): StepRecord => {
    record.bakedMs = clock.now() - startedAt;
    record.evidence = (record.canary?.requests ?? 0) + record.probes.sent + record.alarmReads;
    record.verdict = verdict;
    record.reasons = reasons;
    return record;
  };
  let probeFailuresInARow = 0;
  /** Probes and alarms every interval until `until`; the reason of the first failure, if any. */
  const watch = async (until: number): Promise<string | undefined> => {
    while (clock.now() < until) {
      if (gates.probeUrl) {
        const result = await (options.probe ?? probe)(gates.probeUrl, Math.min(5000, gates.probeIntervalMs));
        record.probes.sent++;
        if (result.ok) probeFailuresInARow = 0;
        else {
          record.probes.failed++;
          if (++probeFailuresInARow >= 2)
            return `probe ${gates.probeUrl} failed twice in a row (${result.status ?? result.error})`;
        }
      }
      if (gates.alarms.length > 0) {
        const states = await readAlarmStates(options.cloudwatch, gates.alarms);
        record.alarmReads++;
        record.alarmsInAlarm = [...states].filter(([, state]) => state === 'ALARM').map(([name]) => name);
        if (record.alarmsInAlarm.length > 0) return `alarm ${record.alarmsInAlarm.join(', ')} in ALARM`;
      }
      await clock.sleep(Math.max(0, Math.min(gates.probeIntervalMs, until - clock.now())));
    }
    return undefined;
  };
  /** The metric verdict over the complete periods of [startedAt, windowEnd); undefined when there is none. */
  const judge = async (windowEnd: number): Promise<MetricJudgement | undefined> => {
    const now = clock.now();
    const starts = completePeriods({
      fromMs: startedAt,
      untilMs: windowEnd,
      nowMs: now,
      periodMs: gates.periodMs,
      delayMs: gates.delayMs,
    });
    if (starts.length === 0) return undefined;
    const series = await readColorMetrics(
      options.cloudwatch,
      gates.dimensions,
      starts[0]!,
      starts.at(-1)! + gates.periodMs,
      gates.periodMs / 1000,
    );
    const oldColor = otherColor(newColor);
    record.canary = aggregate(series[newColor], starts);
    record.baseline = aggregate(series[oldColor], starts);
    const judgement = judgeMetrics(
      { color: newColor, aggregate: record.canary },
      { color: oldColor, aggregate: record.baseline },
      gates.guardrails,
      gates.comparison,
    );
    record.comparison = judgement.comparison;
    return judgement;
  };
  /**
   * Watches the fast signals until the window's last period is published (late is not missing:
   * CloudWatch may publish up to metric-delay after a period ends), then judges the whole window.
   */
  const watchAndJudge = async (windowEnd: number): Promise<MetricJudgement | string | undefined> => {
    const lastEnd = Math.floor(windowEnd / gates.periodMs) * gates.periodMs;
    const failure = await watch(lastEnd + gates.delayMs);
    return failure ?? (await judge(windowEnd));
  };

  // The step's window holds the bake, and at least one whole period after the traffic moved.
  let windowEnd = Math.max(
    startedAt + options.bakeMs,
    (Math.ceil(startedAt / gates.periodMs) + 1) * gates.periodMs,
  );
  let judgement = await watchAndJudge(windowEnd);
  if (typeof judgement === 'string') return done('failed', [judgement]);
  if (judgement?.verdict === 'failed') return done('failed', judgement.reasons);
  const hasEvidence = () => (record.canary?.requests ?? 0) + record.probes.sent + record.alarmReads > 0;
  if (!hasEvidence() && gates.noData === 'wait') {
    const waitUntil = startedAt + Math.max(options.bakeMs, gates.maxBakeMs);
    while (!hasEvidence() && windowEnd < waitUntil) {
      windowEnd = Math.min(windowEnd + gates.periodMs, waitUntil);
      judgement = await watchAndJudge(windowEnd);
      if (typeof judgement === 'string') return done('failed', [judgement]);
      if (judgement?.verdict === 'failed') return done('failed', judgement.reasons);
    }
  }
  if (hasEvidence()) return done('passed', judgement?.verdict === 'no-data' ? judgement.reasons : []);
  const reason = `no evidence: ${judgement?.reasons[0] ?? 'no complete metric period'}; no probe, no alarm`;
  return gates.noData === 'pass'
    ? done('no data', [`${reason} (no-data: pass)`])
    : done('inconclusive', [reason]);
}
