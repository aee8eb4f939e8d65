import * as core from './runner-commands.js';
import { redactSecrets } from './secrets.js';

/** GitHub caps one step's summary at 1 MiB; stay under it with room for a closing note. */
export const SUMMARY_LIMIT_BYTES = 1024 * 1024 - 1024;

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** core.summary writes raw HTML: escape anything that came from users or AWS. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]!);
}

export type Cell = string | number | boolean | null | undefined;

/** An HTML table; cells are escaped, `null`/`undefined` shown as an em dash. */
export function htmlTable(headers: string[], rows: Cell[][]): string {
  const head = `<tr>${headers.map((header) => `<th>${escapeHtml(header)}</th>`).join('')}</tr>`;
  const body = rows
    .map(
      (row) =>
        `<tr>${row.map((cell) => `<td>${escapeHtml(cell === null || cell === undefined ? '—' : String(cell))}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<table>\n${head}\n${body}\n</table>\n`;
}

/** A bold-key list of facts, one per line. */
export function keyValueList(pairs: [string, Cell][]): string {
  const items = pairs.map(
    ([key, value]) =>
      `<li><b>${escapeHtml(key)}</b>: ${escapeHtml(value === null || value === undefined ? '—' : String(value))}</li>`,
  );
  return `<ul>\n${items.join('\n')}\n</ul>\n`;
}

/** A collapsible section; `bodyHtml` is trusted HTML (build it with the helpers here). */
export function details(title: string, bodyHtml: string, open = false): string {
  return `<details${open ? ' open' : ''}><summary>${escapeHtml(title)}</summary>\n\n${bodyHtml}\n</details>\n`;
}

export interface LineChart {
  title: string;
  xLabels: string[];
  yLabel: string;
  series: { name: string; values: number[] }[];
  /** Drawn as a flat line across the chart. */
  threshold?: number;
}

const MERMAID_TEXT = /["\n\r[\]]/g;

/**
 * A mermaid `xychart-beta` line chart of one or more series, with an optional threshold line.
 * Nothing for fewer than two points: one point is not a line.
 */
export function mermaidLineChart(chart: LineChart): string {
  if (chart.xLabels.length < 2) return '';
  const clean = (text: string): string => text.replace(MERMAID_TEXT, ' ');
  const all = chart.series.flatMap((series) => series.values).concat(chart.threshold ?? []);
  const finite = all.filter((value) => Number.isFinite(value));
  const top = finite.length === 0 ? 1 : Math.max(...finite) * 1.1 || 1;
  // A blank line first: a fence right after an HTML block would be swallowed by it.
  const lines = [
    '',
    '```mermaid',
    'xychart-beta',
    `  title "${clean(chart.title)}"`,
    `  x-axis [${chart.xLabels.map((label) => `"${clean(label)}"`).join(', ')}]`,
    `  y-axis "${clean(chart.yLabel)}" 0 --> ${round(top)}`,
  ];
  for (const series of chart.series)
    lines.push(`  line [${series.values.map((value) => round(value)).join(', ')}]`);
  if (chart.threshold !== undefined) {
    lines.push(`  line [${chart.xLabels.map(() => round(chart.threshold!)).join(', ')}]`);
  }
  lines.push('```', '');
  const legend = chart.series.map((series, index) => `line ${index + 1}: ${clean(series.name)}`);
  if (chart.threshold !== undefined) legend.push(`flat line: threshold ${round(chart.threshold)}`);
  return `${lines.join('\n')}\n<sub>${escapeHtml(legend.join(' · '))}</sub>\n`;
}

function round(value: number): number {
  return Number.isFinite(value) ? Math.round(value * 1000) / 1000 : 0;
}

/** Joins summary parts and cuts them to stay under GitHub's per-step limit, saying so. */
export function capSummary(parts: string[], limitBytes = SUMMARY_LIMIT_BYTES): string {
  let text = '';
  for (const part of parts) {
    if (Buffer.byteLength(text + part) > limitBytes) {
      return `${text}\n<p><i>Summary cut here: GitHub keeps at most 1 MiB per step; the rest is in the log.</i></p>\n`;
    }
    text += part;
  }
  return text;
}

/** Writes the parts to the job summary (raw, so mermaid fences survive). */
/** Writes the job summary, with every secret redacted (the runner does not mask summaries). */
export async function writeSummary(parts: string[]): Promise<void> {
  core.appendSummary(redactSecrets(capSummary(parts)));
}
