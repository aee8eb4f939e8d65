/**
 * The watch: probes every probe-interval (the fast path), and every interval one check of the
 * watched release through the one judge (check.ts). N failed checks or probe rounds in a row roll
 * traffic back through the blue/green core's one move; while another run moves traffic the checks
 * pause, and once another release is live the watch ends `superseded`.
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
import { readAlarmStates } from '../../../packages/shared/src/signals/alarms.js';
import type { Aggregate } from '../../../packages/shared/src/signals/analysis.js';
import { Tally } from '../../../packages/shared/src/signals/judge.js';
import { readPublished } from '../../../packages/shared/src/signals/metrics.js';
import { runProbeRound, type ProbeRound } from '../../../packages/shared/src/signals/probes.js';
import {
  analyseTraffic,
  otherColor,
  readProductionActions,
  type Color,
} from '../../../packages/shared/src/traffic.js';
import { emptyRecord, runCheck, type CheckRecord, type WatchLedger } from './check.js';
import type { Inputs } from './inputs.js';

export type { CheckRecord } from './check.js';

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
  /** HTTP for probes and Prometheus, bounded as a whole by its deadline. */
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
  const state = await readBlueGreen(
    { ecs: context.ecs, elbv2: context.elbv2 },
    monitorTarget(context.inputs),
  );
  if (state.split)
    throw new ActionError(
      `Production traffic is split (${describeWeights(state.traffic.weights)}): there is no single live colour to watch. Finish or roll back the cutover first.`,
    );
  if (context.inputs.alarms.length > 0) await readAlarmStates(context.cloudwatch, context.inputs.alarms);
  const watch = new Watch(context, state, await readBaseline(context, state));
  return watch.run();
}

/** One watch of one release, from its start to its outcome. */
class Watch {
  readonly result: MonitorResult;
  private readonly watched: WatchedRelease;
  private readonly target: BlueGreenTarget;
  private readonly ledger: WatchLedger;
  private readonly checks: Tally;
  private probesFailedInARow = 0;
  private roundsSinceCheck: ProbeRound[] = [];
  private paused = 0;

  constructor(
    private readonly context: MonitorContext,
    private readonly state: BlueGreenState,
    baseline: { baseline?: Baseline; baselineNote?: string },
  ) {
    const { inputs, clock } = context;
    const live = state.live;
    this.target = monitorTarget(inputs);
    this.watched = {
      color: live,
      taskDefinition: state.sides[live].taskDefinition,
      recordedAtStart: state.recorded?.liveColor === live ? state.recorded.taskDefinition : undefined,
    };
    const startedAt = clock.now();
    this.result = {
      outcome: 'healthy',
      liveColor: live,
      watchedColor: live,
      checks: [],
      probeRounds: [],
      startedAt,
      ...baseline,
    };
    this.ledger = {
      live,
      serviceName: state.sides[live].serviceName,
      dimensions: { blue: state.sides.blue.dimensions, green: state.sides.green.dimensions },
      baseline: baseline.baseline
        ? {
            kind: 'recorded',
            color: baseline.baseline.color,
            aggregate: baseline.baseline.aggregate,
            label: `${baseline.baseline.color} before the cutover`,
          }
        : { kind: 'none' },
      judgedUntil: startedAt,
      startedAt,
      seenStopped: new Set(),
      restarts: [],
    };
    this.checks = new Tally(inputs['failures-before-rollback']);
  }

  async run(): Promise<MonitorResult> {
    const { inputs, clock } = this.context;
    this.context.log(this.opening());
    const until = this.result.startedAt + inputs.duration;
    for (
      let nextCheck = this.result.startedAt + inputs.interval;
      clock.now() < until;
      nextCheck += inputs.interval
    ) {
      const ended = (await this.probeUntil(Math.min(nextCheck, until))) ?? (await this.check());
      if (ended) return ended;
    }
    return this.finish();
  }

