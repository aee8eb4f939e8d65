#!/usr/bin/env node
// Rebuilds every bundle and fails when a committed dist/ differs from the fresh build.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const build = spawnSync(process.execPath, [path.join(root, 'scripts/bundle.mjs')], {
  cwd: root,
  stdio: 'inherit',
});
if (build.status !== 0) process.exit(build.status ?? 1);

const changed = execFileSync(
  'git',
  ['status', '--porcelain', '--', 'actions/*/dist', 'packages/aws-twin/dist'],
  {
    cwd: root,
    encoding: 'utf8',
  },
).trim();
if (changed) {
  console.error('Committed dist/ differs from a fresh build (run `npm run bundle` and commit dist/):');
  console.error(changed);
  console.error(
    execFileSync('git', ['diff', '--stat', '--', 'actions/*/dist', 'packages/aws-twin/dist'], {
      cwd: root,
      encoding: 'utf8',
    }),
  );
  process.exit(1);
}
console.log('dist/ matches its source for every action and the twin.');
