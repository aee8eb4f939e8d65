import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NO_CONFIG } from '../src/config.js';
import { evaluate } from '../src/gate.js';
import { totalsOf } from '../src/model.js';
import { readReports } from '../src/read.js';

/** Reports written by the real tools (coverage.py 6.5, go 1.19) by __fixtures__/tools/regenerate.sh. */
const tools = path.join(import.meta.dirname, '__fixtures__', 'tools');
const expected = JSON.parse(readFileSync(path.join(tools, 'expected.json'), 'utf8')) as {
  python: { covered: number; total: number };
  go: { percent: number };
  goCoverpkg: { percent: number };
  c8: { covered: number; total: number };
};

describe('parity with the tools’ own totals', () => {
  it.each(['coverage.xml', 'coverage.json'])(
    'coverage.py %s gives the statements and misses coverage report prints',
    async (report) => {
      const { map } = await readReports([report], path.join(tools, 'python'), []);
      expect(evaluate(map, NO_CONFIG, 'line', 0).totals.lines).toEqual(expected.python);
      expect(map.has('app/calc.py')).toBe(true);
    },
  );

  it('coverage.json counts per file what its own summary counts, though it lists docstrings that ran as executed', async () => {
    const root = path.join(tools, 'python');
    const document = JSON.parse(readFileSync(path.join(root, 'coverage.json'), 'utf8')) as {
      files: Record<
        string,
        { executed_lines: number[]; summary: { covered_lines: number; num_statements: number } }
      >;
    };
    // The fixture shows what coverage.py 6.5 does: shapes.py's module and class docstrings are listed.
    expect(document.files['app/shapes.py']!.executed_lines).toHaveLength(9);
    expect(document.files['app/shapes.py']!.summary.covered_lines).toBe(7);
    const { map, notes } = await readReports(['coverage.json'], root, []);
    for (const [file, { summary }] of Object.entries(document.files))
      expect(totalsOf(map.has(file) ? [map.get(file)!] : []).lines).toEqual({
        covered: summary.covered_lines,
        total: summary.num_statements,
      });
    expect(map.get('app/shapes.py')!.units.line(1)).toBeUndefined();
    expect(notes).toEqual([
      "coverage.json: app/shapes.py lines 1, 5 ran but are docstrings, not statements (coverage.py's summary does not count them): left out",
    ]);
  });

  it('takes off the totals what a summary counts less when the source cannot say which lines', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'cov-py-'));
    // The source changed since the run: line 1 no longer holds the docstring.
    writeFileSync(path.join(root, 'm.py'), 'import os\nx = 1\ny = 2\nz = 3\n');
    writeFileSync(
      path.join(root, 'coverage.json'),
      JSON.stringify({
        meta: { version: '6.5.0' },
        files: {
          'm.py': {
            executed_lines: [1, 2, 3],
            missing_lines: [4],
            excluded_lines: [],
            summary: { covered_lines: 2, num_statements: 3 },
          },
        },
      }),
    );
    const { map, notes } = await readReports(['coverage.json'], root, []);
    expect(evaluate(map, NO_CONFIG, 'line', 0).totals.lines).toEqual({ covered: 2, total: 3 });
    expect(notes).toEqual([
      'coverage.json: m.py lists 3 executed lines where its summary counts 2 statements; 1 taken off its totals, as coverage.py counts it',
    ]);
  });

  it.each([
    ['cover.out', 'go'],
    ['coverpkg.out', 'goCoverpkg'],
  ] as const)('go %s gives the statement percentage go tool cover -func prints', async (report, key) => {
    const { map } = await readReports([report], path.join(tools, 'go'), []);
    const { covered, total } = evaluate(map, NO_CONFIG, 'line', 0).totals.lines;
    expect(Math.round((1000 * covered) / total) / 10).toBe(expected[key].percent);
    expect([...map.keys()].every((file) => file.startsWith('calc/') || file.startsWith('cmd/'))).toBe(true);
  });

  it.each(['lcov.info', 'coverage-final.json', 'coverage-summary.json'])(
    'c8 %s gives the line totals c8 prints',
    async (report) => {
      const { map } = await readReports([report], path.join(tools, 'js'), []);
      expect(evaluate(map, NO_CONFIG, 'line', 0).totals.lines).toEqual({
        covered: expected.c8.covered,
        total: expected.c8.total,
      });
    },
  );

  it('merges the plain and -coverpkg profiles of the same run without double counting', async () => {
    const { map } = await readReports(['cover.out', 'coverpkg.out'], path.join(tools, 'go'), []);
    const { covered, total } = evaluate(map, NO_CONFIG, 'line', 0).totals.lines;
    expect(Math.round((1000 * covered) / total) / 10).toBe(expected.goCoverpkg.percent);
  });
});
