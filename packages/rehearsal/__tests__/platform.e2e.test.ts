/**
 * The example platform's workflow files (examples/workflows/) rehearsed end to end on the AWS
 * twin, through this suite's reusable workflows and bundled actions, under customer traffic: a
 * good release through staging and production, a release stopped by the gate, and one the monitor
 * rolls back. The rollbacks by the workflow and by hand are in platform-rollbacks.e2e.
 */
import { describe, expect, it } from '@jest/globals';
import { findJob, findStep, formatRehearsal } from '../src/report.js';
import { platformPerTest, REGISTRY, throughStaging } from './platform-stories.js';

const setUp = platformPerTest();
const errorsOf = (tally: { byStatus: Record<string, number> }) =>
  Object.entries(tally.byStatus)
    .filter(([status]) => Number(status) >= 500)
    .reduce((sum, [, count]) => sum + count, 0);

describe('the example platform, rehearsed on the twin', () => {
  it('takes a good release through staging (develop) and, after a merge commit, production (main): one image, built once', async () => {
    const platform = await setUp();
    platform.commit('a good release');
    const tag = platform.tagOf('svc-portal');
    const staging = await platform.run({
      workflow: 'platform.yml',
      event: 'push',
      ref: 'refs/heads/develop',
    });
    expect(findJob(staging.record, 'staging (svc-portal)')?.outputs.outcome).toBe('promoted');
    expect(findJob(staging.record, 'production')?.result).toBe('skipped');
    expect(platform.live('staging', 'svc-portal').image).toBe(`${REGISTRY}/svc-portal:${tag}`);
    // No customer request failed, wherever it could have (the assertion names where one did, and
    // for a request with no answer, the client's error).
    const { failedBy, errors } = staging.customers['svc-portal']!;
    expect({ failedBy, errors }).toEqual({
      failedBy: { application: 0, 'load balancer': 0, 'no answer': 0 },
      errors: {},
    });

    // A merge commit: a new commit on main with develop's files; the content tag is the same.
    platform.merge('Merge pull request #12 from mpac/develop');
    expect(platform.tagOf('svc-portal')).toBe(tag);
    const production = await platform.run({
      workflow: 'platform.yml',
      event: 'push',
      ref: 'refs/heads/main',
    });
    expect(findJob(production.record, 'production (svc-portal)')?.outputs).toMatchObject({
      outcome: 'promoted',
      'live-color': 'green',
      image: `${REGISTRY}/svc-portal:${tag}`,
    });
    // Build once: main found develop's image of the same files in ECR and pushed nothing new.
    const image = findStep(production.record, 'build/build/image')!;
    expect(image.log).toMatch(/already exists \(sha256:[0-9a-f]{64}\): reusing it, nothing was built/);
    expect(platform.live('production', 'svc-portal')).toEqual({
      image: `${REGISTRY}/svc-portal:${tag}`,
      weights: { blue: 0, green: 100 },
    });
    expect(findStep(production.record, 'production/deploy/passed')?.log).toMatch(
      new RegExp(`svc-portal:${tag} passed staging: deployment \\d+ of commit [0-9a-f]{7}\\.`),
    );
    const customers = production.customers['svc-portal']!;
    expect(customers.failed).toBe(0);
    expect({ failedBy: customers.failedBy, errors: customers.errors }).toEqual({
      failedBy: { application: 0, 'load balancer': 0, 'no answer': 0 },
      errors: {},
    });
    expect(customers.byVersion[tag]).toBeGreaterThan(0);
    expect(production.notifications).toEqual([
      expect.stringMatching(
        /^✅ svc-portal promoted to production: all traffic on the new release, watched and healthy\ncommit [0-9a-f]{40}, image \S+svc-portal:tree-[0-9a-f]{40}\n/,
      ),
      expect.stringMatching(
        /^🗄️ svc-portal's DR standby \(production-standby \(ap-northeast-3\)\) runs the release/,
      ),
    ]);
    // Production's DR standby runs the same image, by the digest its own registry holds, at its count.
    expect(platform.releaseOf(platform.standby('svc-portal').image)).toBe(
      platform.releaseOf(`${REGISTRY}/svc-portal:${tag}`),
    );
    expect(platform.standby('svc-portal')).toMatchObject({ desiredCount: 1, runningCount: 1 });
    expect(
      production.deployments.map((deployment) => deployment.statuses.map((status) => status.state)),
    ).toEqual([['in_progress', 'success']]);
    // The rehearsal says what it did not run itself.
    const report = formatRehearsal(production.record).join('\n');
    expect(report).toContain(
      'Third-party actions not run (counted as success): actions/setup-python, docker/setup-buildx-action',
    );
    expect(report).toContain('python/test');
    expect(report).toMatch(/step-bake: 5m → 2s/);
  }, 240_000);

  it('rolls back a release that fails customers at 5 %, caught by the gate in staging, and says so', async () => {
    const platform = await setUp();
    platform.commit('a release whose orders endpoint answers 500');
    const run = await platform.run({
      workflow: 'platform.yml',
      event: 'push',
      ref: 'refs/heads/develop',
      story: 'bad-image',
    });
    const deploy = findJob(run.record, 'staging (svc-portal)')!;
    expect(deploy.outputs.outcome).toBe('rolled-back-by-gate');
    expect(deploy.outputs.reason).toMatch(/^Gate failed at 5 %: error rate 100\.00 % > 5 %/);
    // The smoke tests on the test listener passed: /health and /version were fine; customers were not.
    expect(findStep(run.record, 'staging/deploy/smoke-test-listener')?.conclusion).toBe('success');
    expect(platform.live('staging', 'svc-portal').image).toBe('svc-portal:v1');
    expect(platform.live('staging', 'svc-portal').weights).toEqual({ blue: 100, green: 0 });
    const customers = run.customers['svc-portal']!;
    expect(customers.failed).toBe(0);
    // Only the customers routed to the new release during the 5 % step saw an error.
    expect(errorsOf(customers) / customers.sent).toBeLessThan(0.05);
    expect(run.notifications).toEqual([
      expect.stringMatching(
        /^↩️ svc-portal rolled back in staging by a traffic gate: customers are on the previous release\n.*Why: Gate failed at 5 %/s,
      ),
    ]);
    expect(run.deployments.map((deployment) => deployment.statuses.at(-1)?.state)).toEqual(['failure']);
    // A failed deploy job brings the recovery job, which finds traffic settled and changes nothing.
    expect(findJob(run.record, 'staging/recovery')?.result).toBe('success');
  }, 240_000);

  it('lets the monitor roll back a release that breaks after the cutover, and marks its deployment failed', async () => {
    const platform = await setUp();
    await throughStaging(platform, 'a release that breaks under full load');
    const run = await platform.run({
      workflow: 'platform.yml',
      event: 'push',
      ref: 'refs/heads/main',
      story: 'breaks-after-cutover',
    });
    const deploy = findJob(run.record, 'production (svc-portal)')!;
    expect(deploy.outputs.outcome).toBe('rolled-back-by-monitor');
    expect(deploy.outputs.reason).toMatch(/checks in a row failed/);
    expect(findStep(run.record, 'production/deploy/rollback')?.outcome).toBe('skipped');
    expect(platform.live('production', 'svc-portal')).toEqual({
      image: 'svc-portal:v1',
      weights: { blue: 100, green: 0 },
    });
    expect(run.notifications).toEqual([
      expect.stringMatching(/^↩️ svc-portal rolled back in production by the monitor after the cutover/),
    ]);
    expect(run.deployments.map((deployment) => deployment.statuses.map((status) => status.state))).toEqual([
      ['in_progress', 'success', 'failure'],
    ]);
  }, 240_000);
});
