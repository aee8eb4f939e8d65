import { describe, expect, it } from '@jest/globals';
import {
  aggregate,
  completePeriods,
  judgeMetrics,
  twoProportionTest,
  binomialUpperTail,
  upperTail,
  type Aggregate,
} from '../src/signals/analysis.js';

const MINUTE = 60_000;
const guardrails = { maxErrorRatePercent: 5, maxP95Ms: 500 };
const comparison = { alpha: 0.01, looks: 3, maxErrorIncreasePp: 1, maxLatencyIncreaseMs: 100 };
const of = (requests: number, errors: number, p95Ms?: number): Aggregate => ({
  periods: 5,
  requests,
  errors,
  errorRatePercent: requests ? (100 * errors) / requests : undefined,
  p95Ms,
});

describe('complete periods', () => {
  it('takes only periods wholly after the traffic change and published by now', () => {
    // Traffic moved at 10:00:30; it is 10:06:10 and CloudWatch publishes 3 minutes late.
    const from = Date.parse('2026-11-23T10:00:30Z');
    const now = Date.parse('2026-11-23T10:06:10Z');
    const starts = completePeriods({
      fromMs: from,
      untilMs: now,
      nowMs: now,
      periodMs: MINUTE,
      delayMs: 3 * MINUTE,
    });
    expect(starts.map((start) => new Date(start).toISOString().slice(11, 16))).toEqual(['10:01', '10:02']);
  });
  it('is empty while the first period after the change is not yet published (late, not "no data")', () => {
    const from = Date.parse('2026-11-23T10:00:00Z');
    expect(
      completePeriods({
        fromMs: from,
        untilMs: from + 4 * MINUTE,
        nowMs: from + 3 * MINUTE + 59_000,
        periodMs: MINUTE,
        delayMs: 3 * MINUTE,
      }),
    ).toEqual([]);
    expect(
      completePeriods({
        fromMs: from,
        untilMs: from + 4 * MINUTE,
        nowMs: from + 4 * MINUTE,
        periodMs: MINUTE,
        delayMs: 3 * MINUTE,
      }),
    ).toEqual([from]);
  });
  it('stops at the end of the window (the next step moved traffic again)', () => {
    expect(
      completePeriods({ fromMs: 0, untilMs: 2 * MINUTE, nowMs: 10 * MINUTE, periodMs: MINUTE, delayMs: 0 }),
    ).toEqual([0, MINUTE]);
  });
});

describe('aggregate', () => {
  it('counts a missing 5xx point next to a RequestCount point as zero errors', () => {
    const result = aggregate(
      [
        { startMs: 0, requests: 100 },
        { startMs: MINUTE, requests: 100, errors: 3, p95Ms: 120 },
      ],
      [0, MINUTE],
    );
    expect(result).toEqual({
      periods: 2,
      requests: 200,
      errors: 3,
      errorRatePercent: 1.5,
      p95Ms: 120,
      p99Ms: undefined,
    });
  });
  it('treats periods without a RequestCount point as no requests: no data, not 0 %', () => {
    const result = aggregate([], [0, MINUTE, 2 * MINUTE]);
    expect(result).toMatchObject({ periods: 3, requests: 0, errorRatePercent: undefined });
  });
  it('ignores points outside the judged periods and takes the worst period for percentiles', () => {
    const result = aggregate(
      [
        { startMs: 0, requests: 30, p95Ms: 900 },
        { startMs: MINUTE, requests: 30, p95Ms: 200 },
        { startMs: 2 * MINUTE, requests: 30, p95Ms: 300 },
      ],
      [MINUTE, 2 * MINUTE],
    );
    expect(result).toMatchObject({ requests: 60, p95Ms: 300 });
  });
  it('takes a percentile only from periods with enough requests to have one', () => {
    // 4 requests: the "p95" is the slowest of them, one request that waited on a busy host.
    const result = aggregate(
      [
        { startMs: 0, requests: 4, p95Ms: 180, p99Ms: 180 },
        { startMs: MINUTE, requests: 20, p95Ms: 12, p99Ms: 15 },
        { startMs: 2 * MINUTE, requests: 100, p95Ms: 10, p99Ms: 30 },
      ],
      [0, MINUTE, 2 * MINUTE],
    );
    expect(result).toMatchObject({ requests: 124, p95Ms: 12, p99Ms: 30 });
    expect(aggregate([{ startMs: 0, requests: 19, p95Ms: 900 }], [0])).toMatchObject({
      requests: 19,
      p95Ms: undefined,
      p99Ms: undefined,
    });
  });
});

