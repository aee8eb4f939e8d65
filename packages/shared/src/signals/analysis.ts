/**
 * Judging ALB metrics as CloudWatch really publishes them: only complete, published periods count;
 * a missing 5xx point next to a RequestCount point is 0, a missing RequestCount is no requests; "no
 * requests" is no evidence, never a pass. The new colour is compared with the old one over the same
 * periods (a one-sided two-proportion test with a minimum effect), beside absolute guardrails.
 */
import type { Color } from '../traffic.js';

/** One period of one colour's metrics, as GetMetricData returns them (absent values were not published). */
export interface PeriodPoint {
  /** Period start, epoch ms. */
  startMs: number;
  requests?: number;
  errors?: number;
  p95Ms?: number;
  p99Ms?: number;
}

export interface PeriodWindow {
  /** Only periods that start at or after this moment (the traffic change) count. */
  fromMs: number;
  /** Only periods that end at or before this moment count. */
  untilMs: number;
  nowMs: number;
  periodMs: number;
  /** How late CloudWatch may publish a period. */
  delayMs: number;
}

/** Period starts that lie whole in the window and are published by now: the periods that may be judged. */
export function completePeriods(window: PeriodWindow): number[] {
  const first = Math.ceil(window.fromMs / window.periodMs) * window.periodMs;
  const lastEnd = Math.min(window.untilMs, window.nowMs - window.delayMs);
  const starts: number[] = [];
  for (let start = first; start + window.periodMs <= lastEnd; start += window.periodMs) starts.push(start);
  return starts;
}

export interface Aggregate {
  /** Complete periods judged. */
  periods: number;
  requests: number;
  errors: number;
  /** Undefined without requests. */
  errorRatePercent?: number;
  /**
   * The worst period's percentile: percentiles of separate periods cannot be merged. Only periods
   * with enough requests for the percentile count (see MIN_REQUESTS_FOR); undefined when none had.
   */
  p95Ms?: number;
  p99Ms?: number;
  /** Periods whose p95 was left out for too few requests. */
  p95TooFewRequests?: number;
}

/**
 * The fewest requests in a period for its percentile to be one: below 20 requests a period's "p95"
 * is its slowest request (below 100, its "p99"), and one request that waited on a busy host would
 * decide a gate. A quiet colour (5 % of a small service) is then judged on errors, probes and
 * alarms, and on latency from the step where it serves enough requests.
 */
export const MIN_REQUESTS_FOR = { p95: 20, p99: 100 } as const;

/** Sums a colour's points over the given periods; absent points are zero requests, zero errors. */
export function aggregate(points: PeriodPoint[], periodStarts: number[]): Aggregate {
  const wanted = new Set(periodStarts);
  const inside = points.filter((point) => wanted.has(point.startMs) && (point.requests ?? 0) > 0);
  const requests = inside.reduce((total, point) => total + (point.requests ?? 0), 0);
  const errors = inside.reduce((total, point) => total + (point.errors ?? 0), 0);
  const worst = (values: (number | undefined)[]) => {
    const present = values.filter((value): value is number => value !== undefined);
    return present.length === 0 ? undefined : Math.max(...present);
  };
  return {
    periods: periodStarts.length,
    requests,
    errors,
    errorRatePercent: requests === 0 ? undefined : (100 * errors) / requests,
    p95Ms: worst(inside.map((point) => (point.requests! >= MIN_REQUESTS_FOR.p95 ? point.p95Ms : undefined))),
    p99Ms: worst(inside.map((point) => (point.requests! >= MIN_REQUESTS_FOR.p99 ? point.p99Ms : undefined))),
    p95TooFewRequests:
      inside.filter((point) => point.p95Ms !== undefined && point.requests! < MIN_REQUESTS_FOR.p95).length ||
      undefined,
  };
}

