/**
 * One check of the watched release, through the one judge: its ALB metrics over the periods
 * CloudWatch published since the last check (against the guardrails and the previous colour's own
 * series before the cutover), alarms, task restarts, Prometheus and the probe rounds since the last
 * check, each a measurement; `judge` decides with the same rules as the deploy's gates. Every read
 * is bounded: a check never takes longer than its interval.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { HttpRequest, HttpResponse } from '../../../packages/shared/src/checks/http.js';
import type { Clock } from '../../../packages/shared/src/clock.js';
import { measureAlarms } from '../../../packages/shared/src/signals/alarms.js';
import type { Aggregate } from '../../../packages/shared/src/signals/analysis.js';
import type { ColorDimensions } from '../../../packages/shared/src/signals/cloudwatch.js';
import { judge, type Judgement, type Measurement } from '../../../packages/shared/src/signals/judge.js';
import { measureMetrics, type Baseline } from '../../../packages/shared/src/signals/metrics.js';
import type { ProbeRound } from '../../../packages/shared/src/signals/probes.js';
import {
  measurePrometheus,
  type PrometheusReading,
} from '../../../packages/shared/src/signals/prometheus.js';
import {
  measureRestarts,
  newStoppedTasks,
  type Restart,
} from '../../../packages/shared/src/signals/restarts.js';
import type { Color } from '../../../packages/shared/src/traffic.js';
import type { Inputs } from './inputs.js';

export interface CheckRecord {
  at: number;
  /** The live colour over the periods judged at this check. */
  metrics?: Aggregate;
  comparison?: string;
  alarmsInAlarm: string[];
  alarmsRead: boolean;
  probeRounds: { sent: number; failed: number };
  restarts: Restart[];
  prometheus: PrometheusReading[];
  /** Evidence behind the verdict: requests in CloudWatch, probe rounds, alarms with data, Prometheus series. */
  evidence: number;
  verdict: 'passed' | 'failed' | 'inconclusive' | 'paused';
  reasons: string[];
  measurements: Measurement[];
}

export interface CheckContext {
  inputs: Inputs;
  ecs: ECSClient;
  cloudwatch: CloudWatchClient;
  clock: Clock;
  send: (request: HttpRequest, timeoutMs: number) => Promise<HttpResponse>;
}

/** What a run of checks carries from one to the next. */
export interface WatchLedger {
  live: Color;
  serviceName: string;
  dimensions: Record<Color, ColorDimensions>;
  baseline: Baseline;
  /** Periods up to here are judged. */
  judgedUntil: number;
  startedAt: number;
  /** Stopped tasks seen, each counted once; all restarts since the watch began. */
  seenStopped: Set<string>;
  restarts: Restart[];
}

const MAX_READ_MS = 10_000;

export async function runCheck(
  context: CheckContext,
  ledger: WatchLedger,
  rounds: ProbeRound[],
): Promise<{ record: CheckRecord; judgement: Judgement }> {
  const { inputs, clock } = context;
  const at = clock.now();
  const record = emptyRecord(at, rounds);
  const measurements: Measurement[] = [await metricsOf(context, ledger, record)];
  if (inputs.alarms.length > 0) {
    const alarms = await measureAlarms(context.cloudwatch, inputs.alarms);
    record.alarmsRead = true;
    record.alarmsInAlarm = alarms.inAlarm;
    measurements.push(alarms);
  }
  measurements.push(await restartsOf(context, ledger, record));
  if (inputs['prometheus-url'] && inputs['prometheus-queries'].length > 0) {
    record.prometheus = await measurePrometheus(
      inputs['prometheus-url'],
      inputs['prometheus-queries'],
      ledger.live,
      {
        token: inputs['prometheus-token'],
        send: context.send,
        // What is left of this check's interval, for the whole exchange.
        timeoutMs: Math.max(1, Math.min(MAX_READ_MS, at + inputs.interval - clock.now())),
      },
    );
    measurements.push(...record.prometheus);
  }
  if (rounds.length > 0) measurements.push(probeRoundsOf(rounds));
  const judgement = judge(measurements, inputs['no-data']);
  record.measurements = measurements;
  record.evidence = judgement.evidence;
  record.reasons = judgement.reasons;
  record.verdict =
    judgement.verdict === 'pass' ? 'passed' : judgement.verdict === 'fail' ? 'failed' : 'inconclusive';
  return { record, judgement };
}

/** A check with nothing measured yet, with the probe rounds since the last one. */
export function emptyRecord(at: number, rounds: ProbeRound[]): CheckRecord {
  return {
    at,
    alarmsInAlarm: [],
    alarmsRead: false,
    probeRounds: { sent: rounds.length, failed: rounds.filter((round) => !round.passed).length },
    restarts: [],
    prometheus: [],
    evidence: 0,
    verdict: 'passed',
    reasons: [],
    measurements: [],
  };
}

/** The live colour's metrics over the periods published since the last check. */
async function metricsOf(
  context: CheckContext,
  ledger: WatchLedger,
  record: CheckRecord,
): Promise<Measurement> {
  const { inputs, clock } = context;
  const now = clock.now();
  const reading = await measureMetrics(
    context.cloudwatch,
    ledger.dimensions,
    {
      fromMs: ledger.judgedUntil,
      untilMs: now,
      nowMs: now,
      periodMs: inputs['metric-period'],
      delayMs: inputs['metric-delay'],
    },
    ledger.live,
    ledger.baseline,
    {
      guardrails: {
        maxErrorRatePercent: inputs['max-error-rate'],
        maxP95Ms: inputs['max-p95-latency'],
        maxP99Ms: inputs['max-p99-latency'],
      },
      comparison: {
        alpha: inputs.alpha,
        looks: Math.max(1, Math.floor(inputs.duration / inputs.interval)),
        maxErrorIncreasePp: inputs['max-error-increase'],
        maxLatencyIncreaseMs: inputs['max-latency-increase'],
      },
    },
  );
  if (reading.published) ledger.judgedUntil = reading.published.until;
  record.metrics = reading.canary;
  record.comparison = reading.comparison;
  return reading.measurement;
}

async function restartsOf(
  context: CheckContext,
  ledger: WatchLedger,
  record: CheckRecord,
): Promise<Measurement> {
  record.restarts = await newStoppedTasks(
    context.ecs,
    context.inputs.cluster,
    ledger.serviceName,
    ledger.startedAt,
    record.at,
    ledger.seenStopped,
  );
  ledger.restarts.push(...record.restarts);
  return measureRestarts(
    ledger.restarts,
    record.restarts,
    context.inputs['max-task-restarts'],
    ledger.serviceName,
  );
}

/** The probe rounds since the last check: failed when every one of them failed. */
function probeRoundsOf(rounds: ProbeRound[]): Measurement {
  const failed = rounds.filter((round) => !round.passed).length;
  return {
    signal: 'probes',
    verdict: failed === rounds.length ? 'fail' : 'pass',
    evidence: rounds.length,
    reason:
      failed === rounds.length
        ? `every probe round since the last check failed (${failed})`
        : `${rounds.length - failed} of ${rounds.length} probe rounds passed`,
  };
}
