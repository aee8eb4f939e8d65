/** CloudWatch's metric store at 1-second resolution, and GetMetricData's arithmetic. */
import { AwsError } from './errors.js';

export interface Dimension {
  Name: string;
  Value: string;
}

interface Bucket {
  sum: number;
  count: number;
  min: number;
  max: number;
  values: number[];
}

const MAX_SAMPLES_PER_SECOND = 20_000;

export interface MetricStatQuery {
  namespace: string;
  metricName: string;
  dimensions: Dimension[];
  periodSeconds: number;
  stat: string;
}

export interface Series {
  /** Epoch seconds of each period's start, ascending. */
  timestamps: number[];
  values: number[];
}

export function seriesKey(namespace: string, metricName: string, dimensions: Dimension[]): string {
  const dims = [...dimensions]
    .sort((a, b) => a.Name.localeCompare(b.Name))
    .map((dimension) => `${dimension.Name}=${dimension.Value}`)
    .join(',');
  return `${namespace}|${metricName}|${dims}`;
}

/**
 * How CloudWatch publishes: data is aggregated per `periodSeconds` (ALB metrics: 60), and a period
 * becomes visible only `publicationDelayMs` after it ends (ALB: one to three minutes). The twin's
 * default is idealised (1 s, at once); tests use a scaled faithful one (1 s, 3 s late).
 */
export interface MetricsProfile {
  periodSeconds: number;
  publicationDelayMs: number;
  /** Publish a period only once it has ended (false: the idealised profile shows the current second). */
  wholePeriods: boolean;
}

export class MetricStore {
  private readonly series = new Map<string, Map<number, Bucket>>();

  constructor(
    private readonly now: () => number,
    public profile: MetricsProfile = { periodSeconds: 1, publicationDelayMs: 0, wholePeriods: false },
  ) {}

  /** Every series stored, as ListMetrics shows them. */
  list(): { namespace: string; metricName: string; dimensions: Dimension[] }[] {
    return [...this.series.keys()].map((key) => {
      const [namespace, metricName, dims] = key.split('|') as [string, string, string];
      return {
        namespace,
        metricName,
        dimensions: dims
          ? dims.split(',').map((pair) => {
              const at = pair.indexOf('=');
              return { Name: pair.slice(0, at), Value: pair.slice(at + 1) };
            })
          : [],
      };
    });
  }

  /** Adds one sample (a request's latency, a count of 1) at `atMs`. */
  put(
    namespace: string,
    metricName: string,
    dimensions: Dimension[],
    value: number,
    atMs = this.now(),
  ): void {
    this.putStatistics(
      namespace,
      metricName,
      dimensions,
      { sum: value, count: 1, min: value, max: value },
      atMs,
      [value],
    );
  }

  putStatistics(
    namespace: string,
    metricName: string,
    dimensions: Dimension[],
    stats: { sum: number; count: number; min: number; max: number },
    atMs: number,
    samples: number[] = [],
  ): void {
    const key = seriesKey(namespace, metricName, dimensions);
    let buckets = this.series.get(key);
    if (!buckets) this.series.set(key, (buckets = new Map()));
    const second = Math.floor(atMs / 1000);
    const bucket = buckets.get(second);
    if (!bucket) {
      buckets.set(second, { ...stats, values: samples.slice(0, MAX_SAMPLES_PER_SECOND) });
      return;
    }
    bucket.sum += stats.sum;
    bucket.count += stats.count;
    bucket.min = Math.min(bucket.min, stats.min);
    bucket.max = Math.max(bucket.max, stats.max);
    for (const sample of samples)
      if (bucket.values.length < MAX_SAMPLES_PER_SECOND) bucket.values.push(sample);
  }

  /**
   * One statistic per period between start (inclusive) and end (exclusive); periods without data are
   * absent. A period that is not a multiple of the native one gets no datapoints, and data shows
   * only once its native period is complete and published.
   */
  query(query: MetricStatQuery, startMs: number, endMs: number): Series {
    const buckets = this.series.get(seriesKey(query.namespace, query.metricName, query.dimensions));
    const native = this.profile.periodSeconds;
    if (!buckets || query.periodSeconds % native !== 0) return { timestamps: [], values: [] };
    const publishedUntil = this.now() - this.profile.publicationDelayMs;
    const grouped = new Map<number, Bucket[]>();
    for (const [second, bucket] of buckets) {
      const ms = second * 1000;
      const visibleFrom = this.profile.wholePeriods ? (Math.floor(second / native) + 1) * native * 1000 : ms;
      if (ms < startMs || ms >= endMs || visibleFrom > publishedUntil) continue;
      const periodStart = Math.floor(second / query.periodSeconds) * query.periodSeconds;
      const list = grouped.get(periodStart) ?? [];
      list.push(bucket);
      grouped.set(periodStart, list);
    }
    const timestamps = [...grouped.keys()].sort((a, b) => a - b);
    return {
      timestamps,
      values: timestamps.map((timestamp) => statistic(query.stat, grouped.get(timestamp)!)),
    };
  }
}

const PERCENTILE = /^p(\d{1,2}(\.\d+)?|100)$/;

export function isSupportedStatistic(stat: string): boolean {
  return ['Sum', 'Average', 'SampleCount', 'Maximum', 'Minimum'].includes(stat) || PERCENTILE.test(stat);
}

