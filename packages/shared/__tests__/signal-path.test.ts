/** The signal path stays readable: no function in it is over 60 lines (issue 19). */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(import.meta.dirname, '../../..');
const inDir = (dir: string) =>
  readdirSync(path.join(root, dir))
    .filter((name) => name.endsWith('.ts'))
    .map((name) => path.join(dir, name));
const SIGNAL_PATH = [
  ...inDir('packages/shared/src/signals'),
  'packages/shared/src/checks/http.ts',
  'packages/shared/src/checks/runner.ts',
  'packages/shared/src/checks/assertions.ts',
  'actions/blue-green-deploy/src/cutover.ts',
  'actions/monitor-rollback/src/check.ts',
  'actions/monitor-rollback/src/monitor.ts',
];

function longFunctions(file: string): string[] {
  const source = ts.createSourceFile(
    file,
    readFileSync(path.join(root, file), 'utf8'),
    ts.ScriptTarget.Latest,
    true,
  );
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const name = node.name?.getText(source) ?? '(anonymous)';
      if (last - first + 1 > 60) found.push(`${file}:${first + 1} ${name} (${last - first + 1} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('the signal path', () => {
  it('has no function over 60 lines', () => {
    expect(SIGNAL_PATH.length).toBeGreaterThan(8);
    expect(SIGNAL_PATH.flatMap(longFunctions)).toEqual([]);
  });
});
