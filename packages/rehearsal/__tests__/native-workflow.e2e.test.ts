/**
 * The reusable deploy workflow with `strategy: ecs-native`, rehearsed on the twin under customer
 * traffic: arm the release alarms, prepare to the post-test pause, smoke tests on the test listener,
 * shift through ECS's steps with the suite's judge, end the job in ECS's bake, and the `verdict`
 * job reads how ECS's watch ended; a bad release is rolled back at the 100 % judge; rollback.yml
 * takes an ecs-native service back to its previous revision.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTwin, type Twin } from '../../aws-twin/src/index.js';
import { PORTAL_TASK_DEFINITION } from '../../shared/testing/task-definition.js';
import { SUITE_ROOT } from '../src/platform.js';
import { findJob, findStep } from '../src/report.js';
import { rehearse } from '../src/rehearse.js';
import { startStandIns, type StandIns } from '../src/stand-ins.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

const ROLE = 'arn:aws:iam::123456789012:role/mpac-deploy-production';
const SMOKE = `- name: serves the release being deployed
  path: /version
  expect:
    status: 200
    body: { equals: '\${{ env.RELEASE }}' }
`;

async function setUp() {
  const twin: Twin = await startTwin({
    images: {
      'svc-portal:v1': { version: 'v1' },
      'svc-portal:v2': { version: 'v2' },
      'svc-portal:v3': { version: 'v3', errorRate: 1 },
    },
    metrics: { periodSeconds: 1, publicationDelaySeconds: 1 },
    timing: { minuteMs: 2000 },
    ecsNative: [{ name: 'svc-portal', image: 'svc-portal:v1', desiredCount: 2, strategy: 'BLUE_GREEN' }],
  });
  const standIns: StandIns = await startStandIns();
  const portal = twin.native['svc-portal']!;
  const workspace = mkdtempSync(path.join(tmpdir(), 'mpac-native-workflow-'));
  mkdirSync(path.join(workspace, '.github/workflows'), { recursive: true });
  mkdirSync(path.join(workspace, 'deploy'));
  writeFileSync(path.join(workspace, 'deploy/task-definition.json'), JSON.stringify(PORTAL_TASK_DEFINITION));
  writeFileSync(path.join(workspace, 'deploy/smoke.yml'), SMOKE);
  writeFileSync(
    path.join(workspace, '.github/workflows/deploy.yml'),
    `name: deploy
on:
  workflow_dispatch:
    inputs:
      image: { type: string, required: true }
      watch: { type: string, default: 1m }
jobs:
  production:
    permissions: { contents: read, id-token: write, deployments: write, actions: read }
    uses: mpac/actions/.github/workflows/deploy-blue-green.yml@v1
    with:
      strategy: ecs-native
      environment: production
      image-uri: \${{ inputs.image }}
      service: svc-portal
      cluster: ${portal.cluster}
      task-definition: deploy/task-definition.json
      container-name: app
      test-base-url: ${portal.testUrl}
      production-url: ${portal.productionUrl}
      smoke-checks-file: deploy/smoke.yml
      monitor-duration: \${{ inputs.watch }}
      aws-region: eu-west-1
      role-to-assume: ${ROLE}
    secrets:
      slack-webhook-url: \${{ secrets.SLACK_WEBHOOK_URL }}
`,
  );
  writeFileSync(
    path.join(workspace, '.github/workflows/back.yml'),
    `name: back
on: workflow_dispatch
jobs:
  rollback:
    permissions: { contents: read, id-token: write, deployments: write }
    uses: mpac/actions/.github/workflows/rollback.yml@v1
    with:
      environment: production
      strategy: ecs-native
      service: svc-portal
      cluster: ${portal.cluster}
      reason: the release misbehaves
      aws-region: eu-west-1
      role-to-assume: ${ROLE}
`,
  );
  const git = (...args: string[]) => execFileSync('git', args, { cwd: workspace, encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'main');
  git('-c', 'user.name=dev', '-c', 'user.email=dev@example.com', 'add', '-A');
  git('-c', 'user.name=dev', '-c', 'user.email=dev@example.com', 'commit', '-q', '-m', 'frontend');
  const customers = twin.traffic.start({
    url: portal.productionUrl,
    requestsPerSecond: 50,
    maxDurationMs: 300_000,
  });
  cleanup = async () => {
    await customers.stop();
    await standIns.close();
    await twin.close();
    rmSync(workspace, { recursive: true, force: true });
  };
  let runId = 9100;
  const run = (
    workflow: string,
    inputs: Record<string, string> = {},
    beforeStep?: Parameters<typeof rehearse>[0]['beforeStep'],
  ) =>
    rehearse({
      beforeStep,
      workflow: path.join(workspace, '.github/workflows', workflow),
      suiteRoot: SUITE_ROOT,
      workspace,
      event: { name: 'workflow_dispatch', inputs },
      ref: 'refs/heads/main',
      sha: git('rev-parse', 'HEAD'),
      repository: 'mpac/platform',
      runId: runId++,
      secrets: { SLACK_WEBHOOK_URL: standIns.slackWebhookUrl },
      githubTokenFor: (permissions) => standIns.githubTokenFor(permissions),
      oidcFor: (claims) => standIns.oidcFor(claims),
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? workspace,
        GITHUB_API_URL: standIns.githubApiUrl,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...twin.env,
      },
      overrides: {
        'blue-green-deploy': {
          'step-bake': '2s',
          'max-bake': '4s',
          'metric-period': '1s',
          'metric-delay': '1s',
          'wait-timeout': '60s',
        },
        'monitor-rollback': { 'metric-period': '10s', interval: '1s' },
      },
      stepTimeoutMs: 120_000,
    });
  const version = async () =>
    (await fetch(portal.productionUrl, { signal: AbortSignal.timeout(5000) })).headers.get('x-version');
  return { twin, standIns, run, version, customers };
}

describe('deploy-blue-green.yml and rollback.yml with strategy: ecs-native', () => {
  it('a good release: judged, promoted, the job ends in the bake, the verdict job reads a clean watch; rollback.yml takes it back', async () => {
    const { run, version, customers, standIns } = await setUp();
    const record = await run('deploy.yml', { image: 'svc-portal:v2' });
    const deploy = findJob(record, 'production/deploy')!;
    expect(deploy.result).toBe('success');
    expect(findStep(record, 'production/deploy/arm')?.outputs.alarms).toMatch(/-release-5xx-rate,/);
    expect(findStep(record, 'production/deploy/prepare')?.outputs.outcome).toBe('prepared');
    expect(findStep(record, 'production/deploy/smoke-test-listener')?.outcome).toBe('success');
    expect(findStep(record, 'production/deploy/shift')?.outputs.outcome).toBe('promoted');
    // The runner's watch does not run: ECS's does.
    expect(findStep(record, 'production/deploy/monitor')?.outcome).toBe('skipped');
    expect(findStep(record, 'production/deploy/outcome')?.outputs.outcome).toBe('promoted');
    const verdict = findJob(record, 'production/verdict')!;
    expect(verdict.result).toBe('success');
    expect(findStep(record, 'production/verdict/watch')?.outputs.outcome).toBe('healthy');
    expect(await version()).toBe('v2');
    expect(standIns.deployments.at(-1)?.statuses.at(-1)?.state).toBe('success');

    const back = await run('back.yml');
    expect(findStep(back, 'rollback/rollback/rollback')?.outputs.outcome).toBe('rolled-back');
    expect(await version()).toBe('v1');
    const tally = customers.tally();
    expect([
      tally.failedBy['load balancer'],
      tally.failedBy['no answer'],
      tally.failedBy.application,
    ]).toEqual([0, 0, 0]);
  }, 240_000);

  it('a release that fails customers: rolled back at the 100 % judge, the verdict job does not run, customers back on v1', async () => {
    const { run, version } = await setUp();
    const record = await run('deploy.yml', { image: 'svc-portal:v3' });
    expect(findJob(record, 'production/deploy')!.result).toBe('failure');
    expect(findStep(record, 'production/deploy/shift')?.outputs.outcome).toBe('rolled-back');
    expect(findStep(record, 'production/deploy/outcome')?.outputs.outcome).toBe('rolled-back-by-gate');
    expect(findJob(record, 'production/verdict')?.result).toBe('skipped');
    expect(await version()).toBe('v1');
  }, 240_000);

  it('a release that breaks in the bake: ECS rolls back by the release alarm with no job running; the verdict job says so, marks the deployment failed and notifies', async () => {
    const { run, version, twin, standIns } = await setUp();
    const record = await run('deploy.yml', { image: 'svc-portal:v2', watch: '30m' }, (where) => {
      // The deploy job is over and ECS bakes: the release starts failing customers.
      if (where.key === 'production/verdict/watch')
        twin.faults.changeImage('svc-portal:v2', { errorRate: 1 });
    });
    expect(findStep(record, 'production/deploy/outcome')?.outputs.outcome).toBe('promoted');
    expect(findJob(record, 'production/verdict')!.result).toBe('failure');
    const watch = findStep(record, 'production/verdict/watch')!;
    expect(watch.outputs.outcome).toBe('rolled-back');
    expect(watch.outputs.reason).toMatch(
      /ECS rolled back to the previous revision: .*-release-5xx-rate went into ALARM/,
    );
    expect(await version()).toBe('v1');
    expect(standIns.deployments.at(-1)?.statuses.at(-1)?.state).toBe('failure');
    expect(standIns.slackMessages.at(-1)).toMatch(/rolled back in production by the monitor/);
  }, 240_000);
});
