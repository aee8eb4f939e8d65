/**
 * The gate of one traffic step, through the one judge (packages/shared/src/signals/judge.ts).
 * Probes and alarms are watched through the bake (fast signals: two failed probe rounds in a row or
 * an alarm in ALARM fail it at once); ALB metrics are judged over the complete periods CloudWatch
 * has published since the traffic moved, the new colour against the old over the same periods. A
 * step without evidence is what `no-data` says: watched longer (`wait`), failed, or passed.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Check } from '../../../packages/shared/src/checks/checks.js';
import type { HttpRequest, HttpResponse } from '../../../packages/shared/src/checks/http.js';
import type { Clock } from '../../../packages/shared/src/clock.js';
import { measureAlarms } from '../../../packages/shared/src/signals/alarms.js';
import type { Aggregate } from '../../../packages/shared/src/signals/analysis.js';
import type { ColorDimensions } from '../../../packages/shared/src/signals/cloudwatch.js';
import {
  judge,
  type Judgement,
  type Measurement,
  type NoDataPolicy,
} from '../../../packages/shared/src/signals/judge.js';
import { measureMetrics, type MetricRules } from '../../../packages/shared/src/signals/metrics.js';
import { runProbeRound } from '../../../packages/shared/src/signals/probes.js';
import type { Color } from '../../../packages/shared/src/traffic.js';

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
  /** Alarm reads made. */
  alarmReads: number;
  probes: { sent: number; failed: number };
  /** Evidence behind the verdict: requests in CloudWatch, probe results, alarms with data. */
  evidence: number;
  verdict: 'passed' | 'failed' | 'inconclusive' | 'no data';
  /** The verdict came from `no-data`, not from evidence. */
  noData: boolean;
  reasons: string[];
  /** Every signal's last measurement, as the judge saw them. */
  measurements: Measurement[];
}

export interface GateSettings extends MetricRules {
  alarms: string[];
  /** probe-url as a check. */
  probe?: Check;
  /** Time between probes and alarm reads during a bake (and each probe's whole deadline). */
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
  send: (request: HttpRequest, timeoutMs: number) => Promise<HttpResponse>;
}

/** Two failed probe rounds in a row fail a step at once. */
const PROBE_FAILURES_IN_A_ROW = 2;

export async function bakeAndJudge(
  options: BakeOptions,
  percent: number,
  newColor: Color,
): Promise<StepRecord> {
  const { clock, gates } = options;
  const step = new Step(options, percent, newColor);
  // The window holds the bake, and at least one whole period after the traffic moved.
  let windowEnd = Math.max(
    step.record.startedAt + options.bakeMs,
    (Math.ceil(step.record.startedAt / gates.periodMs) + 1) * gates.periodMs,
  );
  const waitUntil = step.record.startedAt + Math.max(options.bakeMs, gates.maxBakeMs);
  let judgement = await step.watchAndJudge(windowEnd);
  while (judgement.verdict === 'inconclusive' && gates.noData === 'wait' && windowEnd < waitUntil) {
    windowEnd = Math.min(windowEnd + gates.periodMs, waitUntil);
    judgement = await step.watchAndJudge(windowEnd);
  }
  return step.finish(judgement, clock.now());
}

/** One step's watch: the fast signals through the bake, then the whole window judged. */
class Step {
  readonly record: StepRecord;
  private probeFailuresInARow = 0;
  private fast: Measurement[] = [];

  constructor(
    private readonly options: BakeOptions,
    percent: number,
    newColor: Color,
  ) {
    this.record = {
      percent,
      startedAt: options.clock.now(),
      bakedMs: 0,
      newColor,
      alarmsInAlarm: [],
      alarmReads: 0,
      probes: { sent: 0, failed: 0 },
      evidence: 0,
      verdict: 'passed',
      noData: false,
      reasons: [],
      measurements: [],
    };
  }

