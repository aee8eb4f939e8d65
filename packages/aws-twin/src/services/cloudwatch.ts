/** CloudWatch (awsJson1_0, query-compatible): GetMetricData with metric math, PutMetricData, alarms. */
import { AwsError } from '../errors.js';
import { Pager } from '../pages.js';
import { arn, type Account } from '../ids.js';
import {
  evaluateExpression,
  isSupportedStatistic,
  parseExpression,
  type Dimension,
  type MetricStore,
  type Series,
} from '../metrics.js';

type Json = Record<string, unknown>;

interface Alarm {
  name: string;
  arn: string;
  /** A single-metric alarm's metric; a metric math alarm has `metrics` instead. */
  namespace: string;
  metricName: string;
  dimensions: Dimension[];
  stat: string;
  /** A metric math alarm's queries, as given (exactly one returns data). */
  metrics?: Json[];
  periodSeconds: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  threshold: number;
  comparison: string;
  treatMissingData: string;
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  reason: string;
  updatedAt: Date;
  /** Set by SetAlarmState: the state holds until the alarm's next scheduled evaluation. */
  forcedUntil: number;
}

const COMPARATORS: Record<string, (value: number, threshold: number) => boolean> = {
  GreaterThanThreshold: (value, threshold) => value > threshold,
  GreaterThanOrEqualToThreshold: (value, threshold) => value >= threshold,
  LessThanThreshold: (value, threshold) => value < threshold,
  LessThanOrEqualToThreshold: (value, threshold) => value <= threshold,
};

const MAX_QUERIES = 500;

export class CloudWatchService {
  readonly alarms = new Map<string, Alarm>();
  /** Page sizes; a scenario can force pages of one. */
  pager = new Pager();

  constructor(
    private readonly account: Account,
    private readonly metrics: MetricStore,
    private readonly now: () => number,
  ) {}

