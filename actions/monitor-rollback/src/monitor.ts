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
import {
  ReleaseRefusedError,
  runMove,
  TrafficChangedError,
} from '../../../packages/shared/src/blue-green/move.js';
import {
  describeWeights,
  readBlueGreen,
  readTags,
  type BlueGreenState,
  type BlueGreenTarget,
} from '../../../packages/shared/src/blue-green/read.js';
import {
  watchState,
  type WatchedRelease,
  type WatchState,
} from '../../../packages/shared/src/blue-green/watch.js';
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
import {
  analyseTraffic,
  otherColor,
  readProductionActions,
  type Color,
} from '../../../packages/shared/src/traffic.js';
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
  verdict: 'passed' | 'failed' | 'inconclusive' | 'paused';
  reasons: string[];
}

export interface Baseline {
  color: Color;
  fromMs: number;
  untilMs: number;
  aggregate: Aggregate;
}

export type MonitorOutcome = 'healthy' | 'rolled-back' | 'inconclusive' | 'failed' | 'superseded' | 'refused';

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
  const watched: WatchedRelease = {
    color: live,
    taskDefinition: state.sides[live].taskDefinition,
    recordedAtStart: state.recorded?.liveColor === live ? state.recorded.taskDefinition : undefined,
  };
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
    `Watching ${live} (${state.sides[live].serviceName}, ${watched.taskDefinition}) for ${Math.round(inputs.duration / 1000)} s: a check every ${Math.round(inputs.interval / 1000)} s` +
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
  /** Where the watched release stands now: its own, paused by another run's move, or replaced. */
  const look = async (): Promise<WatchState> => {
    const weights = analyseTraffic(
      await readProductionActions(context.elbv2, target.production),
      state.groups,
    ).weights;
    return watchState(watched, weights, await readTags(context.elbv2, target.production.arn), context.holder);
  };
  const superseded = (why: string): MonitorResult => {
    result.outcome = 'superseded';
    result.reason = `${why}; ${watched.taskDefinition} on ${live} no longer serves customers, so the watch ended after ${Math.round((clock.now() - startedAt) / 1000)} s of ${Math.round(inputs.duration / 1000)} s`;
    result.liveColor = otherColor(live);
    context.log(result.reason);
    return result;
  };
  /** A rollback is due: only while the release is still live and nobody else is moving traffic. */
  const decide = async (reason: string): Promise<MonitorResult | undefined> => {
    const now = await look();
    if (now.kind === 'superseded') return superseded(now.why);
    if (now.kind === 'paused') {
      context.log(`${reason}; not rolling back while ${now.why}`);
      return undefined;
    }
    result.reason = reason;
    result.detectedAt = clock.now();
    if (!inputs.rollback) {
      context.log(`${reason}. rollback is false: reporting only`);
      result.outcome = 'failed';
      result.reason = `${reason} (rollback disabled)`;
      return result;
    }
    return rollBack(context, target, watched, previous, result);
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
          const ended = await decide(
            `${probesFailedInARow} probe rounds in a row failed; the last: ${failed.map((entry) => `${entry.name} ${entry.detail}`).join('; ')}`,
          );
          if (ended) return ended;
        }
      }
      const pause = Math.min(
        inputs.probes.length ? inputs['probe-interval'] : Infinity,
        Math.min(nextCheck, until) - clock.now(),
      );
      if (pause > 0) await clock.sleep(pause);
    }
    nextCheck += inputs.interval;

    const now = await look();
    if (now.kind === 'superseded') return superseded(now.why);
    if (now.kind === 'paused') {
      // Measured later: the periods of the pause are judged at the next check that counts.
      result.checks.push(pausedCheck(clock.now(), roundsSinceCheck, now.why));
      roundsSinceCheck = [];
      context.log(`Check ${result.checks.length}: paused, ${now.why}`);
      continue;
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
    if (failedInARow >= inputs['failures-before-rollback']) {
      const ended = await decide(
        `${failedInARow} checks in a row failed; the last: ${record.reasons.join('; ')}`,
      );
      if (ended) return ended;
    }
  }
  const counted = result.checks.filter((check) => check.verdict !== 'paused');
  const withEvidence = counted.filter((check) => check.verdict !== 'inconclusive').length;
  const inconclusive = counted.length - withEvidence;
  const paused = result.checks.length - counted.length;
  if (withEvidence === 0 || inconclusive > counted.length / 2) {
    result.outcome = 'inconclusive';
    result.reason = `${inconclusive} of ${counted.length} checks had no evidence (no request in published CloudWatch periods, no probe, no alarm): the window says nothing about ${live}`;
  } else if (paused > 0) {
    result.reason = `watched for the whole window; ${paused} check(s) paused while another run moved traffic, their periods judged by the next check`;
  }
  return result;
}

function pausedCheck(at: number, rounds: ProbeRound[], why: string): CheckRecord {
  return {
    at,
    alarmsInAlarm: [],
    alarmsRead: false,
    probeRounds: { sent: rounds.length, failed: rounds.filter((round) => !round.passed).length },
    restarts: [],
    prometheus: [],
    evidence: 0,
    verdict: 'paused',
    reasons: [why],
  };
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
 * All traffic back to the release last verified on the previous colour, through the one move: under
 * the deploy lease (waiting up to lock-wait for a run that holds it), bringing that release back
 * first when the colour runs another, and only while the watched release still has all traffic.
 */
async function rollBack(
  context: MonitorContext,
  target: BlueGreenTarget,
  watched: WatchedRelease,
  to: Color,
  result: MonitorResult,
): Promise<MonitorResult> {
  const { inputs, clock } = context;
  const clients = { ecs: context.ecs, elbv2: context.elbv2 };
  const state = await readBlueGreen(clients, target);
  const release = state.releases.verified[to];
  if (!release) {
    result.outcome = 'refused';
    result.reason = `${result.reason}; but no release was ever verified on ${to} (it runs ${state.sides[to].taskDefinition || 'nothing'}): nothing was moved. Roll back with blue-green-deploy phase: rollback and to-task-definition`;
    return result;
  }
  context.log(`Rolling back: 100 % to ${to} (${release})`);
  try {
    await runMove(
      {
        clients,
        target,
        holder: context.holder,
        clock,
        log: context.log,
        waitTimeoutMs: inputs['wait-timeout'],
        restoreTimeoutMs: inputs['restore-timeout'],
        lease: { take: { ttlMs: inputs['lock-ttl'], waitMs: inputs['lock-wait'] } },
      },
      {
        kind: 'rollback',
        to,
        release,
        expectWeights: { [watched.color]: 100, [to]: 0 } as Record<Color, number>,
        outcome: 'rolled-back-by-monitor',
        why: `the monitor's rollback to ${to}`,
      },
    );
  } catch (error) {
    if (error instanceof TrafficChangedError) {
      const now = watchState(
        watched,
        (await readBlueGreen(clients, target)).traffic.weights,
        await readTags(context.elbv2, target.production.arn),
        context.holder,
      );
      if (now.kind === 'superseded') {
        result.outcome = 'superseded';
        result.reason = `${now.why}, while the monitor was about to roll back (${result.reason})`;
        result.liveColor = to;
        return result;
      }
    }
    result.outcome = error instanceof ReleaseRefusedError ? 'refused' : 'failed';
    result.reason = `${result.reason}; the rollback ${error instanceof ReleaseRefusedError ? 'was refused' : 'failed'}: ${errorMessage(error)}`;
    return result;
  }
  result.restoredAt = clock.now();
  result.outcome = 'rolled-back';
  result.liveColor = to;
  return result;
}