  /**
   * Watches the fast signals until the window's last period is published (late is not missing:
   * CloudWatch may publish up to metric-delay after a period ends), then judges the window.
   */
  async watchAndJudge(windowEnd: number): Promise<Judgement> {
    const { gates } = this.options;
    const lastEnd = Math.floor(windowEnd / gates.periodMs) * gates.periodMs;
    const failed = await this.watchFast(lastEnd + gates.delayMs);
    if (failed) return this.judgeNow([failed]);
    const metrics = await measureMetrics(
      this.options.cloudwatch,
      gates.dimensions,
      {
        fromMs: this.record.startedAt,
        untilMs: windowEnd,
        nowMs: this.options.clock.now(),
        periodMs: gates.periodMs,
        delayMs: gates.delayMs,
      },
      this.record.newColor,
      { kind: 'other-colour' },
      gates,
    );
    this.record.canary = metrics.canary;
    this.record.baseline = metrics.baseline;
    this.record.comparison = metrics.comparison;
    return this.judgeNow([metrics.measurement, ...this.fast]);
  }

  private judgeNow(measurements: Measurement[]): Judgement {
    this.record.measurements = measurements;
    return judge(measurements, this.options.gates.noData);
  }

  /** Probes and alarms every interval until `until`; the failing measurement that ends the step, if any. */
  private async watchFast(until: number): Promise<Measurement | undefined> {
    const { clock, gates } = this.options;
    while (clock.now() < until) {
      const failed = (await this.probe()) ?? (await this.alarms());
      if (failed) return failed;
      await clock.sleep(Math.max(0, Math.min(gates.probeIntervalMs, until - clock.now())));
    }
    return undefined;
  }

  private async probe(): Promise<Measurement | undefined> {
    const { gates, clock, send } = this.options;
    if (!gates.probe) return undefined;
    const round = await runProbeRound([gates.probe], {
      requestTimeoutMs: Math.min(5000, gates.probeIntervalMs),
      clock,
      send,
    });
    this.record.probes.sent++;
    if (round.passed) this.probeFailuresInARow = 0;
    else {
      this.record.probes.failed++;
      this.probeFailuresInARow++;
    }
    const { sent, failed } = this.record.probes;
    this.setFast({
      ...round,
      evidence: sent,
      reason: round.passed ? `${sent - failed} of ${sent} probes passed` : round.reason,
    });
    if (this.probeFailuresInARow >= PROBE_FAILURES_IN_A_ROW)
      return { ...round, reason: `${round.reason}, ${PROBE_FAILURES_IN_A_ROW} times in a row` };
    return undefined;
  }

  private async alarms(): Promise<Measurement | undefined> {
    const { gates, cloudwatch } = this.options;
    if (gates.alarms.length === 0) return undefined;
    const alarms = await measureAlarms(cloudwatch, gates.alarms);
    this.record.alarmReads++;
    this.record.alarmsInAlarm = alarms.inAlarm;
    this.setFast(alarms);
    return alarms.verdict === 'fail' ? alarms : undefined;
  }

  /** The latest measurement of a fast signal; a probe measurement stays failed only while its failures last. */
  private setFast(measurement: Measurement): void {
    const kept: Measurement =
      measurement.signal === 'probes' ? { ...measurement, verdict: 'pass' } : measurement;
    this.fast = [...this.fast.filter((entry) => entry.signal !== measurement.signal), kept];
  }

  finish(judgement: Judgement, now: number): StepRecord {
    const record = this.record;
    record.bakedMs = now - record.startedAt;
    record.evidence = judgement.evidence;
    record.noData = judgement.noData;
    record.reasons = judgement.reasons;
    record.verdict =
      judgement.verdict === 'fail'
        ? 'failed'
        : judgement.verdict === 'inconclusive'
          ? 'inconclusive'
          : judgement.noData
            ? 'no data'
            : 'passed';
    return record;
  }
}
