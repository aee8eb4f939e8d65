/**
 * The watch: probes every probe-interval (the fast path), and every interval one check of the live
 * colour: its ALB metrics over the periods CloudWatch published since the last check (one
 * GetMetricData for both colours) against the guardrails and the previous colour's own series
 * before the cutover, alarms, task restarts and Prometheus. A check without evidence is
 * inconclusive (never passed, unless no-data: pass); N failed checks or probe rounds in a row roll
 * traffic back through the shared blue/green core.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { acquireLease } from '../../../packages/shared/src/blue-green/lease.js';
import { rollBackTo } from '../../../packages/shared/src/blue-green/move.js';
import { recordOutcome } from '../../../packages/shared/src/blue-green/outcome.js';
import {
  describeWeights,
  readBlueGreen,
  type BlueGreenState,
  type BlueGreenTarget,
} from '../../../packages/shared/src/blue-green/read.js';
import type { HttpRequest, HttpResponse } from '../../../packages/shared/src/checks/http.js';
import type { Clock } from '../../../packages/shared/src/clock.js';
import { ActionError, errorMessage } from '../../../packages/shared/src/errors.js';
import { readAlarmStates } from '../../../packages/shared/src/gates.js';
import {
  aggregate,
  completePeriods,
  judgeMetrics,
  type Aggregate,
} from '../../../packages/shared/src/signals/analysis.js';
import { readColorMetrics } from '../../../packages/shared/src/signals/cloudwatch.js';
import { analyseTraffic, readProductionActions, type Color } from '../../../packages/shared/src/traffic.js';
import type { Inputs } from './inputs.js';
import {
  describeRestart,
  readPrometheus,
  runProbeRound,
  newStoppedTasks,
  type PrometheusReading,
  type ProbeRound,
  type Restart,
} from './signals.js';

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
  /** Requests in CloudWatch + probe rounds + alarm reads + Prometheus values. */
  evidence: number;
  verdict: 'passed' | 'failed' | 'inconclusive';
  reasons: string[];
}

export interface Baseline {
  color: Color;
  fromMs: number;
  untilMs: number;
  aggregate: Aggregate;
}

export type MonitorOutcome = 'healthy' | 'rolled-back' | 'inconclusive' | 'failed' | 'stopped';

export interface MonitorResult {
  outcome: MonitorOutcome;
  liveColor: Color;
  /** The colour live when the watch began. */
  watchedColor: Color;
  checks: CheckRecord[];
  probeRounds: ProbeRound[];
  baseline?: Baseline;
  /** Why the baseline is missing, when it is. */
  baselineNote?: string;
  reason?: string;
  detectedAt?: number;
  restoredAt?: number;
  startedAt: number;
}

export interface MonitorContext {
  inputs: Inputs;
  ecs: ECSClient;
  elbv2: ElasticLoadBalancingV2Client;
  cloudwatch: CloudWatchClient;
  clock: Clock;
  /** HTTP for probes and Prometheus. */
  send: (request: HttpRequest, timeoutMs: number) => Promise<HttpResponse>;
  log: (line: string) => void;
  /** Who this run is, for the deploy lease taken to roll back. */
  holder: string;
}

export function monitorTarget(inputs: Inputs): BlueGreenTarget {
  return {
    cluster: inputs.cluster,
    serviceNames: { blue: inputs['blue-service'], green: inputs['green-service'] },
    production: inputs.production,
  };
}

