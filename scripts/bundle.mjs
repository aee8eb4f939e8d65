#!/usr/bin/env node
// Bundles every actions/<name>/src/index.ts into actions/<name>/dist, and the AWS twin into
// packages/aws-twin/dist, with ncc (ESM, minified, licenses file).
// `node scripts/bundle.mjs smoke-test` bundles one of them.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const requested = process.argv.slice(2);
const bundles = [
  ...readdirSync(path.join(root, 'actions'))
    .filter((name) => existsSync(path.join(root, 'actions', name, 'src', 'index.ts')))
    .map((name) => ({ name, dir: `actions/${name}` })),
  { name: 'aws-twin', dir: 'packages/aws-twin' },
].filter((bundle) => requested.length === 0 || requested.includes(bundle.name));
const unknown = requested.filter((name) => !bundles.some((bundle) => bundle.name === name));
if (unknown.length > 0) {
  console.error(`Nothing to bundle named ${unknown.join(', ')}`);
  process.exit(2);
}

function bundle({ dir }) {
  rmSync(path.join(root, dir, 'dist'), { recursive: true, force: true });
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        path.join(root, 'node_modules/@vercel/ncc/dist/ncc/cli.js'),
        'build',
        `${dir}/src/index.ts`,
        '-o',
        `${dir}/dist`,
        '-m',
        '--license',
        'licenses.txt',
        '-q',
      ],
      { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    child.on('close', (code) => {
      console.log(`${code === 0 ? 'bundled' : 'FAILED '} ${dir}/dist`);
      resolve(code === 0);
    });
  });
}

// Two at a time: ncc is CPU-bound and the machines have two cores.
const queue = [...bundles];
const results = [];
async function worker() {
  while (queue.length > 0) results.push(await bundle(queue.shift()));
}
await Promise.all([worker(), worker()]);
process.exit(results.every(Boolean) ? 0 : 1);
