#!/usr/bin/env node
// Bundles every actions/<name>/src/index.ts into actions/<name>/dist with ncc (ESM, minified,
// licenses file). `node scripts/bundle.mjs smoke-test` bundles one action.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const requested = process.argv.slice(2);
const actions = readdirSync(path.join(root, 'actions')).filter(
  (name) =>
    existsSync(path.join(root, 'actions', name, 'src', 'index.ts')) &&
    (requested.length === 0 || requested.includes(name)),
);
const unknown = requested.filter((name) => !actions.includes(name));
if (unknown.length > 0) {
  console.error(`No action named ${unknown.join(', ')} under actions/`);
  process.exit(2);
}

function bundle(name) {
  const dir = path.join(root, 'actions', name);
  rmSync(path.join(dir, 'dist'), { recursive: true, force: true });
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        path.join(root, 'node_modules/@vercel/ncc/dist/ncc/cli.js'),
        'build',
        `actions/${name}/src/index.ts`,
        '-o',
        `actions/${name}/dist`,
        '-m',
        '--license',
        'licenses.txt',
        '-q',
      ],
      { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    child.on('close', (code) => {
      console.log(`${code === 0 ? 'bundled' : 'FAILED '} actions/${name}/dist`);
      resolve(code === 0);
    });
  });
}

// Two at a time: ncc is CPU-bound and the machines have two cores.
const queue = [...actions];
const results = [];
async function worker() {
  while (queue.length > 0) results.push(await bundle(queue.shift()));
}
await Promise.all([worker(), worker()]);
process.exit(results.every(Boolean) ? 0 : 1);