  readonly handlers: Record<string, (input: Json) => unknown> = {
    GetMetricData: (input) => {
      const queries = (input.MetricDataQueries as Json[] | undefined) ?? [];
      if (queries.length === 0 || queries.length > MAX_QUERIES) {
        throw new AwsError(
          'InvalidParameterValue',
          `MetricDataQueries must have between 1 and ${MAX_QUERIES} entries`,
        );
      }
      const startMs = toMs(input.StartTime, 'StartTime');
      const endMs = toMs(input.EndTime, 'EndTime');
      if (endMs <= startMs)
        throw new AwsError(
          'InvalidParameterValue',
          'The parameter StartTime must be less than the parameter EndTime.',
        );
      checkQueries(queries, 'MetricDataQueries');
      const series = this.run(queries, startMs, endMs);
      const ascending = input.ScanBy === 'TimestampAscending';
      const results = queries
        .filter((query) => query.ReturnData !== false)
        .map((query) => {
          const found = series.get(String(query.Id))!;
          const order = found.timestamps.map((_, index) => index);
          if (!ascending) order.reverse();
          return {
            Id: query.Id,
            Label:
              query.Label ??
              (query.MetricStat ? ((query.MetricStat as Json).Metric as Json).MetricName : query.Id),
            points: order.map((index) => ({
              at: new Date(found.timestamps[index]! * 1000),
              value: found.values[index]!,
            })),
          };
        });
      // MaxDatapoints spread over the queries in order; the token says where the next page starts.
      const flat = results.flatMap((result) => result.points.map((point) => ({ result, point })));
      const page = this.pager.page(
        flat,
        { token: input.NextToken, size: input.MaxDatapoints },
        { defaultSize: 100_800, maxSize: 100_800, badTokenCode: 'InvalidNextToken' },
      );
      const onPage = (result: (typeof results)[number]) =>
        page.items.filter((entry) => entry.result === result).map((entry) => entry.point);
      return {
        MetricDataResults: results.map((result) => ({
          Id: result.Id,
          Label: result.Label,
          Timestamps: onPage(result).map((point) => point.at),
          Values: onPage(result).map((point) => point.value),
          StatusCode: page.nextToken ? 'PartialData' : 'Complete',
        })),
        Messages: [],
        ...(page.nextToken ? { NextToken: page.nextToken } : {}),
      };
    },
    ListMetrics: (input) => {
      const namespace = input.Namespace ? String(input.Namespace) : undefined;
      const name = input.MetricName ? String(input.MetricName) : undefined;
      const wanted = (input.Dimensions as { Name: string; Value?: string }[] | undefined) ?? [];
      const metrics = this.metrics
        .list()
        .filter(
          (metric) =>
            (!namespace || metric.namespace === namespace) &&
            (!name || metric.metricName === name) &&
            wanted.every((dimension) =>
              metric.dimensions.some(
                (own) =>
                  own.Name === dimension.Name &&
                  (dimension.Value === undefined || own.Value === dimension.Value),
              ),
            ),
        );
      const page = this.pager.page(
        metrics,
        { token: input.NextToken },
        { defaultSize: 500, maxSize: 500, badTokenCode: 'InvalidNextToken' },
      );
      return {
        Metrics: page.items.map((metric) => ({
          Namespace: metric.namespace,
          MetricName: metric.metricName,
          Dimensions: metric.dimensions,
        })),
        ...(page.nextToken ? { NextToken: page.nextToken } : {}),
      };
    },
    PutMetricData: (input) => {
      const namespace = String(input.Namespace ?? '');
      if (!namespace || namespace.startsWith('AWS/'))
        throw new AwsError(
          'InvalidParameterValue',
          `The value ${namespace} for parameter Namespace is invalid.`,
        );
      for (const datum of (input.MetricData as Json[] | undefined) ?? []) {
        const at = datum.Timestamp === undefined ? this.now() : toMs(datum.Timestamp, 'Timestamp');
        const dimensions = (datum.Dimensions as Dimension[] | undefined) ?? [];
        const name = String(datum.MetricName ?? '');
        if (datum.StatisticValues) {
          const stats = datum.StatisticValues as Json;
          this.metrics.putStatistics(
            namespace,
            name,
            dimensions,
            {
              sum: Number(stats.Sum),
              count: Number(stats.SampleCount),
              min: Number(stats.Minimum),
              max: Number(stats.Maximum),
            },
            at,
          );
        } else if (datum.Values) {
          const values = datum.Values as number[];
          const counts = (datum.Counts as number[] | undefined) ?? values.map(() => 1);
          values.forEach((value, index) => {
            for (let repeat = 0; repeat < (counts[index] ?? 1); repeat++)
              this.metrics.put(namespace, name, dimensions, value, at);
          });
        } else {
          this.metrics.put(namespace, name, dimensions, Number(datum.Value), at);
        }
      }
      return {};
    },
    PutMetricAlarm: (input) => {
      const name = String(input.AlarmName ?? '');
      if (!name) throw new AwsError('MissingParameter', 'AlarmName is required');
      const comparison = String(input.ComparisonOperator ?? '');
      if (!COMPARATORS[comparison])
        throw new AwsError('InvalidParameterValue', `ComparisonOperator ${comparison} is not supported`);
      if (input.EvaluationPeriods === undefined)
        throw new AwsError('MissingParameter', 'The parameter EvaluationPeriods is required.');
      const evaluationPeriods = Number(input.EvaluationPeriods);
      const datapointsToAlarm = Number(input.DatapointsToAlarm ?? evaluationPeriods);
      if (datapointsToAlarm > evaluationPeriods)
        throw new AwsError(
          'ValidationError',
          'DatapointsToAlarm must be less than or equal to EvaluationPeriods',
        );
      const metrics = input.Metrics as Json[] | undefined;
      const shape = metrics ? mathAlarmShape(input, metrics) : singleMetricShape(input);
      checkAlarmPeriod(shape.periodSeconds, this.metrics.profile.periodSeconds);
      const existing = this.alarms.get(name);
      this.alarms.set(name, {
        name,
        arn: arn(this.account, 'cloudwatch', `alarm:${name}`),
        ...shape,
        evaluationPeriods,
        datapointsToAlarm,
        threshold: Number(input.Threshold ?? 0),
        comparison,
        treatMissingData: String(input.TreatMissingData ?? 'missing'),
        // An update overwrites the configuration and leaves the state as it was.
        state: existing?.state ?? 'INSUFFICIENT_DATA',
        reason: existing?.reason ?? 'Unchecked: Initial alarm creation',
        updatedAt: existing?.updatedAt ?? new Date(this.now()),
        forcedUntil: 0,
      });
      return {};
    },
    DescribeAlarms: (input) => {
      const names = (input.AlarmNames as string[] | undefined) ?? [];
      const prefix = input.AlarmNamePrefix ? String(input.AlarmNamePrefix) : undefined;
      const state = input.StateValue ? String(input.StateValue) : undefined;
      const alarms = [...this.alarms.values()].filter(
        (alarm) =>
          (names.length === 0 || names.includes(alarm.name)) && (!prefix || alarm.name.startsWith(prefix)),
      );
      for (const alarm of alarms) this.evaluate(alarm);
      const page = this.pager.page(
        alarms.filter((alarm) => !state || alarm.state === state),
        { token: input.NextToken, size: input.MaxRecords },
        { defaultSize: 50, maxSize: 100, badTokenCode: 'InvalidNextToken' },
      );
      return {
        ...(page.nextToken ? { NextToken: page.nextToken } : {}),
        MetricAlarms: page.items.map((alarm) => ({
          AlarmName: alarm.name,
          AlarmArn: alarm.arn,
          StateValue: alarm.state,
          StateReason: alarm.reason,
          StateUpdatedTimestamp: alarm.updatedAt,
          ...(alarm.metrics
            ? { Metrics: alarm.metrics }
            : {
                MetricName: alarm.metricName,
                Namespace: alarm.namespace,
                Dimensions: alarm.dimensions,
                Period: alarm.periodSeconds,
              }),
          EvaluationPeriods: alarm.evaluationPeriods,
          DatapointsToAlarm: alarm.datapointsToAlarm,
          Threshold: alarm.threshold,
          ComparisonOperator: alarm.comparison,
          TreatMissingData: alarm.treatMissingData,
          ...(alarm.metrics
            ? {}
            : alarm.stat.startsWith('p')
              ? { ExtendedStatistic: alarm.stat }
              : { Statistic: alarm.stat }),
        })),
        CompositeAlarms: [],
      };
    },
    SetAlarmState: (input) => {
      const alarm = this.alarms.get(String(input.AlarmName ?? ''));
      if (!alarm) throw new AwsError('ResourceNotFound', `Alarm ${String(input.AlarmName)} not found`, 404);
      const state = String(input.StateValue);
      if (!['OK', 'ALARM', 'INSUFFICIENT_DATA'].includes(state))
        throw new AwsError('InvalidParameterValue', `StateValue ${state} is invalid`);
      this.setState(alarm, state as Alarm['state'], String(input.StateReason ?? 'Set by SetAlarmState'));
      const periodMs = alarm.periodSeconds * 1000;
      alarm.forcedUntil = (Math.floor(this.now() / periodMs) + 1) * periodMs;
      return {};
    },
  };

