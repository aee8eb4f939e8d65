/**
 * Build once, for real, on the strict rehearsal of the example: images are tagged by content (the
 * git tree of the service's folder), production deploys only a release that passed staging, and a
 * push deploys only the services whose content changed.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { startPlatform, type Platform } from '../src/platform.js';
import { findJob, findStep } from '../src/report.js';

let platform: Platform | undefined;
afterEach(async () => {
  await platform?.close();
  platform = undefined;
});

describe('build once, promote what passed', () => {
  it('refuses in production a release staging never ran, before anything in AWS changes, and says which', async () => {
    platform = await startPlatform({ services: ['svc-portal'] });
    platform.commit('a hotfix pushed straight to main');
    const tag = platform.tagOf('svc-portal');
    const before = platform.twins.production.calls.actions().length;
    const run = await platform.run({ workflow: 'platform.yml', event: 'push', ref: 'refs/heads/main' });
    const deploy = findJob(run.record, 'production (svc-portal)/deploy')!;
    expect(deploy.result).toBe('failure');
    expect(
      findStep(run.record, 'production/deploy/passed')?.annotations.map((entry) => entry.message),
    ).toEqual([
      `123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/svc-portal:${tag} never ran in staging: no staging deployment of svc-portal released it. Nothing was deployed; push the change to the branch that deploys staging first.`,
    ]);
    expect(findStep(run.record, 'production/deploy/prepare')?.outcome).toBe('skipped');
    const changes = platform.twins.production.calls
      .actions()
      .slice(before)
      .filter((action) => /:(Register|Update|Run|Create|Modify|Stop)/.test(action));
    expect(changes).toEqual([]);
    expect(platform.live('production', 'svc-portal').image).toBe('svc-portal:v1');
    expect(run.notifications).toEqual([
      expect.stringMatching(
        /failed before any customer traffic moved in production.*Why: this release did not pass the earlier environment/s,
      ),
    ]);
  }, 240_000);

  it('promotes in production, after a squash merge, the very image staging ran: nothing rebuilt', async () => {
    platform = await startPlatform({ services: ['svc-portal'] });
    const developSha = platform.commit('a release merged by squash');
    const tag = platform.tagOf('svc-portal');
    const staging = await platform.run({
      workflow: 'platform.yml',
      event: 'push',
      ref: 'refs/heads/develop',
    });
    expect(findJob(staging.record, 'staging (svc-portal)')?.outputs.outcome).toBe('promoted');
    const stagingDigest = findStep(staging.record, 'build/build/image')?.outputs.digest;
    expect(stagingDigest).toMatch(/^sha256:[0-9a-f]{64}$/);

    // A squash: one new commit on main whose only parent is main; develop's commit is not in its history.
    const squashed = platform.merge('a release merged by squash (#31)', 'squash');
    expect(squashed).not.toBe(developSha);
    expect(platform.tagOf('svc-portal')).toBe(tag);
    const production = await platform.run({
      workflow: 'platform.yml',
      event: 'push',
      ref: 'refs/heads/main',
    });
    expect(findJob(production.record, 'production (svc-portal)')?.outputs).toMatchObject({
      outcome: 'promoted',
      image: `123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/svc-portal:${tag}`,
    });
    const image = findStep(production.record, 'build/build/image')!;
    expect(image.log).toMatch(/already exists \(sha256:[0-9a-f]{64}\): reusing it, nothing was built/);
    expect(image.outputs.digest).toBe(stagingDigest);
    expect(platform.live('production', 'svc-portal').image).toBe(
      `123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/svc-portal:${tag}`,
    );
  }, 240_000);

  it('deploys only the services whose content changed, and says why each was or was not', async () => {
    platform = await startPlatform({ services: ['svc-portal', 'frontend'] });
    platform.commit('a release of both');
    const first = await platform.run({ workflow: 'platform.yml', event: 'push', ref: 'refs/heads/develop' });
    // The whole outputs, so that a failure shows the reason too.
    expect(findJob(first.record, 'staging (svc-portal)')?.outputs).toMatchObject({ outcome: 'promoted' });
    expect(findJob(first.record, 'staging (frontend)')?.outputs).toMatchObject({ outcome: 'promoted' });

    platform.commit('a change to the frontend only', { services: ['frontend'] });
    const portalTag = platform.tagOf('svc-portal');
    const second = await platform.run({ workflow: 'platform.yml', event: 'push', ref: 'refs/heads/develop' });
    expect(findJob(second.record, 'staging (frontend)')?.outputs.outcome).toBe('promoted');
    expect(findJob(second.record, 'staging (svc-portal)')).toBeUndefined();
    expect(findJob(second.record, 'build (svc-portal)')).toBeUndefined();
    const plan = findStep(second.record, 'services/plan')!;
    expect(plan.summary).toMatch(
      new RegExp(`- svc-portal: staging already runs ${portalTag} \\(deployment \\d+\\): skipped`),
    );
    expect(plan.summary).toMatch(/- frontend: tree-[0-9a-f]{40} changed, deployed to staging/);
    expect(second.notifications).toEqual([expect.stringMatching(/^✅ frontend promoted to staging/)]);

    // A dispatch can force a service whatever its environment runs.
    const forced = await platform.run({
      workflow: 'platform.yml',
      event: 'workflow_dispatch',
      ref: 'refs/heads/develop',
      inputs: { services: 'svc-portal' },
    });
    expect(findStep(forced.record, 'services/plan')!.summary).toMatch(
      /- svc-portal: tree-[0-9a-f]{40}, deployed because it was asked for/,
    );
    // The live colour already runs that very release: the deploy says so and moves nothing.
    expect(findJob(forced.record, 'staging (svc-portal)')?.outputs.outcome).toBe('unchanged');
    expect(forced.notifications).toEqual([
      expect.stringMatching(/^ℹ️ svc-portal in staging already runs this release: nothing was changed/),
    ]);
    expect(findJob(forced.record, 'staging (frontend)')).toBeUndefined();
  }, 400_000);
});
