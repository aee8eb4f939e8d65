/** ALB metrics of both colours in one GetMetricData call (all pages), as period points. */
import {
  GetMetricDataCommand,
  type CloudWatchClient,
  type MetricDataQuery,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import type { Color } from '../traffic.js';
import type { PeriodPoint } from './analysis.js';

export interface ColorDimensions {
  loadBalancer: string;
  targetGroup: string;
}

const METRICS = [
  { key: 'requests', name: 'RequestCount', stat: 'Sum' },
  { key: 'errors', name: 'HTTPCode_Target_5XX_Count', stat: 'Sum' },
  { key: 'p95', name: 'TargetResponseTime', stat: 'p95' },
  { key: 'p99', name: 'TargetResponseTime', stat: 'p99' },
] as const;

/**
 * Requests, 5xx and p95/p99 latency per period for each colour between `fromMs` and `toMs`,
 * periods aligned to `periodSeconds` as CloudWatch aligns them. Periods CloudWatch has not
 * published are simply absent; the caller decides which periods are complete.
 */
export async function readColorMetrics(
  cloudwatch: CloudWatchClient,
  dimensions: Record<Color, ColorDimensions>,
  fromMs: number,
  toMs: number,
  periodSeconds: number,
): Promise<Record<Color, PeriodPoint[]>> {
  const queries = metricQueries(dimensions, periodSeconds);
  const periodMs = periodSeconds * 1000;
  const results: MetricDataResult[] = [];
  let nextToken: string | undefined;
  do {
    const response = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(Math.floor(fromMs / periodMs) * periodMs),
        EndTime: new Date(Math.max(toMs, fromMs + periodMs)),
        MetricDataQueries: queries,
        ScanBy: 'TimestampAscending',
        NextToken: nextToken,
      }),
    );
    results.push(...(response.MetricDataResults ?? []));
    nextToken = response.NextToken;
  } while (nextToken);
  return { blue: pointsOf(results, 'blue'), green: pointsOf(results, 'green') };
}

function metricQueries(dimensions: Record<Color, ColorDimensions>, periodSeconds: number): MetricDataQuery[] {
  return (['blue', 'green'] as const).flatMap((color) =>
    METRICS.map((metric) => ({
      Id: `${color}_${metric.key}`,
      MetricStat: {
        Metric: {
          Namespace: 'AWS/ApplicationELB',
          MetricName: metric.name,
          Dimensions: [
            { Name: 'LoadBalancer', Value: dimensions[color].loadBalancer },
            { Name: 'TargetGroup', Value: dimensions[color].targetGroup },
          ],
        },
        Period: periodSeconds,
        Stat: metric.stat,
      },
    })),
  );
}

/** One colour's results as period points; a value CloudWatch did not publish stays absent. */
function pointsOf(results: MetricDataResult[], color: Color): PeriodPoint[] {
  const byStart = new Map<number, PeriodPoint>();
  for (const metric of METRICS) {
    for (const result of results.filter((entry) => entry.Id === `${color}_${metric.key}`)) {
      (result.Timestamps ?? []).forEach((timestamp, index) => {
        const startMs = new Date(timestamp).getTime();
        const point = byStart.get(startMs) ?? { startMs };
        const value = result.Values?.[index];
        if (value === undefined) return;
        if (metric.key === 'requests') point.requests = (point.requests ?? 0) + value;
        else if (metric.key === 'errors') point.errors = (point.errors ?? 0) + value;
        else if (metric.key === 'p95') point.p95Ms = value * 1000;
        else point.p99Ms = value * 1000;
        byStart.set(startMs, point);
      });
    }
  }
  return [...byStart.values()].sort((a, b) => a.startMs - b.startMs);
}