  /** The queries' series over [startMs, endMs): metrics first, then expressions over them. */
  private run(queries: Json[], startMs: number, endMs: number): Map<string, Series> {
    const series = new Map<string, Series>();
    for (const query of queries.filter((candidate) => candidate.MetricStat)) {
      const stat = query.MetricStat as Json;
      const metric = (stat.Metric ?? {}) as Json;
      const period = Number(stat.Period);
      series.set(
        String(query.Id),
        this.metrics.query(
          {
            namespace: String(metric.Namespace ?? ''),
            metricName: String(metric.MetricName ?? ''),
            dimensions: (metric.Dimensions as Dimension[] | undefined) ?? [],
            periodSeconds: period,
            stat: String(stat.Stat),
          },
          startMs,
          endMs,
        ),
      );
    }
    const allTimestamps = [...new Set([...series.values()].flatMap((entry) => entry.timestamps))].sort(
      (a, b) => a - b,
    );
    for (const query of queries.filter((candidate) => candidate.Expression)) {
      series.set(
        String(query.Id),
        evaluateExpression(parseExpression(String(query.Expression)), series, allTimestamps),
      );
    }
    return series;
  }

  /** An alarm's state now (evaluated first), or undefined when there is no such alarm. */
  stateOf(name: string): string | undefined {
    const alarm = this.alarms.get(name);
    if (!alarm) return undefined;
    this.evaluate(alarm);
    return alarm.state;
  }

