/**
 * One judge for the deploy's gates and the monitor's checks. Every signal is a provider that
 * returns a measurement (a verdict, the reason in one line with its numbers, and the evidence
 * behind it); `judge` combines a check's measurements with one set of rules, and `Tally` keeps the
 * limits over a run of checks (consecutive failures, a window that was mostly inconclusive), as
 * argo-rollouts' AnalysisRun keeps failureLimit and inconclusiveLimit.
 */

export type Verdict = 'pass' | 'fail' | 'inconclusive';

export interface Measurement {
  /** What was measured: `metrics green`, `alarms`, `probe health`, `prometheus p99`, `restarts`. */
  signal: string;
  verdict: Verdict;
  /** One line with its numbers. */
  reason: string;
  /** Requests, samples or reads behind the verdict; 0 is no data (and then never `pass` by itself). */
  evidence: number;
}

/**
 * What a check or a step without evidence is, in both actions:
 * - `wait` (default): inconclusive; the deploy watches a step longer (up to max-bake) first.
 * - `fail`: failed, at once.
 * - `pass`: passed, and the summary says it had no data.
 */
export const NO_DATA_POLICIES = ['wait', 'fail', 'pass'] as const;
export type NoDataPolicy = (typeof NO_DATA_POLICIES)[number];
export const DEFAULT_NO_DATA: NoDataPolicy = 'wait';

export interface Judgement {
  verdict: Verdict;
  /** Why, for a verdict other than a plain pass: the failing measurements, or the missing evidence. */
  reasons: string[];
  /** Evidence behind the pass and fail measurements. */
  evidence: number;
  /** The verdict comes from the no-data policy, not from evidence. */
  noData: boolean;
}

/**
 * Any failing measurement fails the check. Otherwise evidence behind any passing measurement
 * passes it. A check with no evidence at all is what `no-data` says.
 */
export function judge(measurements: Measurement[], noData: NoDataPolicy): Judgement {
  const failed = measurements.filter((entry) => entry.verdict === 'fail');
  const evidence = measurements
    .filter((entry) => entry.verdict !== 'inconclusive')
    .reduce((sum, entry) => sum + entry.evidence, 0);
  if (failed.length > 0)
    return { verdict: 'fail', reasons: failed.map((entry) => entry.reason), evidence, noData: false };
  if (measurements.some((entry) => entry.verdict === 'pass' && entry.evidence > 0))
    return { verdict: 'pass', reasons: [], evidence, noData: false };
  const missing =
    measurements
      .filter((entry) => entry.verdict === 'inconclusive')
      .map((entry) => entry.reason)
      .join('; ') || 'no signal had evidence';
  const why = `no evidence: ${missing}`;
  if (noData === 'pass')
    return { verdict: 'pass', reasons: [`${why} (no-data: pass)`], evidence: 0, noData: true };
  if (noData === 'fail')
    return { verdict: 'fail', reasons: [`${why} (no-data: fail)`], evidence: 0, noData: true };
  return { verdict: 'inconclusive', reasons: [why], evidence: 0, noData: true };
}

/** The limits over a run of judgements: consecutive failures, and a window that said nothing. */
export class Tally {
  failuresInARow = 0;
  failures = 0;
  inconclusive = 0;
  counted = 0;
  private withEvidence = 0;

  constructor(private readonly failureLimit: number) {}

  /** Adds a judgement; true once `failureLimit` failed in a row. */
  add(judgement: Judgement): boolean {
    this.counted++;
    if (judgement.verdict === 'fail') {
      this.failures++;
      this.failuresInARow++;
    } else if (judgement.verdict === 'pass') this.failuresInARow = 0;
    if (judgement.verdict === 'inconclusive') this.inconclusive++;
    if (!judgement.noData) this.withEvidence++;
    return this.failuresInARow >= this.failureLimit;
  }

  /**
   * A window says nothing when no check had evidence, or more than half were inconclusive: its
   * outcome is inconclusive, never healthy.
   */
  saidNothing(): string | undefined {
    if (this.counted > 0 && this.withEvidence > 0 && this.inconclusive <= this.counted / 2) return undefined;
    return `${this.inconclusive} of ${this.counted} checks had no evidence (no request in published CloudWatch periods, no probe, no alarm, no Prometheus value)`;
  }
}
