/**
 * What users copy: every usage example in the READMEs and every step of the workflow files that
 * uses one of this suite's actions, read by GitHub's parser, gives only inputs the action declares
 * (GitHub merely warns about the others, and the value is lost) and every input it requires.
 */
import { describe, expect, it } from '@jest/globals';
import { isMapping, isString } from '@actions/workflow-parser';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exampleWorkflow, readmeExamples } from '../src/readme.js';
import { at, loadAction, loadWorkflow, resolveUses, type LoadedWorkflow } from '../src/workflow.js';

const root = path.resolve(import.meta.dirname, '../../..');

interface SuiteStep {
  where: string;
  action: string;
  given: string[];
}

function suiteSteps(loaded: LoadedWorkflow, where: string): SuiteStep[] {
  const found: SuiteStep[] = [];
  for (const job of loaded.template.jobs) {
    if (job.type !== 'job') continue;
    job.steps.forEach((step, index) => {
      if (!('uses' in step)) return;
      const target = resolveUses(step.uses.value, { suiteRoot: root, workspace: root });
      if (target.kind !== 'suite-action') return;
      const given = at(loaded.root, 'jobs', job.id.value, 'steps', index, 'with');
      const keys =
        given && isMapping(given) ? [...given].map((pair) => (isString(pair.key) ? pair.key.value : '')) : [];
      found.push({ where: `${where} ${job.id.value}/${step.id}`, action: target.name, given: keys });
    });
  }
  return found;
}

function problemsOf(steps: SuiteStep[]): string[] {
  const problems: string[] = [];
  for (const step of steps) {
    const inputs = loadAction(path.join(root, step.action)).template.inputs ?? [];
    for (const name of step.given)
      if (!inputs.some((input) => input.id === name))
        problems.push(`${step.where}: ${step.action} has no input '${name}'`);
    for (const input of inputs)
      if (input.required && !step.given.includes(input.id))
        problems.push(`${step.where}: ${step.action} needs '${input.id}'`);
  }
  return problems;
}

describe('examples and workflows give each action only inputs it has, and all it needs', () => {
  it('holds for every README usage example', async () => {
    const readmes = [
      path.join(root, 'README.md'),
      ...readdirSync(path.join(root, 'actions')).map((name) => path.join(root, 'actions', name, 'README.md')),
    ];
    const dir = mkdtempSync(path.join(tmpdir(), 'readme-examples-'));
    try {
      const steps: SuiteStep[] = [];
      for (const readme of readmes.filter(
        (file) => existsSync(file) && readFileSync(file, 'utf8').includes('```yaml'),
      )) {
        for (const [index, block] of readmeExamples(readme).entries()) {
          const file = path.join(dir, `${path.basename(path.dirname(readme))}-${index}.yml`);
          writeFileSync(file, exampleWorkflow(block));
          steps.push(...suiteSteps(await loadWorkflow(file), path.relative(root, readme)));
        }
      }
      expect(new Set(steps.map((step) => step.action))).toEqual(
        new Set(['blue-green-deploy', 'coverage-gate', 'ecr-push', 'monitor-rollback', 'smoke-test']),
      );
      expect(problemsOf(steps)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('holds for every step of the workflow files', async () => {
    const files = ['.github/workflows', 'examples/workflows'].flatMap((dir) =>
      readdirSync(path.join(root, dir))
        .filter((name) => /\.ya?ml$/.test(name))
        .map((name) => path.join(root, dir, name)),
    );
    const steps: SuiteStep[] = [];
    for (const file of files) steps.push(...suiteSteps(await loadWorkflow(file), path.relative(root, file)));
    expect(steps.length).toBeGreaterThan(10);
    expect(problemsOf(steps)).toEqual([]);
  });

  it('catches an input the action does not have', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'readme-examples-'));
    try {
      const file = path.join(dir, 'typo.yml');
      writeFileSync(
        file,
        exampleWorkflow('- uses: mpac/actions/smoke-test@v1\n  with:\n    urll: https://x.example\n'),
      );
      expect(problemsOf(suiteSteps(await loadWorkflow(file), 'typo'))).toEqual([
        "typo example/__mpac_actions: smoke-test has no input 'urll'",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