  /** Evaluates an alarm against the twin's metrics, as CloudWatch does on its schedule. */
  private evaluate(alarm: Alarm): void {
    if (this.now() < alarm.forcedUntil) return;
    const periodMs = alarm.periodSeconds * 1000;
    const end = Math.floor(this.now() / periodMs) * periodMs + periodMs;
    const start = end - periodMs * alarm.evaluationPeriods;
    const series = alarm.metrics
      ? this.run(alarm.metrics, start, end).get(
          String(alarm.metrics.find((query) => query.ReturnData !== false)!.Id),
        )!
      : this.metrics.query(
          {
            namespace: alarm.namespace,
            metricName: alarm.metricName,
            dimensions: alarm.dimensions,
            periodSeconds: alarm.periodSeconds,
            stat: alarm.stat,
          },
          start,
          end,
        );
    const missing = alarm.evaluationPeriods - series.values.length;
    const breaching =
      series.values.filter((value) => COMPARATORS[alarm.comparison]!(value, alarm.threshold)).length +
      (alarm.treatMissingData === 'breaching' ? missing : 0);
    let next: Alarm['state'];
    if (breaching >= alarm.datapointsToAlarm) next = 'ALARM';
    else if (series.values.length === 0 && alarm.treatMissingData === 'missing') next = 'INSUFFICIENT_DATA';
    else next = 'OK';
    if (next !== alarm.state) {
      const reason = `Threshold Crossed: ${breaching} out of the last ${alarm.evaluationPeriods} datapoints were ${alarm.comparison
        .replace(/([A-Z])/g, ' $1')
        .trim()
        .toLowerCase()} (${alarm.threshold}).`;
      this.setState(alarm, next, reason);
    }
  }

  private setState(alarm: Alarm, state: Alarm['state'], reason: string): void {
    alarm.state = state;
    alarm.reason = reason;
    alarm.updatedAt = new Date(this.now());
  }
}

function toMs(value: unknown, field: string): number {
  if (typeof value === 'number') return value * 1000;
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return Date.parse(value);
  throw new AwsError('InvalidParameterValue', `The parameter ${field} is required and must be a timestamp`);
}

