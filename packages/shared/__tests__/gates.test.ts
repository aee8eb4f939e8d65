import { describe, expect, it } from '@jest/globals';
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  albDimensions,
  judgeMetrics,
  metricPeriodSeconds,
  probe,
  readAlarmStates,
  readTargetGroupMetrics,
} from '../src/gates.js';

const thresholds = { maxErrorRatePercent: 5, maxP95Ms: 500, maxP99Ms: 1000 };

describe('judgeMetrics', () => {
  it('passes under the thresholds and names each breach with its numbers', () => {
    expect(
      judgeMetrics({ requests: 1000, errors: 49, errorRatePercent: 4.9, p95Ms: 120 }, thresholds),
    ).toEqual({ passed: true, noData: false, reasons: [] });
    expect(
      judgeMetrics({ requests: 1000, errors: 60, errorRatePercent: 6, p95Ms: 700, p99Ms: 1500 }, thresholds)
        .reasons,
    ).toEqual([
      'error rate 6.00 % > 5 % (60 of 1000 requests)',
      'p95 latency 700 ms > 500 ms',
      'p99 latency 1500 ms > 1000 ms',
    ]);
  });
  it('calls an empty window no data, not a pass on evidence', () => {
    expect(judgeMetrics({ requests: 0, errors: 0 }, thresholds)).toMatchObject({
      passed: true,
      noData: true,
    });
  });
});

describe('CloudWatch reads', () => {
  it('forms ALB dimensions from the ARNs', () => {
    expect(
      albDimensions(
        'arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/web/abc',
        'arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/green/def',
      ),
    ).toEqual({
      loadBalancer: 'app/web/abc',
      targetGroup: 'targetgroup/green/def',
    });
    expect(metricPeriodSeconds(300_000)).toBe(60);
    expect(metricPeriodSeconds(5000)).toBe(1);
  });

  it('reads requests, 5xx and percentiles in one GetMetricData call, summing counts and keeping the worst p95', async () => {
    const cloudwatch = mockClient(CloudWatchClient);
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'requests', Values: [600, 400] },
        { Id: 'errors', Values: [30] },
        { Id: 'p95', Values: [0.2, 0.45] },
        { Id: 'p99', Values: [] },
      ],
    });
    const sample = await readTargetGroupMetrics(
      new CloudWatchClient({ region: 'eu-west-1' }),
      { loadBalancer: 'app/web/1', targetGroup: 'targetgroup/g/2' },
      0,
      300_000,
    );
    expect(sample).toEqual({ requests: 1000, errors: 30, errorRatePercent: 3, p95Ms: 450, p99Ms: undefined });
    const calls = cloudwatch.commandCalls(GetMetricDataCommand);
    expect(calls).toHaveLength(1);
    expect(
      calls[0]!.args[0].input.MetricDataQueries!.map((query) => query.MetricStat!.Metric!.MetricName),
    ).toEqual(['RequestCount', 'HTTPCode_Target_5XX_Count', 'TargetResponseTime', 'TargetResponseTime']);
    expect(calls[0]!.args[0].input.MetricDataQueries![0]!.MetricStat!.Period).toBe(60);
    cloudwatch.restore();
  });

  it('fails on an alarm name CloudWatch does not know', async () => {
    const cloudwatch = mockClient(CloudWatchClient);
    cloudwatch
      .on(DescribeAlarmsCommand)
      .resolves({ MetricAlarms: [{ AlarmName: 'portal-5xx', StateValue: 'OK' }] });
    const client = new CloudWatchClient({ region: 'eu-west-1' });
    await expect(readAlarmStates(client, ['portal-5xx'])).resolves.toEqual(new Map([['portal-5xx', 'OK']]));
    await expect(readAlarmStates(client, ['portal-5xx', 'portal-typo'])).rejects.toThrow(
      "CloudWatch has no alarm named 'portal-typo'",
    );
    cloudwatch.restore();
  });
});

describe('probe', () => {
  it('passes 2xx, fails 5xx and connection errors, within its time limit', async () => {
    const server = createServer((request, response) => {
      if (request.url === '/slow') return void setTimeout(() => response.end('late'), 500);
      response.writeHead(request.url === '/fail' ? 503 : 200).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect(await probe(`${base}/ok`, 1000)).toMatchObject({ ok: true, status: 200 });
      expect(await probe(`${base}/fail`, 1000)).toMatchObject({ ok: false, status: 503 });
      expect(await probe(`${base}/slow`, 100)).toMatchObject({ ok: false, error: 'no answer within 100 ms' });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    expect((await probe(base, 500)).ok).toBe(false);
  });
});
