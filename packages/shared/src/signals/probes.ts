/** The probe provider: every probe check once per round, bounded by the round's deadline; no retries (rounds are the retries). */
import type { Check } from '../checks/checks.js';
import type { HttpRequest, HttpResponse } from '../checks/http.js';
import { runCheck, type CheckResult } from '../checks/runner.js';
import type { Clock } from '../clock.js';
import type { Measurement } from './judge.js';

export interface ProbeRound extends Measurement {
  at: number;
  passed: boolean;
  results: { name: string; passed: boolean; detail: string }[];
}

export interface ProbeOptions {
  /** Every request of the round, whole (connect, headers, body), within this. */
  requestTimeoutMs: number;
  clock: Clock;
  send: (request: HttpRequest, timeoutMs: number) => Promise<HttpResponse>;
}

/** A check that wants a 2xx or 3xx answer from `url`, as `probe-url` means in both actions. */
export function probeUrlCheck(url: string): Check {
  return {
    name: url,
    method: 'GET',
    url,
    headers: { 'user-agent': 'mpac-actions-probe' },
    secretHeaders: new Set(),
    samples: 1,
    expect: { status: { codes: [], ranges: [2, 3], not: false }, headers: [], json: [] },
  };
}

export async function runProbeRound(probes: Check[], options: ProbeOptions): Promise<ProbeRound> {
  const at = options.clock.now();
  const results: CheckResult[] = [];
  for (const check of probes) {
    results.push(
      await runCheck(
        check,
        {
          ...options,
          random: Math.random,
          log: () => undefined,
          retries: 0,
          failFast: false,
          concurrency: 1,
          retryOnStatus: [],
          retryOnAssertion: false,
        },
        at + options.requestTimeoutMs,
      ),
    );
  }
  const entries = results.map((result) => ({
    name: result.check.name,
    passed: result.passed,
    detail: result.passed
      ? `${result.response?.status} in ${result.response?.latencyMs} ms`
      : result.failures[0]
        ? `${result.failures[0].assertion} expected ${result.failures[0].expected}, got ${result.failures[0].actual}`
        : (result.error ?? 'no answer'),
  }));
  const failed = entries.filter((entry) => !entry.passed);
  return {
    at,
    passed: failed.length === 0,
    results: entries,
    signal: 'probes',
    verdict: failed.length === 0 ? 'pass' : 'fail',
    evidence: entries.length,
    reason:
      failed.length === 0
        ? `${entries.length} probe(s) passed`
        : `probe ${failed.map((entry) => `${entry.name} ${entry.detail}`).join('; ')}`,
  };
}
