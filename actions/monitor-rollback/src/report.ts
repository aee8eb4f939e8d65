import { formatPercent } from '../../../packages/shared/src/gates.js';
import { escapeHtml, htmlTable, mermaidLineChart } from '../../../packages/shared/src/summary.js';
import type { Inputs } from './inputs.js';
import type { MonitorResult } from './monitor.js';

export function renderReport(result: MonitorResult, inputs: Inputs, startedAt: number): string[] {
  const title =
    result.outcome === 'rolled-back'
      ? `❌ ${inputs.service}: rolled back to ${result.liveColor}`
      : `✅ ${inputs.service}: healthy on ${result.liveColor}`;
  const parts = [`<h2>${escapeHtml(title)}</h2>\n`];
  if (result.reason) parts.push(`<p><b>Why:</b> ${escapeHtml(result.reason)}</p>\n`);
  const seconds = (at: number) => `${Math.round((at - startedAt) / 1000)}s`;
  parts.push(
    htmlTable(
      ['at', 'requests', 'error rate', 'p95', 'alarms', 'probe', 'verdict'],
      result.checks.map((check) => [
        seconds(check.at),
        check.metrics?.requests,
        check.metrics?.errorRatePercent === undefined
          ? undefined
          : formatPercent(check.metrics.errorRatePercent),
        check.metrics?.p95Ms === undefined ? undefined : `${Math.round(check.metrics.p95Ms)} ms`,
        check.alarmsInAlarm.join(', ') || (inputs.alarms.length ? 'none in ALARM' : undefined),
        check.probe
          ? check.probe.ok
            ? `${check.probe.status} in ${check.probe.ms} ms`
            : `failed: ${check.probe.status ?? check.probe.error}`
          : undefined,
        check.verdict === 'failed'
          ? `❌ ${check.reasons.join('; ')}`
          : check.verdict === 'inconclusive'
            ? '⚪ no data'
            : '✅',
      ]),
    ),
  );
  if (result.checks.length > 0) {
    const labels = result.checks.map((check) => seconds(check.at));
    parts.push(
      mermaidLineChart({
        title: 'Error rate of the live colour (%)',
        xLabels: labels,
        yLabel: '% 5xx',
        series: [
          { name: 'error rate', values: result.checks.map((check) => check.metrics?.errorRatePercent ?? 0) },
        ],
        threshold: inputs['max-error-rate'],
      }),
      mermaidLineChart({
        title: 'p95 latency of the live colour (ms)',
        xLabels: labels,
        yLabel: 'ms',
        series: [{ name: 'p95', values: result.checks.map((check) => check.metrics?.p95Ms ?? 0) }],
        threshold: inputs['max-p95-latency'],
      }),
    );
  }
  return parts;
}