  private opening(): string {
    const { inputs } = this.context;
    const { result, watched, state } = this;
    return (
      `Watching ${watched.color} (${state.sides[watched.color].serviceName}, ${watched.taskDefinition}) for ${Math.round(inputs.duration / 1000)} s: a check every ${Math.round(inputs.interval / 1000)} s` +
      `${inputs.probes.length ? `, ${inputs.probes.length} probe(s) every ${Math.round(inputs['probe-interval'] / 1000)} s` : ''}; ` +
      (result.baseline
        ? `baseline: ${state.idle} before the cutover, ${result.baseline.aggregate.requests} requests, ${result.baseline.aggregate.errors} 5xx`
        : `no baseline (${result.baselineNote})`)
    );
  }

  /** The fast path: probe rounds until `until`; a result when they end the watch. */
  private async probeUntil(until: number): Promise<MonitorResult | undefined> {
    const { inputs, clock, send } = this.context;
    while (clock.now() < until) {
      if (inputs.probes.length > 0) {
        const round = await runProbeRound(inputs.probes, {
          requestTimeoutMs: Math.min(10_000, inputs['probe-interval']),
          clock,
          send,
        });
        this.result.probeRounds.push(round);
        this.roundsSinceCheck.push(round);
        this.probesFailedInARow = round.passed ? 0 : this.probesFailedInARow + 1;
        if (this.probesFailedInARow >= inputs['failures-before-rollback']) {
          const ended = await this.decide(
            `${this.probesFailedInARow} probe rounds in a row failed; the last: ${round.reason}`,
          );
          if (ended) return ended;
        }
      }
      const pause = Math.min(inputs.probes.length ? inputs['probe-interval'] : Infinity, until - clock.now());
      if (pause > 0) await clock.sleep(pause);
    }
    return undefined;
  }

  /** One check: paused while another run moves traffic, over once another release is live. */
  private async check(): Promise<MonitorResult | undefined> {
    const now = await this.look();
    if (now.kind === 'superseded') return this.superseded(now.why);
    const { result, context } = this;
    if (now.kind === 'paused') {
      // Measured later: the periods of the pause are judged at the next check that counts.
      this.paused++;
      result.checks.push(pausedCheck(context.clock.now(), this.roundsSinceCheck, now.why));
      this.roundsSinceCheck = [];
      context.log(`Check ${result.checks.length}: paused, ${now.why}`);
      return undefined;
    }
    const { record, judgement } = await runCheck(context, this.ledger, this.roundsSinceCheck);
    this.roundsSinceCheck = [];
    result.checks.push(record);
    context.log(
      `Check ${result.checks.length}: ${record.verdict} (evidence ${record.evidence})${record.reasons.length ? `: ${record.reasons.join('; ')}` : ''}`,
    );
    if (!this.checks.add(judgement)) return undefined;
    return this.decide(
      `${this.checks.failuresInARow} checks in a row failed; the last: ${record.reasons.join('; ')}`,
    );
  }

  /** Where the watched release stands now: its own, paused by another run's move, or replaced. */
  private async look(): Promise<WatchState> {
    const { elbv2, holder } = this.context;
    const weights = analyseTraffic(
      await readProductionActions(elbv2, this.target.production),
      this.state.groups,
    ).weights;
    // All traffic still on the watched colour needs no tags (one call a check, not two): only another
    // move changes that, and then the tags say whose and to what.
    if (weights[otherColor(this.watched.color)] === 0) return { kind: 'watching' };
    return watchState(this.watched, weights, await readTags(elbv2, this.target.production.arn), holder);
  }

  private superseded(why: string): MonitorResult {
    const { result, context } = this;
    result.outcome = 'superseded';
    result.reason = `${why}; ${this.watched.taskDefinition} on ${this.watched.color} no longer serves customers, so the watch ended after ${Math.round((context.clock.now() - result.startedAt) / 1000)} s of ${Math.round(context.inputs.duration / 1000)} s`;
    result.liveColor = otherColor(this.watched.color);
    context.log(result.reason);
    return result;
  }

