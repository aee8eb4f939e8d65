/**
 * Signals and the decisions on them, shared by the deploy's step gates and the monitor: ALB
 * metrics per target group in one batched GetMetricData call, CloudWatch alarm states, HTTP probes.
 */
import {
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type CloudWatchClient,
} from '@aws-sdk/client-cloudwatch';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ActionError } from './errors.js';

export interface GateThresholds {
  /** Percent of 5xx over requests above which the gate fails. */
  maxErrorRatePercent: number;
  maxP95Ms: number;
  maxP99Ms?: number;
}

export interface MetricSample {
  requests: number;
  errors: number;
  /** Undefined when no request was answered in the window. */
  errorRatePercent?: number;
  p95Ms?: number;
  p99Ms?: number;
}

export interface MetricVerdict {
  passed: boolean;
  /** True when the window had no requests at all: nothing to judge. */
  noData: boolean;
  reasons: string[];
}

/** The CloudWatch dimension values of an ALB target group: both are needed for per-group metrics. */
export function albDimensions(
  loadBalancerArn: string,
  targetGroupArn: string,
): { loadBalancer: string; targetGroup: string } {
  const loadBalancer = loadBalancerArn.slice(
    loadBalancerArn.indexOf('loadbalancer/') + 'loadbalancer/'.length,
  );
  const targetGroup = targetGroupArn.slice(targetGroupArn.indexOf('targetgroup/'));
  return { loadBalancer, targetGroup };
}

/** ALB metrics are 1-minute data in AWS; short windows (tests on the twin) use 1-second periods. */
export function metricPeriodSeconds(windowMs: number): number {
  return windowMs >= 60_000 ? 60 : 1;
}

/** Requests, 5xx and latency percentiles of one target group over a window, in one GetMetricData call. */
export async function readTargetGroupMetrics(
  cloudwatch: CloudWatchClient,
  dimensions: { loadBalancer: string; targetGroup: string },
  startMs: number,
  endMs: number,
): Promise<MetricSample> {
  const period = metricPeriodSeconds(endMs - startMs);
  const metric = (id: string, name: string, stat: string) => ({
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: 'AWS/ApplicationELB',
        MetricName: name,
        Dimensions: [
          { Name: 'LoadBalancer', Value: dimensions.loadBalancer },
          { Name: 'TargetGroup', Value: dimensions.targetGroup },
        ],
      },
      Period: period,
      Stat: stat,
    },
  });
  const response = await cloudwatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(Math.floor(startMs / 1000 / period) * period * 1000),
      EndTime: new Date(endMs + 1000),
      MetricDataQueries: [
        metric('requests', 'RequestCount', 'Sum'),
        metric('errors', 'HTTPCode_Target_5XX_Count', 'Sum'),
        metric('p95', 'TargetResponseTime', 'p95'),
        metric('p99', 'TargetResponseTime', 'p99'),
      ],
    }),
  );
  const values = (id: string) => response.MetricDataResults?.find((result) => result.Id === id)?.Values ?? [];
  const sum = (id: string) => values(id).reduce((total, value) => total + value, 0);
  // Percentiles of separate periods cannot be merged: the worst period speaks for the window.
  const worst = (id: string) => (values(id).length === 0 ? undefined : Math.max(...values(id)) * 1000);
  const requests = sum('requests');
  const errors = sum('errors');
  return {
    requests,
    errors,
    errorRatePercent: requests === 0 ? undefined : (100 * errors) / requests,
    p95Ms: worst('p95'),
    p99Ms: worst('p99'),
  };
}

export function judgeMetrics(sample: MetricSample, thresholds: GateThresholds): MetricVerdict {
  if (sample.requests === 0)
    return { passed: true, noData: true, reasons: ['no requests reached the target group in the window'] };
  const reasons: string[] = [];
  if (sample.errorRatePercent !== undefined && sample.errorRatePercent > thresholds.maxErrorRatePercent) {
    reasons.push(
      `error rate ${formatPercent(sample.errorRatePercent)} > ${thresholds.maxErrorRatePercent} % (${sample.errors} of ${sample.requests} requests)`,
    );
  }
  if (sample.p95Ms !== undefined && sample.p95Ms > thresholds.maxP95Ms)
    reasons.push(`p95 latency ${Math.round(sample.p95Ms)} ms > ${thresholds.maxP95Ms} ms`);
  if (thresholds.maxP99Ms !== undefined && sample.p99Ms !== undefined && sample.p99Ms > thresholds.maxP99Ms) {
    reasons.push(`p99 latency ${Math.round(sample.p99Ms)} ms > ${thresholds.maxP99Ms} ms`);
  }
  return { passed: reasons.length === 0, noData: false, reasons };
}

export function formatPercent(value: number): string {
  return `${(Math.round(value * 100) / 100).toFixed(2)} %`;
}

/** States of the named alarms; a name CloudWatch does not know is an error (a typo must not pass). */
export async function readAlarmStates(
  cloudwatch: CloudWatchClient,
  names: string[],
): Promise<Map<string, string>> {
  const states = new Map<string, string>();
  if (names.length === 0) return states;
  for (let index = 0; index < names.length; index += 100) {
    const batch = names.slice(index, index + 100);
    const response = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: batch, MaxRecords: 100 }));
    for (const alarm of response.MetricAlarms ?? [])
      states.set(alarm.AlarmName!, alarm.StateValue ?? 'INSUFFICIENT_DATA');
    for (const alarm of response.CompositeAlarms ?? [])
      states.set(alarm.AlarmName!, alarm.StateValue ?? 'INSUFFICIENT_DATA');
  }
  const unknown = names.filter((name) => !states.has(name));
  if (unknown.length > 0)
    throw new ActionError(
      `CloudWatch has no alarm named ${unknown.map((name) => `'${name}'`).join(', ')}; check the alarms input`,
    );
  return states;
}

export interface ProbeResult {
  ok: boolean;
  status?: number;
  ms: number;
  error?: string;
}

/** One HTTP GET; 2xx and 3xx pass. Bounded by `timeoutMs`; never rejects. */
export function probe(url: string, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    const send = url.startsWith('https:') ? httpsRequest : httpRequest;
    const request = send(
      url,
      { method: 'GET', timeout: timeoutMs, headers: { 'user-agent': 'mpac-actions-probe' } },
      (response) => {
        response.resume();
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          resolve({ ok: status >= 200 && status < 400, status, ms: elapsed() });
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (error) => resolve({ ok: false, ms: elapsed(), error: error.message }));
    request.end();
  });
}