function statistic(stat: string, buckets: Bucket[]): number {
  const sum = buckets.reduce((total, bucket) => total + bucket.sum, 0);
  const count = buckets.reduce((total, bucket) => total + bucket.count, 0);
  switch (stat) {
    case 'Sum':
      return sum;
    case 'SampleCount':
      return count;
    case 'Average':
      return count === 0 ? 0 : sum / count;
    case 'Maximum':
      return Math.max(...buckets.map((bucket) => bucket.max));
    case 'Minimum':
      return Math.min(...buckets.map((bucket) => bucket.min));
  }
  const match = PERCENTILE.exec(stat);
  if (!match) throw new AwsError('InvalidParameterValue', `Unsupported statistic ${stat}`);
  const values = buckets.flatMap((bucket) => bucket.values).sort((a, b) => a - b);
  if (values.length === 0) return 0;
  const rank = Math.ceil((Number(match[1]) / 100) * values.length);
  return values[Math.min(values.length - 1, Math.max(0, rank - 1))]!;
}

// ---- metric math: + - * /, parentheses, numbers, query ids, FILL(series, value) ----

type Node =
  | { kind: 'number'; value: number }
  | { kind: 'id'; id: string }
  | { kind: 'binary'; operator: string; left: Node; right: Node }
  | { kind: 'negate'; operand: Node }
  | { kind: 'call'; name: string; args: Node[] };

export function parseExpression(text: string): Node {
  const tokens = text.match(/\d+(\.\d+)?|[A-Za-z_][A-Za-z0-9_]*|[()+\-*/,]|\S/g) ?? [];
  let position = 0;
  const peek = () => tokens[position];
  const take = () => tokens[position++];
  const fail = (why: string): never => {
    throw new AwsError('ValidationError', `Invalid metric math expression '${text}': ${why}`);
  };
  const expect = (token: string) => {
    if (take() !== token) fail(`expected '${token}'`);
  };
  const expression = (): Node => {
    let node = term();
    while (peek() === '+' || peek() === '-')
      node = { kind: 'binary', operator: take()!, left: node, right: term() };
    return node;
  };
  const term = (): Node => {
    let node = factor();
    while (peek() === '*' || peek() === '/')
      node = { kind: 'binary', operator: take()!, left: node, right: factor() };
    return node;
  };
  const factor = (): Node => {
    const token = take();
    if (token === undefined) return fail('it ends too early');
    if (token === '-') return { kind: 'negate', operand: factor() };
    if (token === '(') {
      const node = expression();
      expect(')');
      return node;
    }
    if (/^\d/.test(token)) return { kind: 'number', value: Number(token) };
    if (/^[A-Za-z_]/.test(token)) {
      if (peek() === '(') {
        take();
        const args: Node[] = [expression()];
        while (peek() === ',') {
          take();
          args.push(expression());
        }
        expect(')');
        return { kind: 'call', name: token.toUpperCase(), args };
      }
      return { kind: 'id', id: token };
    }
    return fail(`unexpected '${token}'`);
  };
  const node = expression();
  if (position < tokens.length) fail(`unexpected '${tokens[position]}'`);
  return node;
}

type Value = number | Map<number, number>;

/**
 * Evaluates an expression over named series. Arithmetic between series keeps the timestamps all
 * operands have, as CloudWatch does; FILL(m, v) first fills `m` to every timestamp in `allTimestamps`.
 */
export function evaluateExpression(node: Node, series: Map<string, Series>, allTimestamps: number[]): Series {
  const toMap = (value: Series): Map<number, number> =>
    new Map(value.timestamps.map((t, i) => [t, value.values[i]!]));
  const evaluate = (current: Node): Value => {
    switch (current.kind) {
      case 'number':
        return current.value;
      case 'id': {
        const found = series.get(current.id);
        if (!found) throw new AwsError('ValidationError', `Metric math refers to unknown id '${current.id}'`);
        return toMap(found);
      }
      case 'negate':
        return combine(evaluate(current.operand), -1, (a, b) => a * b);
      case 'binary':
        return combine(evaluate(current.left), evaluate(current.right), OPERATORS[current.operator]!);
      case 'call': {
        if (current.name !== 'FILL' || current.args.length !== 2) {
          throw new AwsError('ValidationError', `Unsupported metric math function ${current.name}`);
        }
        const base = evaluate(current.args[0]!);
        const fill = evaluate(current.args[1]!);
        if (typeof base === 'number' || typeof fill !== 'number')
          throw new AwsError('ValidationError', 'FILL takes a series and a number');
        return new Map(allTimestamps.map((timestamp) => [timestamp, base.get(timestamp) ?? fill]));
      }
    }
  };
  const result = evaluate(node);
  if (typeof result === 'number')
    return { timestamps: allTimestamps, values: allTimestamps.map(() => result) };
  const timestamps = [...result.keys()]
    .filter((timestamp) => Number.isFinite(result.get(timestamp)))
    .sort((a, b) => a - b);
  return { timestamps, values: timestamps.map((timestamp) => result.get(timestamp)!) };
}

const OPERATORS: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
};

function combine(left: Value, right: Value, operate: (a: number, b: number) => number): Value {
  if (typeof left === 'number' && typeof right === 'number') return operate(left, right);
  if (typeof left === 'number')
    return new Map([...(right as Map<number, number>)].map(([t, v]) => [t, operate(left, v)]));
  if (typeof right === 'number') return new Map([...left].map(([t, v]) => [t, operate(v, right)]));
  const out = new Map<number, number>();
  for (const [timestamp, value] of left) {
    const other = right.get(timestamp);
    if (other !== undefined) out.set(timestamp, operate(value, other));
  }
  return out;
}
