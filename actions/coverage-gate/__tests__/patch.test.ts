import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runBundledAction } from '../../../packages/shared/testing/run-bundled-action.js';
import { fileCoverage, type CoverageMap } from '../src/model.js';
import { parseAddedLines, patchCoverage } from '../src/patch.js';

describe('parseAddedLines', () => {
  it('reads added line ranges per file from a unified=0 diff', () => {
    const diff = [
      'diff --git a/src/a.ts b/src/a.ts',
      '--- a/src/a.ts',
      '+++ b/src/a.ts',
      '@@ -3,0 +4,3 @@ function x() {',
      '+one',
      '+two',
      '+three',
      '@@ -10 +13 @@',
      '+changed',
      '@@ -20,2 +23,0 @@',
      'diff --git a/gone.ts b/gone.ts',
      '--- a/gone.ts',
      '+++ /dev/null',
      '@@ -1,2 +0,0 @@',
    ].join('\n');
    expect([...parseAddedLines(diff)]).toEqual([['src/a.ts', [4, 5, 6, 13]]]);
  });
});

describe('patchCoverage', () => {
  it('counts executable changed lines, merges uncovered ones into ranges, and lists unknown files', () => {
    const map: CoverageMap = new Map();
    const file = fileCoverage(map, 'src/a.ts');
    for (const [line, hits] of [
      [4, 1],
      [5, 0],
      [6, 0],
      [13, 2],
    ] as const)
      file.units.addLine(line, hits);
    const go = fileCoverage(map, 'svc/h.go');
    go.units.addBlock({ start: { line: 10, column: 1 }, end: { line: 14, column: 2 } }, 3, 0);
    const changed = new Map([
      ['src/a.ts', [4, 5, 6, 7, 13]],
      ['svc/h.go', [12]],
      ['src/new.ts', [1, 2]],
      ['README.md', [1]],
    ]);
    const result = patchCoverage(map, changed, (path) => /\.(ts|go)$/.test(path));
    expect(result).toEqual({
      covered: 2,
      total: 5,
      uncovered: [
        { path: 'src/a.ts', start: 5, end: 6 },
        { path: 'svc/h.go', start: 12, end: 12 },
      ],
      unknownFiles: ['src/new.ts'],
    });
  });
});

describe('patch coverage in the bundled action, from a real git history', () => {
  it('gates the lines the pull request adds and annotates the uncovered ones', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'patch-'));
    const git = (...args: string[]) =>
      execFileSync('git', args, {
        cwd: root,
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 't',
          GIT_AUTHOR_EMAIL: 't@x',
          GIT_COMMITTER_NAME: 't',
          GIT_COMMITTER_EMAIL: 't@x',
        },
      });
    mkdirSync(path.join(root, 'src'));
    writeFileSync(path.join(root, 'src/app.ts'), 'a\nb\nc\n');
    git('init', '-q', '-b', 'main');
    git('add', '.');
    git('commit', '-q', '-m', 'base');
    git('checkout', '-q', '-b', 'feature');
    writeFileSync(path.join(root, 'src/app.ts'), 'a\nb\nc\nnew1\nnew2\nnew3\nnew4\n');
    git('commit', '-q', '-am', 'change');
    // lines 1-3 covered; of the added 4-7, only 4 is covered
    writeFileSync(
      path.join(root, 'lcov.info'),
      'SF:src/app.ts\nDA:1,1\nDA:2,1\nDA:3,1\nDA:4,1\nDA:5,0\nDA:6,0\nDA:7,0\nend_of_record\n',
    );
    const result = await runBundledAction(path.join(import.meta.dirname, '..'), {
      inputs: { files: 'lcov.info', threshold: '50', 'patch-threshold': '50' },
      env: { GITHUB_WORKSPACE: root, GITHUB_BASE_REF: 'main' },
      cwd: root,
    });
    expect(result.outputs).toMatchObject({ coverage: '57.14', 'patch-coverage': '25.00', passed: 'false' });
    expect(result.main.exitCode).toBe(1);
    expect(result.annotations.find((annotation) => annotation.level === 'error')?.message).toBe(
      'Coverage gate failed: patch coverage 25.00 % (1/4 changed lines) is below 50 %',
    );
    expect(result.annotations.find((annotation) => annotation.level === 'warning')).toEqual({
      level: 'warning',
      message: 'Lines 5–7 are not covered by tests',
      properties: { file: 'src/app.ts', line: '5', endLine: '7', title: 'Uncovered change' },
    });
    expect(result.summary).toContain('Patch coverage: 25.00 % against 50 %');
  });
});
