/** The watch: one check per interval over the window, N failed checks in a row roll traffic back. */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Clock } from '../../../packages/shared/src/clock.js';
import { describeColorServices } from '../../../packages/shared/src/ecs.js';
import { recordOutcome } from '../../../packages/shared/src/outcome.js';
import { ActionError } from '../../../packages/shared/src/errors.js';
import {
  judgeMetrics,
  readAlarmStates,
  readTargetGroupMetrics,
  type MetricSample,
  type ProbeResult,
} from '../../../packages/shared/src/gates.js';
import {
  analyseTraffic,
  forwardWithWeights,
  readProductionActions,
  writeProductionActions,
  type Color,
  type TrafficState,
} from '../../../packages/shared/src/traffic.js';
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
  outcome: 'healthy' | 'rolled-back';
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
}

export async function monitor(context: MonitorContext): Promise<MonitorResult> {
  const { inputs, clock } = context;
  const services = await describeColorServices(context.ecs, inputs.cluster, {
    blue: inputs['blue-service'],
    green: inputs['green-service'],
  });
  const groups = {
    blue: services.blue.loadBalancers![0]!.targetGroupArn!,
    green: services.green.loadBalancers![0]!.targetGroupArn!,
  };
  const traffic = analyseTraffic(await readProductionActions(context.elbv2, inputs.production), groups);
  if (inputs.alarms.length > 0) await readAlarmStates(context.cloudwatch, inputs.alarms);
  const lb = /:(?:listener|listener-rule)\/(app\/[^/]+\/[^/]+)\//.exec(inputs.production.arn)?.[1];
  if (!lb) throw new ActionError(`Cannot tell the load balancer from ${inputs.production.arn}`);
  const live = traffic.live;
  const previous = traffic.idle;
  const dimensions = {
    loadBalancer: lb,
    targetGroup: groups[live].slice(groups[live].indexOf('targetgroup/')),
  };
  context.log(
    `Watching ${live} (${services[live].serviceName}) for ${Math.round(inputs.duration / 1000)} s, a check every ${Math.round(inputs.interval / 1000)} s`,
  );

  const checks: CheckRecord[] = [];
  const until = clock.now() + inputs.duration;
  let failedInARow = 0;
  while (clock.now() < until) {
    const windowStart = clock.now();
    await clock.sleep(Math.min(inputs.interval, until - clock.now()));
    const check = await runCheck(context, dimensions, windowStart);
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
          previousColor: previous,
          checks,
          reason: `${reason} (rollback disabled)`,
        };
      }
      await rollBack(context, traffic, groups, previous, services[previous].runningCount ?? 0);
      await recordOutcome(
        context.elbv2,
        inputs.production.arn,
        {
          liveColor: previous,
          previousColor: live,
          taskDefinition: services[previous].taskDefinition,
          previousTaskDefinition: services[live].taskDefinition,
          outcome: 'rolled-back-by-monitor',
        },
        clock.now(),
      );
      return { outcome: 'rolled-back', liveColor: previous, previousColor: live, checks, reason };
    }
  }
  return { outcome: 'healthy', liveColor: live, previousColor: previous, checks };
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

async function rollBack(
  context: MonitorContext,
  traffic: TrafficState,
  groups: { blue: string; green: string },
  to: Color,
  runningTasks: number,
): Promise<void> {
  if (runningTasks === 0) {
    throw new ActionError(
      `Checks failed, but ${to} runs no tasks (cleaned up?), so traffic cannot move back at once; run blue-green-deploy with phase: rollback`,
    );
  }
  context.log(`Rolling back: 100 % to ${to}`);
  await writeProductionActions(
    context.elbv2,
    context.inputs.production,
    forwardWithWeights(traffic, groups, to, 100),
    groups,
  );
}
