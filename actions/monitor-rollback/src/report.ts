/** The monitor's job summary: the verdict and why, every check with its evidence, charts against the thresholds. */
import { formatDuration } from '../../../packages/shared/src/duration.js';
import { formatPercent } from '../../../packages/shared/src/signals/analysis.js';
import { escapeHtml, htmlTable, mermaidLineChart } from '../../../packages/shared/src/summary.js';
import type { Inputs } from './inputs.js';
import type { MonitorResult } from './monitor.js';

const TITLES: Record<MonitorResult['outcome'], (result: MonitorResult) => string> = {
  healthy: (result) => `✅ healthy on ${result.liveColor}`,
  'rolled-back': (result) => `❌ rolled back to ${result.liveColor}`,
  inconclusive: (result) => `⚪ inconclusive: ${result.watchedColor} got no evidence`,
  failed: (result) => `❌ failed while watching ${result.watchedColor}`,
  superseded: (result) => `⏭️ superseded: ${result.liveColor} serves another release now`,
  refused: (result) => `❌ rollback refused while watching ${result.watchedColor}`,
};

export function renderReport(result: MonitorResult, inputs: Inputs): string[] {
  const parts = [`<h2>${escapeHtml(`${inputs.service}: ${TITLES[result.outcome](result)}`)}</h2>\n`];
  if (result.reason) parts.push(`<p><b>Why:</b> ${escapeHtml(result.reason)}</p>\n`);
  if (result.detectedAt !== undefined) {
    const restored =
      result.restoredAt === undefined
        ? 'not restored'
        : `restored ${formatDuration(result.restoredAt - result.detectedAt)} later`;
    parts.push(`<p>Detected at ${new Date(result.detectedAt).toISOString()}; ${escapeHtml(restored)}.</p>\n`);
  }
  parts.push(
    `<p>${escapeHtml(
      result.baseline
        ? `Baseline: ${result.baseline.color} before the cutover (${new Date(result.baseline.fromMs).toISOString()} – ${new Date(result.baseline.untilMs).toISOString()}): ${result.baseline.aggregate.requests} requests, ${formatPercent(result.baseline.aggregate.errorRatePercent ?? 0)} 5xx, p95 ${Math.round(result.baseline.aggregate.p95Ms ?? 0)} ms.`
        : `No baseline: ${result.baselineNote ?? 'none'}; the guardrails alone judge.`,
    )}</p>\n`,
  );
  const seconds = (at: number) => `${Math.round((at - result.startedAt) / 1000)}s`;
  const verdict = (check: MonitorResult['checks'][number]) =>
    check.verdict === 'failed'
      ? `❌ ${check.reasons.join('; ')}`
      : check.verdict === 'inconclusive'
        ? `⚪ ${check.reasons.join('; ')}`
        : check.verdict === 'paused'
          ? `⏸️ paused: ${check.reasons.join('; ')}`
          : '✅';
  parts.push(
    htmlTable(
      [
        'at',
        'periods',
        'requests',
        '5xx',
        'p95',
        'vs baseline',
        'probe rounds failed',
        'alarms',
        'restarts',
        'prometheus',
        'evidence',
        'verdict',
      ],
      result.checks.map((check) => [
        seconds(check.at),
        check.metrics?.periods ?? 0,
        check.metrics?.requests ?? 0,
        check.metrics?.errorRatePercent === undefined
          ? undefined
          : formatPercent(check.metrics.errorRatePercent),
        check.metrics?.p95Ms === undefined ? undefined : `${Math.round(check.metrics.p95Ms)} ms`,
        check.comparison,
        inputs.probes.length ? `${check.probeRounds.failed}/${check.probeRounds.sent}` : 'no probe',
        check.alarmsRead ? check.alarmsInAlarm.join(', ') || 'none in ALARM' : 'no alarm',
        check.restarts.length,
        check.prometheus.map((reading) => reading.reason).join('; ') || undefined,
        check.evidence,
        verdict(check),
      ]),
    ),
  );
  const labels = result.checks.map((check) => seconds(check.at));
  const baseline = result.baseline?.aggregate;
  parts.push(
    mermaidLineChart({
      title: `5xx rate of ${result.watchedColor} (%)${baseline ? ` against ${result.baseline!.color} before the cutover` : ''}`,
      xLabels: labels,
      yLabel: '% 5xx',
      series: [
        {
          name: result.watchedColor,
          values: result.checks.map((check) => check.metrics?.errorRatePercent ?? 0),
        },
        ...(baseline
          ? [
              {
                name: `${result.baseline!.color} before`,
                values: labels.map(() => baseline.errorRatePercent ?? 0),
              },
            ]
          : []),
      ],
      threshold: inputs['max-error-rate'],
    }),
    mermaidLineChart({
      title: `p95 latency of ${result.watchedColor} (ms)`,
      xLabels: labels,
      yLabel: 'ms',
      series: [
        { name: result.watchedColor, values: result.checks.map((check) => check.metrics?.p95Ms ?? 0) },
        ...(baseline?.p95Ms !== undefined
          ? [{ name: `${result.baseline!.color} before`, values: labels.map(() => baseline.p95Ms!) }]
          : []),
      ],
      threshold: inputs['max-p95-latency'],
    }),
  );
  const failedRounds = result.probeRounds.filter((round) => !round.passed);
  if (failedRounds.length > 0)
    parts.push(
      `<p>Probe rounds: ${result.probeRounds.length}, failed ${failedRounds.length}; the last failure at ${seconds(failedRounds.at(-1)!.at)}: ${escapeHtml(
        failedRounds
          .at(-1)!
          .results.filter((entry) => !entry.passed)
          .map((entry) => `${entry.name} ${entry.detail}`)
          .join('; '),
      )}</p>\n`,
    );
  return parts;
}
