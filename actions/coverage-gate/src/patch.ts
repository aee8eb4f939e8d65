/**
 * Patch coverage from a local `git diff` between the pull request's merge base and HEAD (no API
 * and no 300-file limit): which added lines the reports cover, miss, or do not know.
 */
import { execFileSync } from 'node:child_process';
import { ActionError } from '../../../packages/shared/src/errors.js';
import type { CoverageMap, FileCoverage } from './model.js';

/** Added line numbers per repository path, from unified diff text (`--unified=0`). */
export function parseAddedLines(diff: string): Map<string, number[]> {
  const added = new Map<string, number[]>();
  let file: string | undefined;
  for (const line of diff.split('\n')) {
    if (line.startsWith('+++ ')) {
      const target = line.slice(4).trim();
      file = target === '/dev/null' ? undefined : target.replace(/^b\//, '');
      continue;
    }
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (hunk && file) {
      const start = Number(hunk[1]);
      const count = hunk[2] === undefined ? 1 : Number(hunk[2]);
      const lines = added.get(file) ?? [];
      for (let offset = 0; offset < count; offset++) lines.push(start + offset);
      added.set(file, lines);
    }
  }
  return added;
}

function git(root: string, args: string[]): string {
  return execFileSync('git', args, {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The merge base with the pull request's base branch; needs the history (fetch-depth: 0). */
export function mergeBase(root: string, env: NodeJS.ProcessEnv): string {
  const base = env.GITHUB_BASE_REF;
  if (!base)
    throw new ActionError(
      'patch-threshold needs a pull_request event: GITHUB_BASE_REF is not set, so there is no base to diff against',
    );
  for (const ref of [`origin/${base}`, base]) {
    try {
      return git(root, ['merge-base', ref, 'HEAD']).trim();
    } catch {
      // try the next spelling of the base branch
    }
  }
  throw new ActionError(
    `Cannot find the merge base with ${base}: check out with fetch-depth: 0 so the base branch's history is there`,
  );
}

export function changedLines(root: string, base: string): Map<string, number[]> {
  return parseAddedLines(
    git(root, ['diff', '--unified=0', '--no-color', '--no-ext-diff', '--no-renames', base, 'HEAD']),
  );
}

export interface PatchResult {
  covered: number;
  total: number;
  /** Uncovered added lines per file, merged into ranges. */
  uncovered: { path: string; start: number; end: number }[];
  /** Changed files with code that no report knows about: listed, not guessed. */
  unknownFiles: string[];
}

/** Whether an added line is executable and covered, per the merged coverage of its file. */
function lineStatus(file: FileCoverage, line: number): 'covered' | 'uncovered' | 'none' {
  const hits = file.units.line(line);
  if (hits !== undefined) return hits > 0 ? 'covered' : 'uncovered';
  let seen = false;
  for (const block of file.units.blocks()) {
    if (line >= block.start.line && line <= block.end.line) {
      if (block.hits > 0) return 'covered';
      seen = true;
    }
  }
  return seen ? 'uncovered' : 'none';
}

export function patchCoverage(
  map: CoverageMap,
  changed: Map<string, number[]>,
  isCode: (path: string) => boolean,
): PatchResult {
  const result: PatchResult = { covered: 0, total: 0, uncovered: [], unknownFiles: [] };
  for (const [path, lines] of [...changed].sort(([a], [b]) => a.localeCompare(b))) {
    const file = map.get(path);
    if (!file) {
      if (isCode(path)) result.unknownFiles.push(path);
      continue;
    }
    let range: { path: string; start: number; end: number } | undefined;
    for (const line of [...lines].sort((a, b) => a - b)) {
      const status = lineStatus(file, line);
      if (status === 'none') continue;
      result.total++;
      if (status === 'covered') {
        result.covered++;
        continue;
      }
      if (range && range.end === line - 1) range.end = line;
      else {
        range = { path, start: line, end: line };
        result.uncovered.push(range);
      }
    }
  }
  return result;
}