export async function monitor(context: MonitorContext): Promise<MonitorResult> {
  const { inputs, clock } = context;
  const target = monitorTarget(inputs);
  const state = await readBlueGreen({ ecs: context.ecs, elbv2: context.elbv2 }, target);
  if (state.split)
    throw new ActionError(
      `Production traffic is split (${describeWeights(state.traffic.weights)}): there is no single live colour to watch. Finish or roll back the cutover first.`,
    );
  if (inputs.alarms.length > 0) await readAlarmStates(context.cloudwatch, inputs.alarms);
  const live = state.live;
  const previous = state.idle;
  const startedAt = clock.now();
  const result: MonitorResult = {
    outcome: 'healthy',
    liveColor: live,
    watchedColor: live,
    checks: [],
    probeRounds: [],
    startedAt,
  };
  Object.assign(result, await readBaseline(context, state));
  context.log(
    `Watching ${live} (${state.sides[live].serviceName}) for ${Math.round(inputs.duration / 1000)} s: a check every ${Math.round(inputs.interval / 1000)} s` +
      `${inputs.probes.length ? `, ${inputs.probes.length} probe(s) every ${Math.round(inputs['probe-interval'] / 1000)} s` : ''}; ` +
      (result.baseline
        ? `baseline: ${previous} before the cutover, ${result.baseline.aggregate.requests} requests, ${result.baseline.aggregate.errors} 5xx`
        : `no baseline (${result.baselineNote})`),
  );

  const until = startedAt + inputs.duration;
  let judgedUntil = startedAt;
  let failedInARow = 0;
  let probesFailedInARow = 0;
  let nextCheck = startedAt + inputs.interval;
  let roundsSinceCheck: ProbeRound[] = [];
  // Stopped tasks already seen stopped (counted as restarts or stopped before the watch): each
  // counts once, whenever ECS lists it, and is described once.
  const seenStopped = new Set<string>();
  const allRestarts: Restart[] = [];
  const decide = async (reason: string): Promise<MonitorResult> => {
    result.reason = reason;
    result.detectedAt = clock.now();
    if (!inputs.rollback) {
      context.log(`${reason}. rollback is false: reporting only`);
      result.outcome = 'failed';
      result.reason = `${reason} (rollback disabled)`;
      return result;
    }
    try {
      await rollBack(context, target, state, previous);
      result.restoredAt = clock.now();
      result.outcome = 'rolled-back';
      result.liveColor = previous;
    } catch (error) {
      result.outcome = 'failed';
      result.reason = `${reason}; the rollback failed: ${errorMessage(error)}`;
    }
    return result;
  };

  while (clock.now() < until) {
    // The fast path: probe rounds until the next check.
    while (clock.now() < Math.min(nextCheck, until)) {
      if (inputs.probes.length > 0) {
        const round = await runProbeRound(inputs.probes, {
          requestTimeoutMs: Math.min(10_000, inputs['probe-interval']),
          clock,
          random: Math.random,
          send: context.send,
          log: () => undefined,
        });
        result.probeRounds.push(round);
        roundsSinceCheck.push(round);
        probesFailedInARow = round.passed ? 0 : probesFailedInARow + 1;
        if (probesFailedInARow >= inputs['failures-before-rollback']) {
          const failed = round.results.filter((entry) => !entry.passed);
          return decide(
            `${probesFailedInARow} probe rounds in a row failed; the last: ${failed.map((entry) => `${entry.name} ${entry.detail}`).join('; ')}`,
          );
        }
      }
      const pause = Math.min(
        inputs.probes.length ? inputs['probe-interval'] : Infinity,
        Math.min(nextCheck, until) - clock.now(),
      );
      if (pause > 0) await clock.sleep(pause);
    }
    nextCheck += inputs.interval;

    const weights = analyseTraffic(
      await readProductionActions(context.elbv2, target.production),
      state.groups,
    ).weights;
    if (weights.blue !== state.traffic.weights.blue || weights.green !== state.traffic.weights.green) {
      result.outcome = 'stopped';
      result.reason = `traffic was moved by someone else (${describeWeights(state.traffic.weights)} → ${describeWeights(weights)}); stopped watching`;
      context.log(result.reason);
      return result;
    }
    const check = await runCheck(context, state, live, judgedUntil, roundsSinceCheck, result.baseline, {
      since: startedAt,
      seen: seenStopped,
      all: allRestarts,
    });
    roundsSinceCheck = [];
    judgedUntil = check.judgedUntil;
    result.checks.push(check.record);
    const record = check.record;
    context.log(
      `Check ${result.checks.length}: ${record.verdict} (evidence ${record.evidence})${record.reasons.length ? `: ${record.reasons.join('; ')}` : ''}`,
    );
    if (record.verdict === 'failed') failedInARow++;
    else if (record.verdict === 'passed') failedInARow = 0;
    if (failedInARow >= inputs['failures-before-rollback'])
      return decide(`${failedInARow} checks in a row failed; the last: ${record.reasons.join('; ')}`);
  }
  const withEvidence = result.checks.filter((check) => check.verdict !== 'inconclusive').length;
  const inconclusive = result.checks.length - withEvidence;
  if (withEvidence === 0 || inconclusive > result.checks.length / 2) {
    result.outcome = 'inconclusive';
    result.reason = `${inconclusive} of ${result.checks.length} checks had no evidence (no request in published CloudWatch periods, no probe, no alarm): the window says nothing about ${live}`;
  }
  return result;
}

