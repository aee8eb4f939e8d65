import * as core from '@actions/core';
import path from 'node:path';
import { ActionError, InputError } from '../../../packages/shared/src/errors.js';
import { escapeHtml, htmlTable, writeSummary } from '../../../packages/shared/src/summary.js';
import { loadConfig } from './config.js';
import { evaluate, type GateResult } from './gate.js';
import { getInputs } from './inputs.js';
import { CoverageError, percentFloor } from './model.js';
import { readReports } from './read.js';

export async function run(): Promise<void> {
  const inputs = getInputs();
  if (inputs['patch-threshold'] !== undefined) {
    throw new InputError(
      'patch-threshold',
      'is not available in this release yet (patch coverage arrives with issue #5); remove it',
      '',
    );
  }
  if (inputs['merged-output'].length > 0) {
    throw new InputError(
      'merged-output',
      'is not available in this release yet (merged reports arrive with issue #5); remove it',
      '',
    );
  }
  const root = path.resolve(process.env.GITHUB_WORKSPACE ?? process.cwd(), inputs['working-directory']);
  const config = loadConfig(inputs.config ? path.resolve(root, inputs.config) : undefined);

  let result: GateResult;
  let reports: { file: string; format: string }[];
  try {
    const read = await readReports(inputs.files, root, config.pathMap);
    reports = read.reports;
    result = evaluate(read.map, config, inputs.metric, inputs.threshold);
  } catch (error) {
    if (error instanceof CoverageError) throw new ActionError(error.message);
    throw error;
  }

  const overall = result.overall;
  const branches = result.totals.branches;
  core.setOutput('coverage', overall.percent ?? '');
  core.setOutput('covered', String(overall.covered));
  core.setOutput('total', String(overall.total));
  core.setOutput('branch-coverage', percentFloor(branches.covered, branches.total) ?? '');
  core.setOutput('patch-coverage', '');
  core.setOutput('passed', String(result.passed));
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
  if (inputs['github-token'] && inputs.comment)
    core.notice('Pull-request comments are not in this release; the job summary has the full report');
  await writeSummary(summary(result, reports));

  if (overall.total === 0)
    throw new ActionError(
      `The reports have no coverable ${inputs.metric === 'line' ? 'lines' : `${inputs.metric}es`} (0 of 0): an empty report is not 100 %`,
    );
  if (!result.passed) {
    const reasons: string[] = [];
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
