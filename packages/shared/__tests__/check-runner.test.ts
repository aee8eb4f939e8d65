import { describe, expect, it } from '@jest/globals';
import { fakeClock } from '../testing/fake-clock.js';
import { parseChecks } from '../src/checks/checks.js';
import { ConnectionError, type HttpResponse } from '../src/checks/http.js';
import { backoffMs, runCheck, runChecks, type RunOptions } from '../src/checks/runner.js';

const checks = (yaml: string) =>
  parseChecks(yaml, 'checks', { baseUrl: 'http://127.0.0.1:1', vars: new Map() });
const ok: HttpResponse = { status: 200, headers: {}, body: '', latencyMs: 5 };

function options(responses: (HttpResponse | Error)[], overrides: Partial<RunOptions> = {}) {
  const clock = fakeClock();
  let index = 0;
  const sent: string[] = [];
  const opts: RunOptions = {
    requestTimeoutMs: 1000,
    retries: 3,
    retryOnStatus: [429, 502, 503, 504],
    retryOnAssertion: false,
    failFast: false,
    concurrency: 1,
    clock,
    random: () => 0.5,
    send: async (request) => {
      sent.push(request.url);
      const next = responses[Math.min(index++, responses.length - 1)]!;
      if (next instanceof Error) throw next;
      return next;
    },
    log: () => undefined,
    ...overrides,
  };
  return { opts, clock, sent };
}

describe('runCheck', () => {
  it('retries 503 twice and passes on the third attempt, waiting with full jitter', async () => {
    const { opts, clock } = options([{ ...ok, status: 503 }, { ...ok, status: 503 }, ok]);
    const result = await runCheck(checks('- name: a\n  path: /')[0]!, opts, clock.now() + 60_000);
    expect(result).toMatchObject({ passed: true, attempts: 3 });
    expect(clock.sleeps).toEqual([125, 250]);
  });

  it('honours Retry-After when it asks for longer than the backoff', async () => {
    const { opts, clock } = options([{ ...ok, status: 429, headers: { 'retry-after': '3' } }, ok]);
    const result = await runCheck(checks('- name: a\n  path: /')[0]!, opts, clock.now() + 60_000);
    expect(result.passed).toBe(true);
    expect(clock.sleeps).toEqual([3000]);
  });

  it('retries connection errors, and stops when the retries are spent', async () => {
    const { opts, clock } = options([new ConnectionError('ECONNREFUSED: connect')]);
    const result = await runCheck(checks('- name: a\n  path: /')[0]!, opts, clock.now() + 60_000);
    expect(result).toMatchObject({ passed: false, attempts: 4, error: 'ECONNREFUSED: connect' });
  });

  it('does not retry a failed assertion unless asked to', async () => {
    const wrong = { ...ok, status: 404 };
    const once = options([wrong, ok]);
    expect(
      (await runCheck(checks('- name: a\n  path: /')[0]!, once.opts, once.clock.now() + 60_000)).attempts,
    ).toBe(1);
    const again = options([wrong, ok], { retryOnAssertion: true });
    expect(
      await runCheck(checks('- name: a\n  path: /')[0]!, again.opts, again.clock.now() + 60_000),
    ).toMatchObject({ passed: true, attempts: 2 });
  });

  it('gives up at the overall deadline, saying so', async () => {
    const { opts, clock } = options([{ ...ok, status: 503, headers: { 'retry-after': '30' } }]);
    const result = await runCheck(checks('- name: a\n  path: /')[0]!, opts, clock.now() + 10_000, true);
    expect(result.passed).toBe(false);
    expect(result.failures.at(-1)).toEqual({
      assertion: 'timeout',
      expected: 'a pass before the overall timeout',
      actual: 'gave up after 1 attempts',
    });
  });

  it('judges p95 over repeated samples', async () => {
    const latencies = [10, 12, 11, 300, 13, 12, 11, 10, 12, 14].map((latencyMs) => ({ ...ok, latencyMs }));
    const { opts, clock } = options(latencies);
    const result = await runCheck(
      checks('- name: a\n  path: /\n  samples: 10\n  expect: { p95: 100ms }')[0]!,
      opts,
      clock.now() + 60_000,
    );
    expect(result.passed).toBe(false);
    expect(result.failures).toEqual([
      { assertion: 'p95', expected: '≤ 100 ms over 10 samples', actual: '300 ms' },
    ]);
  });
});

describe('runChecks', () => {
  it('skips the checks after the first failure with fail-fast', async () => {
    const { opts, clock } = options([{ ...ok, status: 404 }, ok, ok], { failFast: true });
    const results = await runChecks(
      checks('- name: a\n  path: /a\n- name: b\n  path: /b\n- name: c\n  path: /c'),
      opts,
      clock.now() + 60_000,
    );
    expect(results.map((result) => [result.check.name, result.passed, result.skipped ?? false])).toEqual([
      ['a', false, false],
      ['b', false, true],
      ['c', false, true],
    ]);
  });
  it('runs every check without fail-fast', async () => {
    const { opts, clock, sent } = options([{ ...ok, status: 404 }, ok, ok]);
    const results = await runChecks(
      checks('- name: a\n  path: /a\n- name: b\n  path: /b\n- name: c\n  path: /c'),
      opts,
      clock.now() + 60_000,
    );
    expect(results.map((result) => result.passed)).toEqual([false, true, true]);
    expect(sent).toHaveLength(3);
  });
});

describe('backoffMs', () => {
  it('draws between 0 and base·2^attempt, capped at 10 s', () => {
    expect(backoffMs(0, () => 0.999)).toBe(249);
    expect(backoffMs(3, () => 0.5)).toBe(1000);
    expect(backoffMs(20, () => 0.999)).toBe(9990);
    expect(backoffMs(5, () => 0)).toBe(0);
  });
});