/** The previous colour's own series before the cutover (recorded in the outcome tags), time-shifted. */
async function readBaseline(
  context: MonitorContext,
  state: BlueGreenState,
): Promise<{ baseline?: Baseline; baselineNote?: string }> {
  const { inputs } = context;
  const cutoverAt = state.recorded?.cutoverAt ? Date.parse(state.recorded.cutoverAt) : Number.NaN;
  if (!Number.isFinite(cutoverAt) || state.recorded?.liveColor !== state.live)
    return { baselineNote: 'no cutover of the live colour is recorded in the tags' };
  const untilMs = cutoverAt;
  const fromMs = cutoverAt - Math.min(inputs.duration, 3_600_000);
  const starts = completePeriods({
    fromMs,
    untilMs,
    nowMs: context.clock.now(),
    periodMs: inputs['metric-period'],
    delayMs: inputs['metric-delay'],
  });
  if (starts.length === 0) return { baselineNote: 'the hour before the cutover has no complete period yet' };
  const series = await readColorMetrics(
    context.cloudwatch,
    { blue: state.sides.blue.dimensions, green: state.sides.green.dimensions },
    starts[0]!,
    starts.at(-1)! + inputs['metric-period'],
    inputs['metric-period'] / 1000,
  );
  const baseline = aggregate(series[state.idle], starts);
  if (baseline.requests === 0)
    return { baselineNote: `${state.idle} served no requests in the hour before the cutover` };
  return { baseline: { color: state.idle, fromMs, untilMs, aggregate: baseline } };
}

