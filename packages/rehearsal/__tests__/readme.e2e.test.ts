/**
 * The usage example of each action's README, as copied, run on the twin: each block becomes the
 * one job of a workflow, with only what it refers to and does not show around it (the build job
 * whose output it reads, the environment it deploys to, the repository variables it names, the
 * files it points at), and is rehearsed like any workflow file.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  languageStubs,
  startPlatform,
  SUITE_ROOT,
  type Platform,
  type PlatformRun,
} from '../src/platform.js';
import { exampleWorkflow, readmeExamples, yamlBlocks } from '../src/readme.js';
import { findJob } from '../src/report.js';

const REGISTRY = '123456789012.dkr.ecr.ap-northeast-1.amazonaws.com';
let platform: Platform;
let sha: string;
let vars: Record<string, string>;

const example = (action: string, index = 0) =>
  readmeExamples(path.join(SUITE_ROOT, 'actions', action, 'README.md'))[index]!;

async function rehearseExample(
  name: string,
  workflow: string,
  ref = 'refs/heads/main',
): Promise<PlatformRun> {
  const file = path.join(platform.workspace, '.github', 'workflows', `${name}.yml`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, workflow);
  return platform.run({ workflow: file, event: 'push', ref, vars });
}

beforeAll(async () => {
  platform = await startPlatform({ services: ['svc-portal'] });
  const workspace = platform.workspace;
  // A service repository as the READMEs picture it: its task definition and its smoke checks.
  mkdirSync(path.join(workspace, 'deploy'), { recursive: true });
  copyFileSync(
    path.join(workspace, 'services/svc-portal/deploy/task-definition.json'),
    path.join(workspace, 'deploy/task-definition.json'),
  );
  mkdirSync(path.join(workspace, '.github/smoke'), { recursive: true });
  // The README's checks file reads the commit from `vars: SHA=…` (its images are tagged with the
  // commit); the example platform's reads the content tag as RELEASE.
  writeFileSync(
    path.join(workspace, '.github/smoke/portal.yml'),
    readFileSync(path.join(workspace, 'services/svc-portal/deploy/smoke.yml'), 'utf8').replaceAll(
      'env.RELEASE',
      'env.SHA',
    ),
  );
  sha = platform.commit('the README examples, as copied');
  const production = platform.twins.production.resources['svc-portal']!;
  vars = {
    PORTAL_RULE_ARN: production.productionRuleArn,
    PORTAL_TEST_RULE_ARN: production.testRuleArn!,
    PORTAL_URL: production.productionUrl,
    TEST_LISTENER_URL: production.testUrl!,
    DEPLOY_ROLE_ARN: 'arn:aws:iam::123456789012:role/deploy-production',
  };
}, 60_000);

afterAll(async () => {
  await platform?.close();
});

describe('each README usage example, run as copied', () => {
  it('covers them all: one usage example per action README, each run below', () => {
    const counts = Object.fromEntries(
      readdirSync(path.join(SUITE_ROOT, 'actions'), { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && entry.name !== '__tests__')
        .map((entry) => [
          entry.name,
          readmeExamples(path.join(SUITE_ROOT, 'actions', entry.name, 'README.md')).length,
        ]),
    );
    expect(counts).toEqual({
      'blue-green-deploy': 1,
      'coverage-gate': 1,
      'ecr-push': 1,
      'monitor-rollback': 1,
      'smoke-test': 1,
    });
  });

  it('ecr-push builds and pushes the commit’s image', async () => {
    const run = await rehearseExample('ecr-push', exampleWorkflow(example('ecr-push')));
    const job = findJob(run.record, 'example')!;
    expect(job.result).toBe('success');
    expect(job.steps.find((step) => step.id === 'image')?.outputs['image-uri']).toMatch(
      new RegExp(`^${REGISTRY}/svc-portal@sha256:[0-9a-f]{64}$`),
    );
  }, 120_000);

  it('blue-green-deploy promotes the image the build job made, through 5/50/100', async () => {
    const run = await rehearseExample(
      'blue-green-deploy',
      exampleWorkflow(example('blue-green-deploy'), {
        build: { 'image-uri': `${REGISTRY}/svc-portal:${sha}` },
        environment: 'production',
      }),
    );
    const job = findJob(run.record, 'example')!;
    expect(job.result).toBe('success');
    expect(job.steps[0]!.outputs).toMatchObject({ outcome: 'promoted', 'test-listener-color': 'green' });
    expect(platform.live('production', 'svc-portal')).toEqual({
      image: `${REGISTRY}/svc-portal:${sha}`,
      weights: { blue: 0, green: 100 },
    });
    expect(run.customers['svc-portal']!.failed).toBe(0);
  }, 180_000);

  it('smoke-test waits for the commit on the test listener, then runs the checks file', async () => {
    const run = await rehearseExample(
      'smoke-test',
      exampleWorkflow(example('smoke-test'), { environment: 'production' }),
    );
    const job = findJob(run.record, 'example')!;
    expect(job.result).toBe('success');
    expect(job.steps[0]!.outputs).toMatchObject({ passed: '2', failed: '0' });
    expect(readFileSync(path.join(platform.workspace, 'smoke-junit.xml'), 'utf8')).toContain('failures="0"');
  }, 120_000);

  it('monitor-rollback watches the release (its hour scaled to seconds) and finds it healthy', async () => {
    const run = await rehearseExample(
      'monitor-rollback',
      exampleWorkflow(example('monitor-rollback'), { environment: 'production' }),
    );
    const job = findJob(run.record, 'example')!;
    expect(job.result).toBe('success');
    expect(job.steps[0]!.outputs).toMatchObject({ outcome: 'healthy', 'live-color': 'green' });
    expect(job.steps[0]!.overridden).toContain('monitor-rollback duration: 1h → 10s');
  }, 120_000);

  it('coverage-gate merges the three languages’ reports with the README’s config', async () => {
    // The reports the services' test steps write (stand-ins here: the toolchains are not on this machine).
    const stubs = languageStubs();
    for (const [dir, stub] of [
      ['services/svc-portal', stubs['python/test']],
      ['services/svc-smarttab', stubs['go/test']],
      ['frontend', stubs['typescript/test']],
    ] as const)
      execFileSync('bash', ['-c', stub!], { cwd: path.join(platform.workspace, dir) });
    const configBlock = yamlBlocks(path.join(SUITE_ROOT, 'actions/coverage-gate/README.md')).find((block) =>
      block.startsWith('# .github/coverage.yml'),
    )!;
    expect(parseYaml(configBlock)).toMatchObject({
      components: [{ name: 'svc-portal' }, { name: 'frontend' }],
    });
    writeFileSync(path.join(platform.workspace, '.github/coverage.yml'), configBlock);
    const run = await rehearseExample('coverage-gate', exampleWorkflow(example('coverage-gate')));
    const job = findJob(run.record, 'example')!;
    expect(job.result).toBe('success');
    expect(job.steps.find((step) => step.kind === 'action')?.outputs).toMatchObject({ passed: 'true' });
  }, 120_000);
});
