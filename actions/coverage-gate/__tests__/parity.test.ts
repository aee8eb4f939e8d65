import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { NO_CONFIG } from '../src/config.js';
import { evaluate } from '../src/gate.js';
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
