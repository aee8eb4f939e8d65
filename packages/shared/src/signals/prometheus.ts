/**
 * The Prometheus provider: each query through the HTTP API (`/api/v1/query`), every series judged
 * against the threshold as its value comes: `+Inf` is above every threshold (histogram_quantile
 * says so when the quantile lies above the top bucket: the worst latency there is), `NaN` and an
 * empty answer are no data, with the reason; a slow or huge answer is cut by the read's deadline.
 */
import { ConnectionError, type HttpRequest, type HttpResponse } from '../checks/http.js';
import type { Measurement } from './judge.js';

export const PROMETHEUS_AGGREGATIONS = ['each', 'max', 'min', 'sum', 'avg'] as const;

export interface PrometheusQuery {
  name: string;
  /** PromQL; `{{color}}` is replaced by the colour watched. */
  query: string;
  threshold: number;
  /** The query fails when a value is `above` (default) or `below` the threshold. */
  direction: 'above' | 'below';
  /** `each` (default): every series is judged; or one value from all series. */
  aggregate: (typeof PROMETHEUS_AGGREGATIONS)[number];
}

export interface PrometheusReading extends Measurement {
  name: string;
  /** The value judged (the worst series with `each`); undefined without data. */
  value?: number;
  /** Series that failed, by their labels. */
  failedSeries: string[];
}

export interface PrometheusOptions {
  token?: string;
  send: (request: HttpRequest, timeoutMs: number) => Promise<HttpResponse>;
  /** The whole exchange, answer included. */
  timeoutMs: number;
}

interface Series {
  labels: string;
  value: number;
}

/** Runs every query (`{{color}}` replaced) and judges it; one reading per query. */
export async function measurePrometheus(
  url: string,
  queries: PrometheusQuery[],
  color: string,
  options: PrometheusOptions,
): Promise<PrometheusReading[]> {
  const readings: PrometheusReading[] = [];
  for (const query of queries) readings.push(await measureQuery(url, query, color, options));
  return readings;
}

async function measureQuery(
  url: string,
  query: PrometheusQuery,
  color: string,
  options: PrometheusOptions,
): Promise<PrometheusReading> {
  const noData = (why: string): PrometheusReading => ({
    signal: `prometheus ${query.name}`,
    name: query.name,
    verdict: 'inconclusive',
    evidence: 0,
    reason: `prometheus ${query.name}: ${why}`,
    failedSeries: [],
  });
  const promql = query.query.replaceAll('{{color}}', color);
  let series: Series[];
  try {
    series = await fetchSeries(
      `${url.replace(/\/$/, '')}/api/v1/query?query=${encodeURIComponent(promql)}`,
      options,
    );
  } catch (error) {
    return noData(error instanceof Error ? error.message : String(error));
  }
  if (series.length === 0) return noData('no series (an empty answer is no data)');
  const numbers = series.filter((entry) => !Number.isNaN(entry.value));
  if (numbers.length === 0) return noData(`NaN in all ${series.length} series (0/0: nothing to measure)`);
  return judgeSeries(query, numbers, series.length - numbers.length);
}

/** The series of an instant query's answer; an answer Prometheus did not give whole is an error. */
async function fetchSeries(target: string, options: PrometheusOptions): Promise<Series[]> {
  let response: HttpResponse;
  try {
    response = await options.send(
      {
        method: 'GET',
        url: target,
        headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
      },
      options.timeoutMs,
    );
  } catch (error) {
    throw new Error(`query failed: ${error instanceof ConnectionError ? error.message : String(error)}`, {
      cause: error,
    });
  }
  if (response.bodyCutAtBytes !== undefined)
    throw new Error(`answer longer than ${response.bodyCutAtBytes} bytes, cut`);
  if (response.status !== 200) throw new Error(`Prometheus answered ${response.status}`);
  let body: { data?: { resultType?: string; result?: unknown } };
  try {
    body = JSON.parse(response.body) as typeof body;
  } catch {
    throw new Error('the answer is not JSON');
  }
  const result = body.data?.result;
  if (body.data?.resultType === 'scalar') return [{ labels: 'scalar', value: sampleValue(result) }];
  if (!Array.isArray(result)) return [];
  return result.map((entry: { metric?: Record<string, string>; value?: unknown }) => ({
    labels: formatLabels(entry.metric ?? {}),
    value: sampleValue(entry.value),
  }));
}

/** Prometheus writes sample values as strings: `"0.25"`, `"+Inf"`, `"-Inf"`, `"NaN"`. */
export function sampleValue(sample: unknown): number {
  const text = Array.isArray(sample) ? String(sample[1]) : '';
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  const value = Number(text);
  return text === '' ? Number.NaN : value;
}

function formatLabels(metric: Record<string, string>): string {
  const pairs = Object.entries(metric).map(([key, value]) => `${key}="${value}"`);
  return pairs.length ? `{${pairs.join(',')}}` : '{}';
}

const COMBINE: Record<Exclude<PrometheusQuery['aggregate'], 'each'>, (values: number[]) => number> = {
  max: (values) => Math.max(...values),
  min: (values) => Math.min(...values),
  sum: (values) => values.reduce((total, value) => total + value, 0),
  avg: (values) => values.reduce((total, value) => total + value, 0) / values.length,
};

function judgeSeries(query: PrometheusQuery, series: Series[], nanSeries: number): PrometheusReading {
  const breaks = (value: number) =>
    query.direction === 'above' ? value > query.threshold : value < query.threshold;
  const limit = `${query.direction === 'above' ? 'max' : 'min'} ${query.threshold}`;
  const judged =
    query.aggregate === 'each'
      ? series
      : [
          {
            labels: `${query.aggregate} of ${series.length} series`,
            value: COMBINE[query.aggregate](series.map((entry) => entry.value)),
          },
        ];
  const failed = judged.filter((entry) => breaks(entry.value));
  const worst = judged.reduce((a, b) =>
    query.direction === 'above' ? (b.value > a.value ? b : a) : b.value < a.value ? b : a,
  );
  const shown = (entry: Series) =>
    `${judged.length > 1 || query.aggregate !== 'each' ? `${entry.labels} ` : ''}${formatValue(entry.value)}`;
  const skipped = nanSeries > 0 ? `; ${nanSeries} NaN series not judged` : '';
  return {
    signal: `prometheus ${query.name}`,
    name: query.name,
    value: worst.value,
    verdict: failed.length > 0 ? 'fail' : 'pass',
    evidence: judged.length,
    failedSeries: failed.map((entry) => entry.labels),
    reason:
      failed.length > 0
        ? `prometheus ${query.name} = ${failed.map(shown).join(', ')} (${limit})${skipped}`
        : `prometheus ${query.name} = ${shown(worst)} (${limit})${skipped}`,
  };
}

function formatValue(value: number): string {
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(Math.round(value * 1000) / 1000);
}
