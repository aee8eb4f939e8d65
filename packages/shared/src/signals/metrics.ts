/**
 * The ALB metrics provider, the one metric pipeline of the suite: complete, published periods →
 * one GetMetricData for both colours → per-colour aggregates → the canary judged against the
 * guardrails and a baseline. The deploy's gates, the monitor's checks and the monitor's pre-cutover
 * baseline all read through it.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { otherColor, type Color } from '../traffic.js';
import {
  aggregate,
  completePeriods,
  judgeMetrics,
  type Aggregate,
  type Comparison,
  type Guardrails,
  type PeriodWindow,
} from './analysis.js';
import { readColorMetrics, type ColorDimensions } from './cloudwatch.js';
import type { Measurement } from './judge.js';

export interface PublishedMetrics {
  /** The starts of the periods read (complete and published). */
  periods: number[];
  /** Where the next read should start: the end of the last period read. */
  until: number;
  colors: Record<Color, Aggregate>;
}

/** Both colours' aggregates over the complete, published periods of the window; undefined when none is. */
export async function readPublished(
  cloudwatch: CloudWatchClient,
  dimensions: Record<Color, ColorDimensions>,
  window: PeriodWindow,
): Promise<PublishedMetrics | undefined> {
  const periods = completePeriods(window);
  if (periods.length === 0) return undefined;
  const until = periods.at(-1)! + window.periodMs;
  const series = await readColorMetrics(cloudwatch, dimensions, periods[0]!, until, window.periodMs / 1000);
  return {
    periods,
    until,
    colors: { blue: aggregate(series.blue, periods), green: aggregate(series.green, periods) },
  };
}

/** What the canary is compared with: the other colour over the same periods, or a recorded aggregate. */
export type Baseline =
  | { kind: 'other-colour' }
  | { kind: 'recorded'; color: Color; aggregate: Aggregate; label: string }
  | { kind: 'none' };

export interface MetricRules {
  guardrails: Guardrails;
  comparison: Comparison;
  /** How reasons name each side (default the colour: ecs-native names the revisions). */
  labels?: Partial<Record<Color, string>>;
}

export interface MetricReading {
  measurement: Measurement;
  published?: PublishedMetrics;
  canary?: Aggregate;
  baseline?: Aggregate;
  /** The comparison in numbers, when the baseline served requests. */
  comparison?: string;
}

/** The canary colour's metrics over the window, judged: the metrics provider. */
export async function measureMetrics(
  cloudwatch: CloudWatchClient,
  dimensions: Record<Color, ColorDimensions>,
  window: PeriodWindow,
  canary: Color,
  baseline: Baseline,
  rules: MetricRules,
): Promise<MetricReading> {
  const signal = `metrics ${canary}`;
  const published = await readPublished(cloudwatch, dimensions, window);
  if (!published)
    return {
      measurement: {
        signal,
        verdict: 'inconclusive',
        evidence: 0,
        reason: 'no complete CloudWatch period published yet',
      },
    };
  const against =
    baseline.kind === 'other-colour'
      ? {
          color: otherColor(canary),
          aggregate: published.colors[otherColor(canary)],
          label: rules.labels?.[otherColor(canary)],
        }
      : baseline.kind === 'recorded'
        ? baseline
        : undefined;
  const judged = judgeMetrics(
    { color: canary, aggregate: published.colors[canary], label: rules.labels?.[canary] },
    against,
    rules.guardrails,
    rules.comparison,
  );
  const requests = published.colors[canary].requests;
  const measurement: Measurement =
    judged.verdict === 'no-data'
      ? { signal, verdict: 'inconclusive', evidence: 0, reason: judged.reasons.join('; ') }
      : {
          signal,
          verdict: judged.verdict === 'failed' ? 'fail' : 'pass',
          evidence: requests,
          reason:
            judged.verdict === 'failed'
              ? judged.reasons.join('; ')
              : `${requests} requests in ${published.periods.length} period(s)`,
        };
  return {
    measurement,
    published,
    canary: published.colors[canary],
    baseline: against?.aggregate,
    comparison: judged.comparison,
  };
}
