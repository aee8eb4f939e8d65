/**
 * Every `uses: mpac/actions/…` written anywhere in the repository (READMEs, examples, workflows,
 * docs) resolves the way GitHub resolves it: `owner/repo/path@ref` is the folder `path` with an
 * action.yml whose entry points exist, and `owner/repo/.github/workflows/x.yml@ref` is a reusable
 * workflow (on: workflow_call). `./path` in this repository's own workflows is checked the same way.
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

const root = path.resolve(import.meta.dirname, '../..');
const files = execFileSync(
  'git',
  ['ls-files', '--cached', '--others', '--exclude-standard', '*.md', '*.yml', '*.yaml'],
  {
    cwd: root,
    encoding: 'utf8',
  },
)
  .split('\n')
  .filter((file) => file && !file.includes('node_modules/') && existsSync(path.join(root, file)));

interface Reference {
  file: string;
  line: number;
  uses: string;
}

function references(): Reference[] {
  const found: Reference[] = [];
  for (const file of files) {
    readFileSync(path.join(root, file), 'utf8')
      .split('\n')
      .forEach((text, index) => {
        const match = /uses:\s*["']?((?:mpac\/actions\/|\.\/)[^\s"'#]+)/.exec(text);
        // `<name>` is a placeholder in prose, not a reference.
        if (match && !match[1]!.includes('<')) found.push({ file, line: index + 1, uses: match[1]! });
      });
  }
  return found;
}

/** Why a reference does not resolve, or undefined when it does. */
export function problemWith(uses: string): string | undefined {
  const local = uses.startsWith('./');
  const [target, ref] = local ? [uses.slice(2), undefined] : uses.slice('mpac/actions/'.length).split('@');
  if (!local && !ref) return 'has no @ref';
  if (!target) return 'names no path (mpac/actions@v1 is the repository root, which has no action)';
  if (target.startsWith('actions/'))
    return `names the source folder; use the published path mpac/actions/${target.slice('actions/'.length)}@${ref}`;
  if (/\.ya?ml$/.test(target)) {
    if (!target.startsWith('.github/workflows/'))
      return 'a reusable workflow must live in .github/workflows/';
    const file = path.join(root, target);
    if (!existsSync(file)) return `${target} does not exist`;
    const workflow = parseYaml(readFileSync(file, 'utf8')) as { on?: Record<string, unknown> };
    return workflow.on && 'workflow_call' in workflow.on
      ? undefined
      : `${target} is not callable (no on.workflow_call)`;
  }
  const metadataFile = ['action.yml', 'action.yaml']
    .map((name) => path.join(root, target, name))
    .find(existsSync);
  if (!metadataFile) return `${target}/ has no action.yml`;
  const metadata = parseYaml(readFileSync(metadataFile, 'utf8')) as {
    runs: { using: string; main?: string; post?: string };
  };
  for (const entry of [metadata.runs.main, metadata.runs.post].filter(Boolean) as string[]) {
    const resolved = path.resolve(path.dirname(metadataFile), entry);
    if (!resolved.startsWith(root + path.sep)) return `${entry} points outside the repository`;
    if (!existsSync(resolved)) return `${path.relative(root, resolved)} does not exist`;
  }
  return undefined;
}

describe('uses: references', () => {
  const found = references();

  it('finds the references the documentation and examples make', () => {
    expect(found.length).toBeGreaterThan(10);
    expect(found.map((reference) => reference.uses)).toContain('mpac/actions/blue-green-deploy@v1');
  });

  it('resolves every one of them as GitHub would', () => {
    const broken = found
      .map((reference) => ({ ...reference, problem: problemWith(reference.uses) }))
      .filter((reference) => reference.problem)
      .map((reference) => `${reference.file}:${reference.line} ${reference.uses}: ${reference.problem}`);
    expect(broken).toEqual([]);
  });

  it('refuses what GitHub would refuse', () => {
    expect(problemWith('mpac/actions/coverage-gate@v1')).toBeUndefined();
    expect(problemWith('mpac/actions/notify@v1')).toBeUndefined();
    expect(problemWith('mpac/actions/actions/coverage-gate@v1')).toBe(
      'names the source folder; use the published path mpac/actions/coverage-gate@v1',
    );
    expect(problemWith('mpac/actions/deploy@v1')).toBe('deploy/ has no action.yml');
    expect(problemWith('mpac/actions/blue-green-deploy')).toBe('has no @ref');
    expect(problemWith('mpac/actions/.github/workflows/ci.yml@v1')).toBe(
      '.github/workflows/ci.yml is not callable (no on.workflow_call)',
    );
  });
});
