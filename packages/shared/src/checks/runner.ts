/** Running checks: retries with full-jitter backoff and Retry-After, an overall deadline, concurrency. */
import type { Clock } from '../clock.js';
import { judgeResponse, p95, type Failure } from './assertions.js';
import type { Check } from './checks.js';
import { ConnectionError, retryAfterMs, type HttpRequest, type HttpResponse } from './http.js';

export interface RunOptions {
  requestTimeoutMs: number;
  retries: number;
  retryOnStatus: number[];
  retryOnAssertion: boolean;
  failFast: boolean;
  concurrency: number;
  clock: Clock;
  random: () => number;
  send: (request: HttpRequest, timeoutMs: number) => Promise<HttpResponse>;
  log: (line: string) => void;
}

export interface CheckResult {
  check: Check;
  passed: boolean;
  attempts: number;
  failures: Failure[];
  /** The last response, when there was one. */
  response?: HttpResponse;
  /** The last connection error, when the last attempt got no response. */
  error?: string;
  p95Ms?: number;
  skipped?: boolean;
}

const BACKOFF_BASE_MS = 250;
const BACKOFF_CAP_MS = 10_000;

/** Full jitter: a random wait between 0 and base·2^attempt (capped). */
export function backoffMs(attempt: number, random: () => number): number {
  return Math.floor(random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt));
}

interface Attempt {
  failures: Failure[];
  response?: HttpResponse;
  error?: string;
  p95Ms?: number;
  retryable: boolean;
  retryAfter?: number;
}

async function attemptOnce(check: Check, options: RunOptions, deadline: number): Promise<Attempt> {
  const latencies: number[] = [];
  let response: HttpResponse | undefined;
  for (let sample = 0; sample < check.samples; sample++) {
    const timeoutMs = Math.max(1, Math.min(options.requestTimeoutMs, deadline - options.clock.now()));
    try {
      response = await options.send(
        { method: check.method, url: check.url, headers: check.headers, body: check.body },
        timeoutMs,
      );
    } catch (error) {
      if (!(error instanceof ConnectionError)) throw error;
      return {
        failures: [{ assertion: 'connection', expected: 'a response', actual: error.message }],
        error: error.message,
        retryable: true,
      };
    }
    latencies.push(response.latencyMs);
    const failures = judgeResponse(check.expect, response);
    if (failures.length > 0) {
      const statusRetryable = options.retryOnStatus.includes(response.status);
      return {
        failures,
        response,
        retryable: statusRetryable || options.retryOnAssertion,
        retryAfter: statusRetryable ? retryAfterMs(response.headers, options.clock.now()) : undefined,
      };
    }
  }
  const observedP95 = check.samples > 1 ? p95(latencies) : undefined;
  if (check.expect.p95Ms !== undefined && observedP95 !== undefined && observedP95 > check.expect.p95Ms) {
    return {
      failures: [
        {
          assertion: 'p95',
          expected: `≤ ${check.expect.p95Ms} ms over ${check.samples} samples`,
          actual: `${observedP95} ms`,
        },
      ],
      response,
      p95Ms: observedP95,
      retryable: options.retryOnAssertion,
    };
  }
  return { failures: [], response, p95Ms: observedP95, retryable: false };
}

/**
 * Runs one check with retries until it passes, its retries are spent, or the deadline comes.
 * `unlimited` (for wait-for) keeps retrying until the deadline.
 */
export async function runCheck(
  check: Check,
  options: RunOptions,
  deadline: number,
  unlimited = false,
): Promise<CheckResult> {
  let attempts = 0;
  for (;;) {
    attempts++;
    const attempt = await attemptOnce(check, options, deadline);
    const result: CheckResult = {
      check,
      passed: attempt.failures.length === 0,
      attempts,
      failures: attempt.failures,
      response: attempt.response,
      error: attempt.error,
      p95Ms: attempt.p95Ms,
    };
    if (result.passed) return result;
    // wait-for polls until the deadline whatever failed: an old version answering is expected there.
    const retriesLeft = unlimited || attempts <= options.retries;
    if (!(attempt.retryable || unlimited) || !retriesLeft) return result;
    const wait = Math.max(attempt.retryAfter ?? 0, backoffMs(Math.min(attempts - 1, 10), options.random));
    if (options.clock.now() + wait >= deadline) {
      result.failures = [
        ...result.failures,
        {
          assertion: 'timeout',
          expected: 'a pass before the overall timeout',
          actual: `gave up after ${attempts} attempts`,
        },
      ];
      return result;
    }
    options.log(
      `${check.name}: attempt ${attempts} failed (${attempt.failures[0]!.assertion}: ${attempt.failures[0]!.actual}); retrying in ${wait} ms`,
    );
    await options.clock.sleep(wait);
  }
}

/** Runs the checks, `concurrency` at a time; with fail-fast, checks not started after a failure are skipped. */
export async function runChecks(
  checks: Check[],
  options: RunOptions,
  deadline: number,
): Promise<CheckResult[]> {
  const results: CheckResult[] = new Array(checks.length);
  let next = 0;
  let stop = false;
  const worker = async () => {
    while (next < checks.length) {
      const index = next++;
      const check = checks[index]!;
      if (stop) {
        results[index] = { check, passed: false, attempts: 0, failures: [], skipped: true };
        continue;
      }
      results[index] = await runCheck(check, options, deadline);
      if (!results[index].passed && options.failFast) stop = true;
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, checks.length) }, worker));
  return results;
}
