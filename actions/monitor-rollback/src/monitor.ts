/** The watch: one check per interval over the window, N failed checks in a row roll traffic back. */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Clock } from '../../../packages/shared/src/clock.js';
import { acquireLease } from '../../../packages/shared/src/blue-green/lease.js';
import { rollBackTo } from '../../../packages/shared/src/blue-green/move.js';
import { recordOutcome } from '../../../packages/shared/src/blue-green/outcome.js';
import {
  describeWeights,
  readBlueGreen,
  type BlueGreenState,
  type BlueGreenTarget,
} from '../../../packages/shared/src/blue-green/read.js';
import { ActionError } from '../../../packages/shared/src/errors.js';
import {
  judgeMetrics,
  readAlarmStates,
  readTargetGroupMetrics,
  type MetricSample,
  type ProbeResult,
} from '../../../packages/shared/src/gates.js';
import { analyseTraffic, readProductionActions, type Color } from '../../../packages/shared/src/traffic.js';
import type { Inputs } from './inputs.js';

export interface CheckRecord {
  at: number;
  metrics?: MetricSample;
  alarmsInAlarm: string[];
  probe?: ProbeResult;
  verdict: 'passed' | 'failed' | 'inconclusive';
  reasons: string[];
}

export interface MonitorResult {
  /** `stopped`: someone else moved traffic, so the watch ended without a verdict. */
  outcome: 'healthy' | 'rolled-back' | 'stopped';
  liveColor: Color;
  previousColor: Color;
  checks: CheckRecord[];
  reason?: string;
}

export interface MonitorContext {
  inputs: Inputs;
  ecs: ECSClient;
  elbv2: ElasticLoadBalancingV2Client;
  cloudwatch: CloudWatchClient;
  clock: Clock;
  probe: (url: string, timeoutMs: number) => Promise<ProbeResult>;
  log: (line: string) => void;
  /** Who this run is, for the deploy lease taken to roll back. */
  holder: string;
}

export async function monitor(context: MonitorContext): Promise<MonitorResult> {
  const { inputs, clock } = context;
  const clients = { ecs: context.ecs, elbv2: context.elbv2 };
  const target = monitorTarget(inputs);
  const state = await readBlueGreen(clients, target);
  if (state.split)
    throw new ActionError(
      `Production traffic is split (${describeWeights(state.traffic.weights)}): there is no single live colour to watch. Finish or roll back the cutover first.`,
    );
  if (inputs.alarms.length > 0) await readAlarmStates(context.cloudwatch, inputs.alarms);
  const live = state.live;
  const previous = state.idle;
  context.log(
    `Watching ${live} (${state.sides[live].serviceName}) for ${Math.round(inputs.duration / 1000)} s, a check every ${Math.round(inputs.interval / 1000)} s`,
  );

  const checks: CheckRecord[] = [];
  const until = clock.now() + inputs.duration;
  let failedInARow = 0;
  while (clock.now() < until) {
    const windowStart = clock.now();
    await clock.sleep(Math.min(inputs.interval, until - clock.now()));
    const weights = analyseTraffic(
      await readProductionActions(context.elbv2, target.production),
      state.groups,
    ).weights;
    if (weights.blue !== state.traffic.weights.blue || weights.green !== state.traffic.weights.green) {
      const reason = `traffic was moved by someone else (${describeWeights(state.traffic.weights)} → ${describeWeights(weights)}); stopped watching`;
      context.log(reason);
      return { outcome: 'stopped', liveColor: live, previousColor: live, checks, reason };
    }
    const check = await runCheck(context, state.sides[live].dimensions, windowStart);
    checks.push(check);
    context.log(
      `Check ${checks.length}: ${check.verdict}${check.reasons.length ? ` (${check.reasons.join('; ')})` : ''}`,
    );
    if (check.verdict === 'failed') failedInARow++;
    else if (check.verdict === 'passed') failedInARow = 0;
    if (failedInARow >= inputs['failures-before-rollback']) {
      const reason = `${failedInARow} checks in a row failed; the last: ${check.reasons.join('; ')}`;
      if (!inputs.rollback) {
        context.log(`${reason}. rollback is false: reporting only`);
        return {
          outcome: 'healthy',
          liveColor: live,
          previousColor: live,
          checks,
          reason: `${reason} (rollback disabled)`,
        };
      }
      await rollBack(context, target, state, previous);
      return { outcome: 'rolled-back', liveColor: previous, previousColor: live, checks, reason };
    }
  }
  return { outcome: 'healthy', liveColor: live, previousColor: live, checks };
}

export function monitorTarget(inputs: Inputs): BlueGreenTarget {
  return {
    cluster: inputs.cluster,
    serviceNames: { blue: inputs['blue-service'], green: inputs['green-service'] },
    production: inputs.production,
  };
}

async function runCheck(
  context: MonitorContext,
  dimensions: { loadBalancer: string; targetGroup: string },
  windowStart: number,
): Promise<CheckRecord> {
  const { inputs } = context;
  const record: CheckRecord = { at: context.clock.now(), alarmsInAlarm: [], verdict: 'passed', reasons: [] };
  record.metrics = await readTargetGroupMetrics(
    context.cloudwatch,
    dimensions,
    windowStart,
    context.clock.now(),
  );
  const verdict = judgeMetrics(record.metrics, {
    maxErrorRatePercent: inputs['max-error-rate'],
    maxP95Ms: inputs['max-p95-latency'],
    maxP99Ms: inputs['max-p99-latency'],
  });
  record.reasons.push(...(verdict.noData ? [] : verdict.reasons));
  if (inputs.alarms.length > 0) {
    const states = await readAlarmStates(context.cloudwatch, inputs.alarms);
    record.alarmsInAlarm = [...states].filter(([, state]) => state === 'ALARM').map(([name]) => name);
    if (record.alarmsInAlarm.length > 0)
      record.reasons.push(`alarm ${record.alarmsInAlarm.join(', ')} in ALARM`);
  }
  if (inputs['probe-url']) {
    record.probe = await context.probe(inputs['probe-url'], Math.min(10_000, inputs.interval));
    if (!record.probe.ok)
      record.reasons.push(
        `probe ${inputs['probe-url']} failed (${record.probe.status ?? record.probe.error})`,
      );
  }
  if (record.reasons.length > 0) record.verdict = 'failed';
  else if (
    verdict.noData &&
    !record.probe &&
    record.alarmsInAlarm.length === 0 &&
    inputs.alarms.length === 0
  ) {
    // No request reached the colour and nothing else was checked: the no-data policy decides.
    if (inputs['no-data'] === 'fail') {
      record.verdict = 'failed';
      record.reasons.push('no requests reached the live colour (no-data: fail)');
    } else if (inputs['no-data'] === 'inconclusive') record.verdict = 'inconclusive';
  }
  return record;
}

/**
 * All traffic back to the previous colour through the shared core, under the deploy lease (a deploy
 * in progress owns traffic; the monitor then stops), and the outcome recorded.
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
