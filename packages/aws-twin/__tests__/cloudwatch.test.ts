import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  ResourceNotFound,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { startTwin, type Twin } from '../src/index.js';
import { clientsFor } from './clients.js';

describe('CloudWatch through the real SDK client', () => {
  let twin: Twin;
  let cloudwatch: ReturnType<typeof clientsFor>['cloudwatch'];
  const dimensions = [{ Name: 'Service', Value: 'svc-portal' }];
  const base = Math.floor(Date.now() / 60_000) * 60_000 - 120_000;

  beforeAll(async () => {
    twin = await startTwin();
    ({ cloudwatch } = clientsFor(twin));
    // 100 latencies 1..100 ms in one minute, and request/error counts in two minutes
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: 'MPAC/Test',
        MetricData: [
          {
            MetricName: 'Latency',
            Dimensions: dimensions,
            Values: Array.from({ length: 100 }, (_, i) => i + 1),
            Timestamp: new Date(base + 1000),
          },
          { MetricName: 'Requests', Dimensions: dimensions, Value: 200, Timestamp: new Date(base + 2000) },
          { MetricName: 'Requests', Dimensions: dimensions, Value: 100, Timestamp: new Date(base + 62_000) },
          { MetricName: 'Errors', Dimensions: dimensions, Value: 10, Timestamp: new Date(base + 3000) },
        ],
      }),
    );
  });
  afterAll(async () => {
    await twin.close();
  });

  const stat = (id: string, metricName: string, statName: string, period = 60) => ({
    Id: id,
    MetricStat: {
      Metric: { Namespace: 'MPAC/Test', MetricName: metricName, Dimensions: dimensions },
      Period: period,
      Stat: statName,
    },
  });

  it('computes statistics and percentiles per period', async () => {
    const result = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(base),
        EndTime: new Date(base + 180_000),
        ScanBy: 'TimestampAscending',
        MetricDataQueries: [
          stat('p95', 'Latency', 'p95'),
          stat('avg', 'Latency', 'Average'),
          stat('max', 'Latency', 'Maximum'),
          stat('n', 'Latency', 'SampleCount'),
          stat('sum', 'Requests', 'Sum'),
        ],
      }),
    );
    const byId = Object.fromEntries(result.MetricDataResults!.map((entry) => [entry.Id, entry]));
    expect(byId.p95?.Values).toEqual([95]);
    expect(byId.avg?.Values).toEqual([50.5]);
    expect(byId.max?.Values).toEqual([100]);
    expect(byId.n?.Values).toEqual([100]);
    expect(byId.sum?.Values).toEqual([200, 100]);
    expect(byId.sum?.Timestamps).toEqual([new Date(base), new Date(base + 60_000)]);
    expect(byId.sum?.StatusCode).toBe('Complete');
  });

  it('evaluates metric math, keeping only timestamps all series have unless FILL is used', async () => {
    const result = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(base),
        EndTime: new Date(base + 180_000),
        ScanBy: 'TimestampAscending',
        MetricDataQueries: [
          { ...stat('errors', 'Errors', 'Sum'), ReturnData: false },
          { ...stat('requests', 'Requests', 'Sum'), ReturnData: false },
          { Id: 'rate', Expression: '100*errors/requests' },
          { Id: 'filled', Expression: '100 * FILL(errors, 0) / requests' },
        ],
      }),
    );
    const byId = Object.fromEntries(result.MetricDataResults!.map((entry) => [entry.Id, entry.Values]));
    expect(Object.keys(byId)).toEqual(['rate', 'filled']);
    expect(byId.rate).toEqual([5]);
    expect(byId.filled).toEqual([5, 0]);
  });

  it('rejects a bad period or a bad expression with InvalidParameterValue / ValidationError', async () => {
    await expect(
      cloudwatch.send(
        new GetMetricDataCommand({
          StartTime: new Date(base),
          EndTime: new Date(base + 60_000),
          MetricDataQueries: [stat('a', 'Latency', 'Sum', 7)],
        }),
      ),
    ).rejects.toThrow(/Period must be 1, 5, 10, 30 or a multiple of 60/);
    await expect(
      cloudwatch.send(
        new GetMetricDataCommand({
          StartTime: new Date(base),
          EndTime: new Date(base + 60_000),
          MetricDataQueries: [{ Id: 'e', Expression: '100 * (' }],
        }),
      ),
    ).rejects.toThrow(/Invalid metric math expression/);
  });

  it('evaluates alarms against the metrics, and SetAlarmState holds until the next evaluation', async () => {
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: 'portal-errors',
        Namespace: 'MPAC/Live',
        MetricName: 'Errors',
        Dimensions: dimensions,
        Statistic: 'Sum',
        Period: 10,
        EvaluationPeriods: 1,
        Threshold: 5,
        ComparisonOperator: 'GreaterThanThreshold',
      }),
    );
    let alarm = (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['portal-errors'] })))
      .MetricAlarms![0]!;
    expect(alarm.StateValue).toBe('INSUFFICIENT_DATA');
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: 'MPAC/Live',
        MetricData: [{ MetricName: 'Errors', Dimensions: dimensions, Value: 9 }],
      }),
    );
    alarm = (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['portal-errors'] })))
      .MetricAlarms![0]!;
    expect(alarm.StateValue).toBe('ALARM');
    expect(alarm.StateReason).toMatch(/Threshold Crossed: 1 out of the last 1 datapoints/);

    await cloudwatch.send(
      new SetAlarmStateCommand({ AlarmName: 'portal-errors', StateValue: 'OK', StateReason: 'testing' }),
    );
    const forced = (await cloudwatch.send(new DescribeAlarmsCommand({ StateValue: 'OK' }))).MetricAlarms!;
    expect(forced.map((entry) => entry.AlarmName)).toEqual(['portal-errors']);
    await expect(
      cloudwatch.send(new SetAlarmStateCommand({ AlarmName: 'nope', StateValue: 'OK', StateReason: 'x' })),
    ).rejects.toBeInstanceOf(ResourceNotFound);
  });

  it('evaluates a metric math alarm (a 5xx rate), keeps its state on update, and refuses malformed ones', async () => {
    const rateAlarm = (threshold: number) =>
      new PutMetricAlarmCommand({
        AlarmName: 'portal-5xx-rate',
        Metrics: [
          { ...stat('errors', 'Failures', 'Sum', 10), ReturnData: false },
          { ...stat('requests', 'Calls', 'Sum', 10), ReturnData: false },
          { Id: 'rate', Expression: '100 * FILL(errors, 0) / requests', Label: '5xx %', ReturnData: true },
        ],
        EvaluationPeriods: 1,
        Threshold: threshold,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      });
    await cloudwatch.send(rateAlarm(5));
    const describe = async () =>
      (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['portal-5xx-rate'] })))
        .MetricAlarms![0]!;
    // No requests at all: missing data, not breaching.
    expect((await describe()).StateValue).toBe('OK');
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: 'MPAC/Test',
        MetricData: [{ MetricName: 'Calls', Dimensions: dimensions, Value: 100 }],
      }),
    );
    expect((await describe()).StateValue).toBe('OK');
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: 'MPAC/Test',
        MetricData: [{ MetricName: 'Failures', Dimensions: dimensions, Value: 8 }],
      }),
    );
    const alarmed = await describe();
    expect(alarmed.StateValue).toBe('ALARM');
    expect(alarmed.Metrics!.map((query) => query.Id)).toEqual(['errors', 'requests', 'rate']);
    expect(alarmed.MetricName).toBeUndefined();
    // An update overwrites the configuration and leaves the state until the next evaluation changes it.
    await cloudwatch.send(rateAlarm(50));
    expect(
      (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['portal-5xx-rate'] })))
        .MetricAlarms![0]!.Threshold,
    ).toBe(50);
    expect((await describe()).StateValue).toBe('OK');

    const refused = (input: Partial<ConstructorParameters<typeof PutMetricAlarmCommand>[0]>) =>
      cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName: 'bad',
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanThreshold',
          ...input,
        }),
      );
    await expect(
      refused({ Metrics: [stat('a', 'Calls', 'Sum'), stat('b', 'Calls', 'Sum')] }),
    ).rejects.toThrow(/Exactly one element of the metrics list must return data/);
    await expect(refused({ MetricName: 'Calls', Metrics: [stat('a', 'Calls', 'Sum')] })).rejects.toThrow(
      /Metrics cannot be combined with MetricName/,
    );
    await expect(refused({ Metrics: [{ Id: 'e', Expression: '100 * (' }] })).rejects.toThrow(
      /Invalid metric math expression/,
    );
    await expect(
      refused({ Namespace: 'MPAC/Test', MetricName: 'Calls', Statistic: 'Sum', Period: 45 }),
    ).rejects.toThrow(/period must be 10, 30 or a multiple of 60/);
    await expect(
      refused({
        Namespace: 'MPAC/Test',
        MetricName: 'Calls',
        Statistic: 'Sum',
        Period: 60,
        DatapointsToAlarm: 2,
      }),
    ).rejects.toThrow(/DatapointsToAlarm/);
    expect((await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['bad'] }))).MetricAlarms).toEqual(
      [],
    );
  });
});