/** Ids, one of MetricStat or Expression each, periods and statistics: as CloudWatch refuses them. */
function checkQueries(queries: Json[], field: string): void {
  const ids = new Set<string>();
  for (const query of queries) {
    const id = String(query.Id ?? '');
    if (!/^[a-z][a-zA-Z0-9_]*$/.test(id))
      throw new AwsError(
        'InvalidParameterValue',
        `The value ${id} for parameter ${field}.member.Id is not valid: it must start with a lower-case letter`,
      );
    if (ids.has(id)) throw new AwsError('InvalidParameterValue', `Duplicate Id ${id}`);
    ids.add(id);
    if (Boolean(query.MetricStat) === Boolean(query.Expression)) {
      throw new AwsError(
        'InvalidParameterCombination',
        `Query ${id} must have exactly one of MetricStat and Expression`,
      );
    }
  }
  for (const query of queries.filter((candidate) => candidate.MetricStat)) {
    const stat = query.MetricStat as Json;
    const period = Number(stat.Period);
    if (
      !Number.isInteger(period) ||
      period < 1 ||
      (period >= 60 ? period % 60 !== 0 : ![1, 5, 10, 30].includes(period))
    ) {
      throw new AwsError(
        'InvalidParameterValue',
        `The parameter MetricStat.Period must be 1, 5, 10, 30 or a multiple of 60; got ${String(stat.Period)}`,
      );
    }
    if (!isSupportedStatistic(String(stat.Stat)))
      throw new AwsError('InvalidParameterValue', `The statistic ${String(stat.Stat)} is not supported`);
  }
  for (const query of queries.filter((candidate) => candidate.Expression))
    parseExpression(String(query.Expression));
}

const SINGLE_METRIC_FIELDS = [
  'MetricName',
  'Namespace',
  'Statistic',
  'ExtendedStatistic',
  'Dimensions',
  'Period',
];

/** A single-metric alarm: its metric, statistic and period. */
function singleMetricShape(input: Json) {
  const stat = String(input.Statistic ?? input.ExtendedStatistic ?? '');
  if (!isSupportedStatistic(stat))
    throw new AwsError('InvalidParameterValue', `Statistic ${stat} is not supported`);
  if (!input.MetricName)
    throw new AwsError('ValidationError', 'An alarm needs MetricName (or Metrics for metric math).');
  return {
    namespace: String(input.Namespace ?? ''),
    metricName: String(input.MetricName),
    dimensions: (input.Dimensions as Dimension[] | undefined) ?? [],
    stat,
    periodSeconds: Number(input.Period ?? 60),
  };
}

/** A metric math alarm: Metrics alone, exactly one query returning data; its period is the metrics'. */
function mathAlarmShape(input: Json, metrics: Json[]) {
  const mixed = SINGLE_METRIC_FIELDS.filter((field) => input[field] !== undefined);
  if (mixed.length > 0)
    throw new AwsError(
      'ValidationError',
      `Metrics cannot be combined with ${mixed.join(', ')}: a metric math alarm names its metrics in Metrics`,
    );
  if (metrics.length === 0 || metrics.length > 20)
    throw new AwsError('ValidationError', 'Metrics must have between 1 and 20 entries');
  checkQueries(metrics, 'Metrics');
  const returning = metrics.filter((query) => query.ReturnData !== false);
  if (returning.length !== 1)
    throw new AwsError(
      'ValidationError',
      `Exactly one element of the metrics list must return data (ReturnData true); ${returning.length} do`,
    );
  const periods = metrics
    .map((query) => Number((query.MetricStat as Json | undefined)?.Period ?? query.Period ?? 0))
    .filter((period) => period > 0);
  return {
    namespace: '',
    metricName: '',
    dimensions: [],
    stat: '',
    metrics: metrics.map((query) => ({ ...query, ReturnData: query.ReturnData !== false })),
    periodSeconds: periods.length > 0 ? Math.max(...periods) : 60,
  };
}

/**
 * Alarms evaluate over 10 s, 30 s or whole minutes. A twin whose metrics are scaled (published per
 * second, say) also takes the short periods GetMetricData takes, so scaled alarms work.
 */
function checkAlarmPeriod(period: number, nativePeriod: number): void {
  const standard = period === 10 || period === 30 || (period >= 60 && period % 60 === 0);
  const scaled = nativePeriod < 60 && [1, 5].includes(period) && period % nativePeriod === 0;
  if (!Number.isInteger(period) || !(standard || scaled))
    throw new AwsError(
      'ValidationError',
      `The alarm period must be 10, 30 or a multiple of 60 seconds; got ${period}`,
    );
}