/** P(Z ≥ z) for a standard normal Z, with a fractional error below 1.2e-7 (erfc, Numerical Recipes). */
export function upperTail(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const erfc =
    t *
    Math.exp(
      -x * x -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return z >= 0 ? erfc / 2 : 1 - erfc / 2;
}

/**
 * One-sided two-proportion test that A's error rate is higher than B's. With enough errors the
 * pooled z-test; when either side expects fewer than 5 errors (where the normal approximation
 * overstates significance), the exact conditional test: given the errors of both, how likely A got
 * at least as many as it did if both had the same rate. No errors, or no requests on a side, is no
 * evidence: p = 1.
 */
export function twoProportionTest(
  errorsA: number,
  requestsA: number,
  errorsB: number,
  requestsB: number,
): { z: number; pValue: number; method: 'z' | 'exact' } {
  if (requestsA === 0 || requestsB === 0) return { z: 0, pValue: 1, method: 'z' };
  const pooled = (errorsA + errorsB) / (requestsA + requestsB);
  if (pooled === 0 || pooled === 1) return { z: 0, pValue: 1, method: 'z' };
  const standardError = Math.sqrt(pooled * (1 - pooled) * (1 / requestsA + 1 / requestsB));
  const z = (errorsA / requestsA - errorsB / requestsB) / standardError;
  if (Math.min(requestsA, requestsB) * pooled >= 5) return { z, pValue: upperTail(z), method: 'z' };
  const share = requestsA / (requestsA + requestsB);
  return { z, pValue: binomialUpperTail(errorsA + errorsB, share, errorsA), method: 'exact' };
}

/** P(X ≥ k) for X ~ Binomial(n, p), summed in log space. */
export function binomialUpperTail(n: number, p: number, k: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  let logTerm = logChoose(n, k) + k * Math.log(p) + (n - k) * Math.log1p(-p);
  let total = 0;
  for (let x = k; x <= n; x++) {
    total += Math.exp(logTerm);
    logTerm += Math.log((n - x) / (x + 1)) + Math.log(p) - Math.log1p(-p);
  }
  return Math.min(1, total);
}

function logChoose(n: number, k: number): number {
  let sum = 0;
  for (let index = 1; index <= k; index++) sum += Math.log((n - k + index) / index);
  return sum;
}

export interface Guardrails {
  /** Percent of 5xx over requests above which the new colour fails, whatever the baseline. */
  maxErrorRatePercent: number;
  maxP95Ms: number;
  maxP99Ms?: number;
}

export interface Comparison {
  /** Significance level over all looks; each look uses alpha / looks (Bonferroni). */
  alpha: number;
  looks: number;
  /** Percentage points the new colour's error rate may exceed the baseline's before a significant rise fails. */
  maxErrorIncreasePp: number;
  /** Milliseconds the new colour's p95 may exceed the baseline's. */
  maxLatencyIncreaseMs: number;
}

export interface MetricJudgement {
  /** `no-data`: no request in the judged periods, so the metrics say nothing. */
  verdict: 'passed' | 'failed' | 'no-data';
  reasons: string[];
  /** The comparison in numbers, for the summary ("green 2.10 % vs blue 0.20 %, +1.90 pp, p = 3.0e-6"). */
  comparison?: string;
  pValue?: number;
}

export function formatPercent(value: number): string {
  return `${(Math.round(value * 100) / 100).toFixed(2)} %`;
}

function formatP(pValue: number): string {
  return pValue >= 0.001 ? pValue.toFixed(3) : pValue.toExponential(1);
}

/**
 * Judges the new colour (`canary`) over complete periods: guardrails first, then, when the baseline
 * served requests over the same periods, the comparison with it.
 */
export function judgeMetrics(
  canary: { color: Color; aggregate: Aggregate; label?: string },
  baseline: { color: Color; aggregate: Aggregate; label?: string } | undefined,
  guardrails: Guardrails,
  comparison: Comparison,
): MetricJudgement {
  const a = canary.aggregate;
  const canaryName = canary.label ?? canary.color;
  if (a.requests === 0)
    return {
      verdict: 'no-data',
      reasons: [
        `no request reached ${canaryName} in ${a.periods} complete period${a.periods === 1 ? '' : 's'}`,
      ],
    };
  const reasons: string[] = [];
  if (a.errorRatePercent! > guardrails.maxErrorRatePercent)
    reasons.push(
      `error rate ${formatPercent(a.errorRatePercent!)} > ${guardrails.maxErrorRatePercent} % (${a.errors} of ${a.requests} requests)`,
    );
  if (a.p95Ms !== undefined && a.p95Ms > guardrails.maxP95Ms)
    reasons.push(`p95 latency ${Math.round(a.p95Ms)} ms > ${guardrails.maxP95Ms} ms`);
  if (guardrails.maxP99Ms !== undefined && a.p99Ms !== undefined && a.p99Ms > guardrails.maxP99Ms)
    reasons.push(`p99 latency ${Math.round(a.p99Ms)} ms > ${guardrails.maxP99Ms} ms`);
  const unjudged =
    a.p95Ms === undefined && a.p95TooFewRequests
      ? `p95 not judged: fewer than ${MIN_REQUESTS_FOR.p95} requests on ${canaryName} in every period`
      : undefined;
  const b = baseline?.aggregate;
  if (!baseline || !b || b.requests === 0)
    return { verdict: reasons.length > 0 ? 'failed' : 'passed', reasons, comparison: unjudged };
  const label = baseline.label ?? baseline.color;
  const increase = a.errorRatePercent! - b.errorRatePercent!;
  const { pValue } = twoProportionTest(a.errors, a.requests, b.errors, b.requests);
  const alphaPerLook = comparison.alpha / Math.max(1, comparison.looks);
  const text =
    `${canaryName} ${formatPercent(a.errorRatePercent!)} vs ${label} ${formatPercent(b.errorRatePercent!)}, ` +
    `${increase >= 0 ? '+' : ''}${increase.toFixed(2)} pp, p = ${formatP(pValue)}`;
  if (pValue < alphaPerLook && increase > comparison.maxErrorIncreasePp)
    reasons.push(
      `error rate rose against ${label}: ${text} (p < ${formatP(alphaPerLook)} and more than +${comparison.maxErrorIncreasePp} pp)`,
    );
  let latencyText = unjudged ? `; ${unjudged}` : '';
  if (a.p95Ms !== undefined && b.p95Ms !== undefined) {
    const shift = a.p95Ms - b.p95Ms;
    latencyText = `; p95 ${Math.round(a.p95Ms)} ms vs ${Math.round(b.p95Ms)} ms`;
    if (shift > comparison.maxLatencyIncreaseMs)
      reasons.push(
        `p95 latency rose against ${label}: ${Math.round(a.p95Ms)} ms vs ${Math.round(b.p95Ms)} ms, +${Math.round(shift)} ms > ${comparison.maxLatencyIncreaseMs} ms`,
      );
  }
  return {
    verdict: reasons.length > 0 ? 'failed' : 'passed',
    reasons,
    comparison: text + latencyText,
    pValue,
  };
}
