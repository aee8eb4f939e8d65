import * as core from '../../../packages/shared/src/runner-commands.js';
import path from 'node:path';
import { ActionError } from '../../../packages/shared/src/errors.js';
import { upsertStickyComment } from '../../../packages/shared/src/github.js';
import { writeSummary } from '../../../packages/shared/src/summary.js';
import { inWorkspace, workspaceRoot } from '../../../packages/shared/src/workspace.js';
import { loadConfig } from './config.js';
import { evaluate } from './gate.js';
import { getInputs, type Inputs } from './inputs.js';
import { meetsThreshold, percentFloor } from './model.js';
import { writeMerged } from './merged.js';
import { changedLines, mergeBase, patchCoverage, type PatchResult } from './patch.js';
import { readReports } from './read.js';
import { MAX_ANNOTATIONS, patchSummary, summary } from './report.js';
import { setOutput } from '../../../packages/shared/src/outputs.js';

export async function run(inputs: Inputs = getInputs()): Promise<void> {
  // Every path an input names stays inside the workspace, checked before anything is read.
  const workspace = workspaceRoot();
  const root = inWorkspace('working-directory', inputs['working-directory'], {
    root: workspace,
    example: '.',
  });
  const inRoot = (input: string, value: string, example: string) =>
    inWorkspace(input, value, { base: root, root: workspace, example });
  const configFile = inputs.config ? inRoot('config', inputs.config, '.github/coverage.yml') : undefined;
  const mergedOutputs = inputs['merged-output'].map((target) =>
    inRoot('merged-output', target, 'coverage/merged.xml'),
  );
  const config = loadConfig(configFile);

  const read = await readReports(inputs.files, root, config.pathMap, config.formats, workspace);
  const reports = read.reports;
  for (const note of read.notes) core.info(note);
  for (const warning of read.warnings) core.warning(warning, { title: 'Coverage past the end of a file' });
  const result = evaluate(read.map, config, inputs.metric, inputs.threshold);
  writeMerged(read.map, mergedOutputs);
  const wantsPatch =
    inputs['patch-threshold'] !== undefined || (inputs.annotations && Boolean(process.env.GITHUB_BASE_REF));
  const patch: PatchResult | undefined = wantsPatch
    ? patchCoverage(read.map, changedLines(root, mergeBase(root, process.env)), (file) =>
        CODE_FILE.test(file),
      )
    : undefined;
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
  setOutput('coverage', overall.percent ?? '');
  setOutput('covered', String(overall.covered));
  setOutput('total', String(overall.total));
  setOutput('branch-coverage', percentFloor(branches.covered, branches.total) ?? '');
  setOutput('patch-coverage', patchPercent ?? '');
  setOutput('passed', String(result.passed && patchPassed));
  setOutput(
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
  if (inputs.comment && !inputs['github-token'] && process.env.GITHUB_EVENT_NAME?.startsWith('pull_request'))
    core.warning(
      'comment is true but there is no github-token, so no pull-request comment was written: pass github-token (pull-requests: write)',
    );
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
        component.percent === undefined
          ? `${component.name}: no coverage data (no report covers ${component.name}'s paths), so it cannot meet ${component.threshold} %`
          : `${component.name}: ${component.percent} % (${component.covered}/${component.total}) is below ${component.threshold} %`,
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
