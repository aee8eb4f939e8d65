/** The job summary and pull-request comment: totals, components, files, patch coverage. */
import { escapeHtml, htmlTable } from '../../../packages/shared/src/summary.js';
import type { GateResult } from './gate.js';
import { percentFloor } from './model.js';
import type { PatchResult } from './patch.js';

/** GitHub shows at most 10 annotations of a kind per step; the summary lists the rest. */
export const MAX_ANNOTATIONS = 10;

export function patchSummary(patch: PatchResult, threshold: number | undefined): string[] {
  const percent = percentFloor(patch.covered, patch.total);
  const parts = [
    `<h3>Patch coverage: ${escapeHtml(percent ?? 'no executable changed lines')}${percent ? ' %' : ''}${threshold !== undefined ? ` against ${threshold} %` : ''}</h3>\n`,
    `<p>${patch.covered} of ${patch.total} changed executable lines covered.</p>\n`,
  ];
  if (patch.uncovered.length > 0) {
    parts.push(
      htmlTable(
        ['file', 'uncovered changed lines'],
        patch.uncovered
          .slice(0, 200)
          .map((range) => [
            range.path,
            range.start === range.end ? String(range.start) : `${range.start}–${range.end}`,
          ]),
      ),
    );
    if (patch.uncovered.length > MAX_ANNOTATIONS)
      parts.push(
        `<p>${MAX_ANNOTATIONS} of ${patch.uncovered.length} ranges are annotated; all are listed above.</p>\n`,
      );
  }
  if (patch.unknownFiles.length > 0) {
    parts.push(
      `<p>Changed code that no report knows about (not counted, not guessed): ${patch.unknownFiles.map(escapeHtml).join(', ')}</p>\n`,
    );
  }
  return parts;
}

export function summary(result: GateResult, reports: { file: string; format: string }[]): string[] {
  const overall = result.overall;
  const mark = (passed: boolean) => (passed ? '✅' : '❌');
  const parts = [
    `<h2>${mark(result.passed)} Coverage ${escapeHtml(overall.percent ?? 'n/a')} % (${overall.metric}) against ${overall.threshold} %</h2>\n`,
    `<p>${overall.covered} of ${overall.total} covered, in ${overall.files} files from ${reports.length} report(s). Percentages are rounded down.</p>\n`,
  ];
  const lines = result.totals.lines;
  const branches = result.totals.branches;
  const functions = result.totals.functions;
  parts.push(
    htmlTable(
      ['metric', 'covered', 'total', '%'],
      [
        ['lines (Go: statements)', lines.covered, lines.total, percentFloor(lines.covered, lines.total)],
        ['branches', branches.covered, branches.total, percentFloor(branches.covered, branches.total)],
        ['functions', functions.covered, functions.total, percentFloor(functions.covered, functions.total)],
      ],
    ),
  );
  if (result.components.length > 0) {
    parts.push(
      '<h3>Components</h3>\n',
      htmlTable(
        ['component', 'metric', 'covered/total', '%', 'threshold', 'verdict'],
        result.components.map((component) => [
          component.name,
          component.metric,
          `${component.covered}/${component.total}`,
          component.percent ?? 'no data',
          `${component.threshold} %`,
          `${mark(component.passed)}`,
        ]),
      ),
    );
  }
  if (result.filesBelowMinimum.length > 0) {
    parts.push(
      '<h3>Files below the per-file minimum</h3>\n',
      htmlTable(
        ['file', '%'],
        result.filesBelowMinimum.map((file) => [file.path, file.percent]),
      ),
    );
  }
  if (result.worstFiles.length > 0) {
    parts.push(
      '<h3>Least covered files</h3>\n',
      htmlTable(
        ['file', 'covered/total', '%'],
        result.worstFiles.map((file) => [file.path, `${file.covered}/${file.total}`, file.percent]),
      ),
    );
  }
  parts.push(
    '<h3>Reports</h3>\n',
    htmlTable(
      ['report', 'format'],
      reports.map((report) => [report.file, report.format]),
    ),
  );
  return parts;
}