describe('the two-proportion test', () => {
  it('matches the normal distribution at known points', () => {
    expect(upperTail(0)).toBeCloseTo(0.5, 7);
    expect(upperTail(1.6448536)).toBeCloseTo(0.05, 6);
    expect(upperTail(2.3263479)).toBeCloseTo(0.01, 6);
    expect(upperTail(4.7534243) / 1e-6).toBeCloseTo(1, 4);
    expect(upperTail(-1.959964)).toBeCloseTo(0.975, 6);
  });
  it('gives the textbook z for 30/1000 against 10/1000', () => {
    // pooled 0.02, standard error sqrt(0.02 · 0.98 · 0.002) = 0.0062610, z = 0.02 / 0.0062610 = 3.1944
    const { z, pValue } = twoProportionTest(30, 1000, 10, 1000);
    expect(z).toBeCloseTo(3.1944, 3);
    expect(pValue).toBeCloseTo(0.0007, 5);
  });
  it('is one-sided: a lower error rate is never significant', () => {
    expect(twoProportionTest(1, 1000, 30, 1000).pValue).toBeGreaterThan(0.99);
  });
  it('has no evidence without errors or without requests', () => {
    expect(twoProportionTest(0, 1000, 0, 1000).pValue).toBe(1);
    expect(twoProportionTest(5, 0, 0, 1000).pValue).toBe(1);
  });
  it('uses the exact conditional test when errors are too few for the normal approximation', () => {
    // 1 error in 30 against 1 in 570: given 2 errors, P(at least 1 on the 5 % side) = 1 − 0.95² = 0.0975.
    const few = twoProportionTest(1, 30, 1, 570);
    expect(few.method).toBe('exact');
    expect(few.pValue).toBeCloseTo(0.0975, 4);
    expect(twoProportionTest(30, 1000, 10, 1000).method).toBe('z');
    expect(binomialUpperTail(14, 0.05, 6)).toBeCloseTo(3.31e-5, 6);
  });
});

describe('judging the new colour', () => {
  it('says no-data, never passed, when no request reached it', () => {
    expect(
      judgeMetrics({ color: 'green', aggregate: of(0, 0) }, undefined, guardrails, comparison),
    ).toMatchObject({
      verdict: 'no-data',
      reasons: ['no request reached green in 5 complete periods'],
    });
  });
  it('fails a 3 % release against a 0.2 % baseline below the 5 % guardrail, in numbers', () => {
    const judgement = judgeMetrics(
      { color: 'green', aggregate: of(200, 6) },
      { color: 'blue', aggregate: of(3800, 8) },
      guardrails,
      comparison,
    );
    expect(judgement.verdict).toBe('failed');
    expect(judgement.comparison).toMatch(/^green 3\.00 % vs blue 0\.21 %, \+2\.79 pp, p = \d\.\de-\d+$/);
    expect(judgement.reasons[0]).toMatch(
      /^error rate rose against blue: .*\(p < 0\.003 and more than \+1 pp\)$/,
    );
  });
  it('passes a significant rise below the minimum effect, and one error too few to mean anything', () => {
    expect(
      judgeMetrics(
        { color: 'green', aggregate: of(100_000, 700) },
        { color: 'blue', aggregate: of(1_000_000, 2000) },
        guardrails,
        comparison,
      ).verdict,
    ).toBe('passed');
    expect(
      judgeMetrics(
        { color: 'green', aggregate: of(30, 1) },
        { color: 'blue', aggregate: of(570, 1) },
        guardrails,
        comparison,
      ).verdict,
    ).toBe('passed');
  });
  it('corrects for the number of looks', () => {
    // 12/1000 vs 4/1000: p ≈ 0.022 passes 0.01 / 3 but would fail a single look at alpha 0.05.
    const canary = { color: 'green' as const, aggregate: of(1000, 15) };
    const baseline = { color: 'blue' as const, aggregate: of(1000, 4) };
    const loose = { ...comparison, alpha: 0.05, looks: 1, maxErrorIncreasePp: 0.5 };
    expect(judgeMetrics(canary, baseline, guardrails, loose).verdict).toBe('failed');
    expect(judgeMetrics(canary, baseline, guardrails, { ...loose, looks: 10 }).verdict).toBe('passed');
  });
  it('fails a latency regression against the baseline under the absolute limit', () => {
    const judgement = judgeMetrics(
      { color: 'green', aggregate: of(1000, 0, 380) },
      { color: 'blue', aggregate: of(1000, 0, 40) },
      guardrails,
      comparison,
    );
    expect(judgement.reasons).toEqual(['p95 latency rose against blue: 380 ms vs 40 ms, +340 ms > 100 ms']);
  });
  it('judges a quiet canary on its errors and says its latency was not judged', () => {
    const quiet = aggregate([{ startMs: 0, requests: 4, p95Ms: 180 }], [0]);
    const busy = aggregate([{ startMs: 0, requests: 190, p95Ms: 6 }], [0]);
    const judgement = judgeMetrics(
      { color: 'green', aggregate: quiet },
      { color: 'blue', aggregate: busy },
      guardrails,
      comparison,
    );
    expect(judgement.verdict).toBe('passed');
    expect(judgement.comparison).toBe(
      'green 0.00 % vs blue 0.00 %, +0.00 pp, p = 1.000; p95 not judged: fewer than 20 requests on green in every period',
    );
    // Its errors still count.
    const failing = aggregate([{ startMs: 0, requests: 4, errors: 4 }], [0]);
    expect(
      judgeMetrics({ color: 'green', aggregate: failing }, undefined, guardrails, comparison),
    ).toMatchObject({
      verdict: 'failed',
      reasons: ['error rate 100.00 % > 5 % (4 of 4 requests)'],
    });
  });
  it('keeps the absolute guardrails whatever the baseline', () => {
    const judgement = judgeMetrics(
      { color: 'green', aggregate: of(100, 10, 600) },
      { color: 'blue', aggregate: of(100, 10, 600) },
      guardrails,
      comparison,
    );
    expect(judgement.reasons).toEqual([
      'error rate 10.00 % > 5 % (10 of 100 requests)',
      'p95 latency 600 ms > 500 ms',
    ]);
  });
});
