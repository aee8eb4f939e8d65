#!/usr/bin/env node
// Rebuilds every bundle into a scratch directory and fails when a committed dist/ differs from the
// fresh build (a file changed, missing or extra). The working tree is not touched, so the tests can
// run the committed bundles while this runs beside them.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const scratch = mkdtempSync(path.join(tmpdir(), 'mpac-check-dist-'));
try {
  const build = spawnSync(process.execPath, [path.join(root, 'scripts/bundle.mjs'), '--out', scratch], {
    cwd: root,
    stdio: 'inherit',
  });
  if (build.status !== 0) process.exitCode = build.status ?? 1;
  else check();
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

function check() {
  const dists = [
    ...readdirSync(path.join(root, 'actions'))
      .filter((name) => existsSync(path.join(root, 'actions', name, 'src', 'index.ts')))
      .map((name) => `actions/${name}/dist`),
    'packages/aws-twin/dist',
  ];
  const differences = [];
  for (const dist of dists) {
    const committed = filesUnder(path.join(root, dist));
    const fresh = filesUnder(path.join(scratch, dist));
    for (const file of new Set([...committed, ...fresh])) {
      const name = `${dist}/${file}`;
      if (!fresh.includes(file)) differences.push(`${name}: committed, but the build no longer writes it`);
      else if (!committed.includes(file)) differences.push(`${name}: written by the build, not committed`);
      else if (
        !readFileSync(path.join(root, dist, file)).equals(readFileSync(path.join(scratch, dist, file)))
      )
        differences.push(`${name}: differs from the fresh build`);
    }
  }
  if (differences.length > 0) {
    console.error('Committed dist/ differs from a fresh build (run `npm run bundle` and commit dist/):');
    for (const difference of differences) console.error(`  ${difference}`);
    process.exitCode = 1;
  } else console.log('dist/ matches its source for every action and the twin.');
}

function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath ?? entry.path, entry.name)))
    .sort();
}
