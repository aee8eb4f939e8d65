/** Judging a response against a check's expectations: pure, one message per failed assertion. */
import type { Expectations, JsonMatcher, StatusMatcher, TextMatcher } from './checks.js';
import { queryJsonPath } from './jsonpath.js';
import type { HttpResponse } from './http.js';

export interface Failure {
  assertion: string;
  expected: string;
  actual: string;
}

export function judgeResponse(expect: Expectations, response: HttpResponse): Failure[] {
  const failures: Failure[] = [];
  if (response.bodyCutAtBytes !== undefined)
    failures.push({
      assertion: 'body-size',
      expected: `a body of at most ${response.bodyCutAtBytes} bytes`,
      actual: 'a longer one (cut there, not read further)',
    });
  if (!statusMatches(expect.status, response.status)) {
    failures.push({
      assertion: 'status',
      expected: describeStatus(expect.status),
      actual: String(response.status),
    });
  }
  for (const { name, matcher } of expect.headers) {
    const raw = response.headers[name];
    const value = Array.isArray(raw) ? raw.join(', ') : raw;
    const failure = judgeText(matcher, value);
    if (failure) failures.push({ assertion: `header ${name}`, ...failure });
  }
  if (expect.body) {
    const failure = judgeText(expect.body, response.body);
    if (failure)
      failures.push({ assertion: 'body', expected: failure.expected, actual: truncate(response.body, 200) });
  }
  if (expect.json.length > 0) {
    const json = judgeJsonBody(expect.json, response.body);
    failures.push(...json);
    if (json[0]?.assertion === 'json') return failures;
  }
  if (expect.maxLatencyMs !== undefined && response.latencyMs > expect.maxLatencyMs) {
    failures.push({
      assertion: 'max-latency',
      expected: `≤ ${expect.maxLatencyMs} ms`,
      actual: `${response.latencyMs} ms`,
    });
  }
  if (expect.tlsDaysLeft !== undefined) {
    if (response.tlsDaysLeft === undefined)
      failures.push({
        assertion: 'tls-days-left',
        expected: `≥ ${expect.tlsDaysLeft} days`,
        actual: 'no certificate',
      });
    else if (response.tlsDaysLeft < expect.tlsDaysLeft)
      failures.push({
        assertion: 'tls-days-left',
        expected: `≥ ${expect.tlsDaysLeft} days`,
        actual: `${response.tlsDaysLeft} days`,
      });
  }
  return failures;
}

/** p95 over the latencies of repeated samples (nearest rank). */
export function p95(latencies: number[]): number {
  const sorted = [...latencies].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(0.95 * sorted.length) - 1)] ?? 0;
}

/** The JSON matchers against the body; a body that is not JSON is one failure. */
function judgeJsonBody(matchers: JsonMatcher[], body: string): Failure[] {
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    return [{ assertion: 'json', expected: 'a JSON body', actual: truncate(body, 200) || '(empty body)' }];
  }
  const failures: Failure[] = [];
  for (const matcher of matchers) {
    const failure = judgeJson(matcher, queryJsonPath(document, matcher.segments));
    if (failure) failures.push({ assertion: `json ${matcher.path}`, ...failure });
  }
  return failures;
}

function statusMatches(matcher: StatusMatcher, status: number): boolean {
  const hit = matcher.codes.includes(status) || matcher.ranges.includes(Math.floor(status / 100));
  return matcher.not ? !hit : hit;
}

function describeStatus(matcher: StatusMatcher): string {
  const parts = [...matcher.codes.map(String), ...matcher.ranges.map((range) => `${range}xx`)];
  return `${matcher.not ? 'not ' : ''}${parts.join(' or ')}`;
}

function judgeText(
  matcher: TextMatcher,
  value: string | undefined,
): { expected: string; actual: string } | undefined {
  const checks: [boolean, string][] = [];
  if (matcher.exists !== undefined)
    checks.push([(value !== undefined) === matcher.exists, matcher.exists ? 'present' : 'absent']);
  if (matcher.equals !== undefined) checks.push([value === matcher.equals, `equal to '${matcher.equals}'`]);
  if (matcher.contains !== undefined)
    checks.push([
      value !== undefined && value.includes(matcher.contains),
      `containing '${matcher.contains}'`,
    ]);
  if (matcher.matches !== undefined)
    checks.push([value !== undefined && matcher.matches.test(value), `matching /${matcher.matches.source}/`]);
  return verdict(checks, matcher.not, value === undefined ? '(absent)' : truncate(value, 200));
}

function judgeJson(matcher: JsonMatcher, found: unknown[]): { expected: string; actual: string } | undefined {
  const first = found[0];
  const checks: [boolean, string][] = [];
  if (matcher.exists !== undefined)
    checks.push([found.length > 0 === matcher.exists, matcher.exists ? 'present' : 'absent']);
  if ('equals' in matcher)
    checks.push([
      found.length > 0 && deepEqual(first, matcher.equals),
      `equal to ${JSON.stringify(matcher.equals)}`,
    ]);
  if ('contains' in matcher) {
    const contains =
      typeof first === 'string'
        ? first.includes(String(matcher.contains))
        : Array.isArray(first)
          ? first.some((item) => deepEqual(item, matcher.contains))
          : false;
    checks.push([contains, `containing ${JSON.stringify(matcher.contains)}`]);
  }
  if (matcher.matches)
    checks.push([
      typeof first === 'string' && matcher.matches.test(first),
      `matching /${matcher.matches.source}/`,
    ]);
  if (matcher.type)
    checks.push([found.length > 0 && typeOf(first) === matcher.type, `of type ${matcher.type}`]);
  if (matcher.count) {
    const count = found.length === 1 && Array.isArray(first) ? first.length : found.length;
    const bounds = matcher.count;
    const ok =
      (bounds.eq === undefined || count === bounds.eq) &&
      (bounds.gt === undefined || count > bounds.gt) &&
      (bounds.gte === undefined || count >= bounds.gte) &&
      (bounds.lt === undefined || count < bounds.lt) &&
      (bounds.lte === undefined || count <= bounds.lte);
    checks.push([
      ok,
      `a count ${Object.entries(bounds)
        .map(([key, value]) => `${key} ${value}`)
        .join(', ')} (got ${count})`,
    ]);
  }
  return verdict(
    checks,
    matcher.not,
    found.length === 0 ? '(no match)' : truncate(JSON.stringify(first), 200),
  );
}

function verdict(
  checks: [boolean, string][],
  not: boolean,
  actual: string,
): { expected: string; actual: string } | undefined {
  if (checks.length === 0) return undefined;
  const allPass = checks.every(([ok]) => ok);
  if (not ? !allPass : allPass) return undefined;
  return { expected: `${not ? 'not ' : ''}${checks.map(([, text]) => text).join(' and ')}`, actual };
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function truncate(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit)}… (${text.length - limit} more characters)`;
}