  /** A rollback is due: only while the release still has all traffic and nobody else is moving it. */
  private async decide(reason: string): Promise<MonitorResult | undefined> {
    const now = await this.look();
    if (now.kind === 'superseded') return this.superseded(now.why);
    const { result, context } = this;
    if (now.kind === 'paused') {
      context.log(`${reason}; not rolling back while ${now.why}`);
      return undefined;
    }
    result.reason = reason;
    result.detectedAt = context.clock.now();
    if (!context.inputs.rollback) {
      context.log(`${reason}. rollback is false: reporting only`);
      result.outcome = 'failed';
      result.reason = `${reason} (rollback disabled)`;
      return result;
    }
    return rollBack(context, this.target, this.watched, this.state.idle, result);
  }

  private finish(): MonitorResult {
    const { result } = this;
    const nothing = this.checks.saidNothing();
    if (nothing) {
      result.outcome = 'inconclusive';
      result.reason = `${nothing}: the window says nothing about ${this.watched.color}`;
    } else if (this.paused > 0) {
      result.reason = `watched for the whole window; ${this.paused} check(s) paused while another run moved traffic, their periods judged by the next check`;
    }
    return result;
  }
}

function pausedCheck(at: number, rounds: ProbeRound[], why: string): CheckRecord {
  return { ...emptyRecord(at, rounds), verdict: 'paused', reasons: [why] };
}

/** The previous colour's own series in the hour before the cutover (recorded in the outcome tags). */
async function readBaseline(
  context: MonitorContext,
  state: BlueGreenState,
): Promise<{ baseline?: Baseline; baselineNote?: string }> {
  const { inputs } = context;
  const cutoverAt = state.recorded?.cutoverAt ? Date.parse(state.recorded.cutoverAt) : Number.NaN;
  if (!Number.isFinite(cutoverAt) || state.recorded?.liveColor !== state.live)
    return { baselineNote: 'no cutover of the live colour is recorded in the tags' };
  const fromMs = cutoverAt - Math.min(inputs.duration, 3_600_000);
  const published = await readPublished(
    context.cloudwatch,
    { blue: state.sides.blue.dimensions, green: state.sides.green.dimensions },
    {
      fromMs,
      untilMs: cutoverAt,
      nowMs: context.clock.now(),
      periodMs: inputs['metric-period'],
      delayMs: inputs['metric-delay'],
    },
  );
  if (!published) return { baselineNote: 'the hour before the cutover has no complete period yet' };
  const baseline = published.colors[state.idle];
  if (baseline.requests === 0)
    return { baselineNote: `${state.idle} served no requests in the hour before the cutover` };
  return { baseline: { color: state.idle, fromMs, untilMs: cutoverAt, aggregate: baseline } };
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
    if (
      error instanceof TrafficChangedError &&
      (await supersededMeanwhile(context, target, watched, to, result))
    )
      return result;
    result.outcome = error instanceof ReleaseRefusedError ? 'refused' : 'failed';
    result.reason = `${result.reason}; the rollback ${error instanceof ReleaseRefusedError ? 'was refused' : 'failed'}: ${errorMessage(error)}`;
    return result;
  }
  result.restoredAt = clock.now();
  result.outcome = 'rolled-back';
  result.liveColor = to;
  return result;
}

/** Traffic moved while the rollback waited for the lease: another release took over, or not. */
async function supersededMeanwhile(
  context: MonitorContext,
  target: BlueGreenTarget,
  watched: WatchedRelease,
  to: Color,
  result: MonitorResult,
): Promise<boolean> {
  const now = watchState(
    watched,
    (await readBlueGreen({ ecs: context.ecs, elbv2: context.elbv2 }, target)).traffic.weights,
    await readTags(context.elbv2, target.production.arn),
    context.holder,
  );
  if (now.kind !== 'superseded') return false;
  result.outcome = 'superseded';
  result.reason = `${now.why}, while the monitor was about to roll back (${result.reason})`;
  result.liveColor = to;
  return true;
}