async function runCheck(
  context: MonitorContext,
  state: BlueGreenState,
  live: Color,
  judgedUntil: number,
  rounds: ProbeRound[],
  baseline: Baseline | undefined,
  restarts: { since: number; seen: Set<string>; all: Restart[] },
): Promise<{ record: CheckRecord; judgedUntil: number }> {
  const { inputs, clock } = context;
  const now = clock.now();
  const record: CheckRecord = {
    at: now,
    alarmsInAlarm: [],
    alarmsRead: false,
    probeRounds: { sent: rounds.length, failed: rounds.filter((round) => !round.passed).length },
    restarts: [],
    prometheus: [],
    evidence: 0,
    verdict: 'passed',
    reasons: [],
  };
  const starts = completePeriods({
    fromMs: judgedUntil,
    untilMs: now,
    nowMs: now,
    periodMs: inputs['metric-period'],
    delayMs: inputs['metric-delay'],
  });
  let nextJudgedUntil = judgedUntil;
  if (starts.length > 0) {
    nextJudgedUntil = starts.at(-1)! + inputs['metric-period'];
    const series = await readColorMetrics(
      context.cloudwatch,
      { blue: state.sides.blue.dimensions, green: state.sides.green.dimensions },
      starts[0]!,
      nextJudgedUntil,
      inputs['metric-period'] / 1000,
    );
    record.metrics = aggregate(series[live], starts);
    const judgement = judgeMetrics(
      { color: live, aggregate: record.metrics },
      baseline && {
        color: baseline.color,
        aggregate: baseline.aggregate,
        label: `${baseline.color} before the cutover`,
      },
      {
        maxErrorRatePercent: inputs['max-error-rate'],
        maxP95Ms: inputs['max-p95-latency'],
        maxP99Ms: inputs['max-p99-latency'],
      },
      {
        alpha: inputs.alpha,
        looks: Math.max(1, Math.floor(inputs.duration / inputs.interval)),
        maxErrorIncreasePp: inputs['max-error-increase'],
        maxLatencyIncreaseMs: inputs['max-latency-increase'],
      },
    );
    record.comparison = judgement.comparison;
    if (judgement.verdict === 'failed') record.reasons.push(...judgement.reasons);
  }
  if (inputs.alarms.length > 0) {
    const states = await readAlarmStates(context.cloudwatch, inputs.alarms);
    record.alarmsRead = true;
    record.alarmsInAlarm = [...states].filter(([, value]) => value === 'ALARM').map(([name]) => name);
    if (record.alarmsInAlarm.length > 0)
      record.reasons.push(`alarm ${record.alarmsInAlarm.join(', ')} in ALARM`);
  }
  record.restarts = await newStoppedTasks(
    context.ecs,
    inputs.cluster,
    state.sides[live].serviceName,
    restarts.since,
    now,
    restarts.seen,
  );
  restarts.all.push(...record.restarts);
  // Restarts add up over the window, as the platform's "restarts per hour" alert counts them: once
  // past the limit, every later check fails too, so a crash loop is rolled back however its
  // restarts fall between checks.
  if (restarts.all.length > inputs['max-task-restarts'])
    record.reasons.push(
      `${restarts.all.length} task restart${restarts.all.length === 1 ? '' : 's'} of ${state.sides[live].serviceName} since the watch began (max ${inputs['max-task-restarts']}): ${describeRestart((record.restarts.at(-1) ?? restarts.all.at(-1))!)}`,
    );
  if (inputs['prometheus-url'] && inputs['prometheus-queries'].length > 0) {
    record.prometheus = await readPrometheus(inputs['prometheus-url'], inputs['prometheus-queries'], live, {
      token: inputs['prometheus-token'],
      send: context.send,
      timeoutMs: 10_000,
    });
    for (const reading of record.prometheus.filter((entry) => entry.failed))
      record.reasons.push(`prometheus ${reading.text}`);
  }
  if (record.probeRounds.failed > 0 && record.probeRounds.failed === record.probeRounds.sent)
    record.reasons.push(`every probe round since the last check failed (${record.probeRounds.failed})`);
  record.evidence =
    (record.metrics?.requests ?? 0) +
    record.probeRounds.sent +
    (record.alarmsRead ? 1 : 0) +
    record.prometheus.filter((reading) => reading.value !== undefined).length;
  if (record.reasons.length > 0) record.verdict = 'failed';
  else if (record.evidence === 0) {
    const why = `no evidence: ${record.metrics ? `no request reached ${live} in ${record.metrics.periods} published period(s)` : 'no CloudWatch period published since the last check'}, no probe, no alarm`;
    if (inputs['no-data'] === 'fail') {
      record.verdict = 'failed';
      record.reasons.push(`${why} (no-data: fail)`);
    } else if (inputs['no-data'] === 'wait') {
      record.verdict = 'inconclusive';
      record.reasons.push(why);
    }
  }
  return { record, judgedUntil: nextJudgedUntil };
}

/**
 * All traffic back to the previous colour through the shared core, under the deploy lease (a deploy
 * in progress owns traffic), and the outcome recorded.
 */
async function rollBack(
  context: MonitorContext,
  target: BlueGreenTarget,
  state: BlueGreenState,
  to: Color,
): Promise<void> {
  const { inputs, clock } = context;
  const clients = { ecs: context.ecs, elbv2: context.elbv2 };
  const lease = await acquireLease(context.elbv2, target.production.arn, {
    holder: context.holder,
    ttlMs: 600_000,
    waitMs: 0,
    clock,
    log: context.log,
  });
  try {
    context.log(`Rolling back: 100 % to ${to} (${state.sides[to].taskDefinition})`);
    await rollBackTo(clients, target, to, {
      clock: lease.clock(),
      log: context.log,
      guard: () => lease.check(),
      expect: state.traffic.weights,
      waitTimeoutMs: inputs['wait-timeout'],
      retryForMs: inputs['restore-timeout'],
    });
    await recordOutcome(
      context.elbv2,
      target.production.arn,
      {
        liveColor: to,
        previousColor: state.live,
        taskDefinition: state.sides[to].taskDefinition,
        previousTaskDefinition: state.sides[state.live].taskDefinition,
        rejectedTaskDefinition: state.sides[state.live].taskDefinition,
        outcome: 'rolled-back-by-monitor',
        run: context.holder,
      },
      clock.now(),
    );
  } finally {
    await lease.release();
  }
}
