import { describe, expect, it } from '@jest/globals';
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readColorMetrics } from '../src/signals/cloudwatch.js';
import { probe, readAlarmStates } from '../src/gates.js';

describe('readColorMetrics', () => {
  it('reads both colours in one GetMetricData call, all pages, into period points', async () => {
    const cloudwatch = mockClient(CloudWatchClient);
    const at = (minute: number) => new Date(minute * 60_000);
    cloudwatch
      .on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'green_requests', Timestamps: [at(0), at(1)], Values: [600, 400] },
          { Id: 'green_errors', Timestamps: [at(1)], Values: [30] },
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'green_p95', Timestamps: [at(0), at(1)], Values: [0.2, 0.45] },
          { Id: 'blue_requests', Timestamps: [at(1)], Values: [9000] },
        ],
      });
    const points = await readColorMetrics(
      new CloudWatchClient({ region: 'eu-west-1' }),
      {
        blue: { loadBalancer: 'app/web/1', targetGroup: 'targetgroup/b/1' },
        green: { loadBalancer: 'app/web/1', targetGroup: 'targetgroup/g/2' },
      },
      0,
      120_000,
      60,
    );
    expect(points.green).toEqual([
      { startMs: 0, requests: 600, p95Ms: 200 },
      { startMs: 60_000, requests: 400, errors: 30, p95Ms: 450 },
    ]);
    expect(points.blue).toEqual([{ startMs: 60_000, requests: 9000 }]);
    const calls = cloudwatch.commandCalls(GetMetricDataCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.args[0].input.NextToken).toBe('page-2');
    const queries = calls[0]!.args[0].input.MetricDataQueries!;
    expect(queries).toHaveLength(8);
    expect(queries.map((query) => query.Id)).toEqual([
      'blue_requests',
      'blue_errors',
      'blue_p95',
      'blue_p99',
      'green_requests',
      'green_errors',
      'green_p95',
      'green_p99',
    ]);
    expect(queries.every((query) => query.MetricStat!.Period === 60)).toBe(true);
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
