#!/usr/bin/env node
// Bundles every actions/<name>/src/index.ts into actions/<name>/dist, and the AWS twin into
// packages/aws-twin/dist, with ncc (ESM, minified, licenses file). An action loads its inputs first
// and the rest with import(), which ncc writes as a chunk beside index.js (`<id>.index.js`); ncc
// minifies only index.js, so the chunks are minified here with terser. ncc only transpiles (-t):
// `npm run typecheck` checks the types once for the whole project, and with tsconfig's
// `module: preserve` a transpiled module is the ESM it was written as, so the bundle is byte for
// byte what a type-checking build writes (checked when this changed), in a third of the time.
// `node scripts/bundle.mjs smoke-test` bundles one of them; `--out <dir>` writes every bundle under
// <dir> (as <dir>/actions/<name>/dist) instead of in place, which is how check-dist compares.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { minify } from 'terser';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
const out = outAt >= 0 ? path.resolve(args[outAt + 1] ?? '') : root;
if (outAt >= 0 && !args[outAt + 1]) {
  console.error('--out needs a directory to write the bundles under');
  process.exit(2);
}
const requested = args.filter((_, index) => outAt < 0 || (index !== outAt && index !== outAt + 1));
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

async function minifyChunks(dist) {
  for (const name of readdirSync(dist).filter((file) => /^\d+\.index\.js$/.test(file))) {
    const file = path.join(dist, name);
    try {
      const { code } = await minify(readFileSync(file, 'utf8'), {
        module: true,
        compress: true,
        mangle: true,
      });
      writeFileSync(file, code);
    } catch (error) {
      console.error(`terser could not minify ${file}: ${error.message}`);
      return false;
    }
  }
  return true;
}

function bundle({ dir }) {
  const dist = path.join(out, dir, 'dist');
  rmSync(dist, { recursive: true, force: true });
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        path.join(root, 'node_modules/@vercel/ncc/dist/ncc/cli.js'),
        'build',
        `${dir}/src/index.ts`,
        '-o',
        dist,
        '-m',
        '--license',
        'licenses.txt',
        '-q',
        '-t',
      ],
      { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    child.on('close', async (code) => {
      const ok = code === 0 && (await minifyChunks(dist));
      console.log(`${ok ? 'bundled' : 'FAILED '} ${path.relative(root, dist)}`);
      resolve(ok);
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
