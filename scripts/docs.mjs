#!/usr/bin/env node
// Writes each action's inputs and outputs tables into its README from action.yml, between
// <!-- inputs --> / <!-- outputs --> markers, and the root <name>/action.yml that makes
// `uses: mpac/actions/<name>@v1` resolve (as github/codeql-action's init/action.yml points at
// ../lib): the source action.yml with runs pointing at ../actions/<name>/dist.
// `--check` fails when a README or a root action.yml is out of date.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const root = path.resolve(import.meta.dirname, '..');
const check = process.argv.includes('--check');
const cell = (text) =>
  String(text ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ');
let stale = [];
const noDataTable = readFileSync(path.join(root, 'docs/no-data.md'), 'utf8').trim();

for (const name of readdirSync(path.join(root, 'actions'))) {
  const dir = path.join(root, 'actions', name);
  const readmePath = path.join(dir, 'README.md');
  if (!existsSync(path.join(dir, 'action.yml')) || !existsSync(readmePath)) continue;
  const action = parse(readFileSync(path.join(dir, 'action.yml'), 'utf8'));
  const inputs = Object.entries(action.inputs ?? {}).map(
    ([input, spec]) =>
      `| \`${input}\` | ${spec.required ? 'yes' : 'no'} | ${spec.default === undefined ? '' : `\`${cell(spec.default)}\``} | ${cell(spec.description)} |`,
  );
  const outputs = Object.entries(action.outputs ?? {}).map(
    ([output, spec]) => `| \`${output}\` | ${cell(spec.description)} |`,
  );
  const tables = {
    inputs: ['| input | required | default | description |', '|---|---|---|---|', ...inputs].join('\n'),
    outputs: ['| output | description |', '|---|---|', ...outputs].join('\n'),
    // One table for what `no-data` means, the same in every README that shows it.
    'no-data': noDataTable,
  };
  const before = readFileSync(readmePath, 'utf8');
  let after = before;
  for (const [marker, table] of Object.entries(tables)) {
    const pattern = new RegExp(`<!-- ${marker} -->[\\s\\S]*?<!-- /${marker} -->`);
    after = after.replace(pattern, `<!-- ${marker} -->\n${table}\n<!-- /${marker} -->`);
  }
  if (after !== before) {
    if (check) stale.push(`actions/${name}/README.md`);
    else writeFileSync(readmePath, after);
  }

  const rootAction = path.join(root, name, 'action.yml');
  const wanted = rootActionYaml(name, readFileSync(path.join(dir, 'action.yml'), 'utf8'));
  const current = existsSync(rootAction) ? readFileSync(rootAction, 'utf8') : undefined;
  if (current !== wanted) {
    if (check) stale.push(`${name}/action.yml`);
    else {
      mkdirSync(path.dirname(rootAction), { recursive: true });
      writeFileSync(rootAction, wanted);
    }
  }
}

/** The published copy of an action's metadata, with its entry points one folder up. */
function rootActionYaml(name, source) {
  const header = `# Generated from actions/${name}/action.yml by \`npm run docs\`; edit that file, not this one.\n# This copy makes \`uses: mpac/actions/${name}@v1\` resolve; the bundle stays in actions/${name}/dist.\n`;
  const body = source.replace(/^( {2}(?:main|post): )dist\//gm, `$1../actions/${name}/dist/`);
  if (body === source) throw new Error(`actions/${name}/action.yml has no runs.main of dist/…`);
  return header + body;
}
if (stale.length > 0) {
  console.error(`Out of date with action.yml (run npm run docs): ${stale.join(', ')}`);
  process.exit(1);
}
