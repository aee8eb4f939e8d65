import * as core from '@actions/core';
import path from 'node:path';
import { ActionError, InputError } from '../../../packages/shared/src/errors.js';
import { upsertStickyComment } from '../../../packages/shared/src/github.js';
import { escapeHtml, htmlTable, writeSummary } from '../../../packages/shared/src/summary.js';
import { loadConfig } from './config.js';
import { evaluate, type GateResult } from './gate.js';
import { getInputs } from './inputs.js';
import { CoverageError, meetsThreshold, percentFloor } from './model.js';
import { writeMerged } from './merged.js';
import { changedLines, mergeBase, patchCoverage, type PatchResult } from './patch.js';
import { readReports } from './read.js';

export async function run(): Promise<void> {
  const inputs = getInputs();
  for (const target of inputs['merged-output']) {
    if (!/\.(info|xml)$/.test(target))
      throw new InputError(
        'merged-output',
        `cannot tell the format of '${target}': end it in .info (LCOV) or .xml (Cobertura)`,
        'coverage/merged.xml',
      );
  }
  const root = path.resolve(process.env.GITHUB_WORKSPACE ?? process.cwd(), inputs['working-directory']);
  const config = loadConfig(inputs.config ? path.resolve(root, inputs.config) : undefined);

  let result: GateResult;
  let reports: { file: string; format: string }[];
  let patch: PatchResult | undefined;
  try {
    const read = await readReports(inputs.files, root, config.pathMap, config.formats);
    reports = read.reports;
    result = evaluate(read.map, config, inputs.metric, inputs.threshold);
    writeMerged(
      read.map,
      inputs['merged-output'].map((target) => path.resolve(root, target)),
    );
    const wantsPatch =
      inputs['patch-threshold'] !== undefined || (inputs.annotations && Boolean(process.env.GITHUB_BASE_REF));
    if (wantsPatch)
      patch = patchCoverage(read.map, changedLines(root, mergeBase(root, process.env)), (file) =>
        CODE_FILE.test(file),
      );
  } catch (error) {
    if (error instanceof CoverageError) throw new ActionError(error.message);
    throw error;
  }
  const patchPercent = patch ? percentFloor(patch.covered, patch.total) : undefined;
  const patchPassed =
    !patch ||
    inputs['patch-threshold'] === undefined ||
    patch.total === 0 ||
    meetsThreshold(patch.covered, patch.total, inputs['patch-threshold']);
  if (patch && inputs.annotations) {
    for (const range of patch.uncovered.slice(0, MAX_ANNOTATIONS)) {
      core.warning(
        `Line${range.end > range.start ? `s ${range.start}–${range.end} are` : ` ${range.start} is`} not covered by tests`,
        {
          file: path.relative(process.env.GITHUB_WORKSPACE ?? root, path.join(root, range.path)),
          startLine: range.start,
          endLine: range.end,
          title: 'Uncovered change',
        },
      );
    }
  }

  const overall = result.overall;
  const branches = result.totals.branches;
  core.setOutput('coverage', overall.percent ?? '');
  core.setOutput('covered', String(overall.covered));
  core.setOutput('total', String(overall.total));
  core.setOutput('branch-coverage', percentFloor(branches.covered, branches.total) ?? '');
  core.setOutput('patch-coverage', patchPercent ?? '');
  core.setOutput('passed', String(result.passed && patchPassed));
  core.setOutput(
    'components',
    JSON.stringify(
      result.components.map(({ name, metric, covered, total, percent, threshold, passed }) => ({
        name,
        metric,
        covered,
        total,
        percent,
        threshold,
        passed,
      })),
    ),
  );
  const summaryParts = [
    ...summary(result, reports),
    ...(patch ? patchSummary(patch, inputs['patch-threshold']) : []),
  ];
  if (inputs['github-token'] && inputs.comment) {
    const outcome = await upsertStickyComment({
      token: inputs['github-token'],
      marker: '<!-- mpac-coverage-gate -->',
      body: summaryParts.join(''),
      warn: (message) => core.warning(message),
    });
    core.info(`Pull-request comment: ${outcome}`);
  }
  await writeSummary(summaryParts);

  if (overall.total === 0)
    throw new ActionError(
      `The reports have no coverable ${inputs.metric === 'line' ? 'lines' : `${inputs.metric}es`} (0 of 0): an empty report is not 100 %`,
    );
  if (!result.passed || !patchPassed) {
    const reasons: string[] = [];
    if (!patchPassed)
      reasons.push(
        `patch coverage ${patchPercent} % (${patch!.covered}/${patch!.total} changed lines) is below ${inputs['patch-threshold']} %`,
      );
    if (!overall.passed)
      reasons.push(
        `${inputs.metric} coverage ${overall.percent} % (${overall.covered}/${overall.total}) is below ${inputs.threshold} %`,
      );
    for (const component of result.components.filter((candidate) => !candidate.passed)) {
      reasons.push(
        `${component.name}: ${component.percent ?? 'no data'} % (${component.covered}/${component.total}) is below ${component.threshold} %`,
      );
    }
    if (result.filesBelowMinimum.length > 0)
      reasons.push(`${result.filesBelowMinimum.length} file(s) below the per-file minimum`);
    throw new ActionError(`Coverage gate failed: ${reasons.join('; ')}`);
  }
  core.info(
    `Coverage ${overall.percent} % (${overall.covered}/${overall.total}) meets ${inputs.threshold} %`,
  );
}

const CODE_FILE = /\.(py|go|ts|tsx|js|jsx|mjs|cjs|java|kt|rb|rs|cs|php|scala|swift)$/;
/** GitHub shows at most 10 warning annotations per step; the rest are in the summary. */
const MAX_ANNOTATIONS = 10;

function patchSummary(patch: PatchResult, threshold: number | undefined): string[] {
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

function summary(result: GateResult, reports: { file: string; format: string }[]): string[] {
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
