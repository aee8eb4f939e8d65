/**
 * Two people for production, as the example enforces it on the strict rehearsal: a release
 * manager approves `production-approval`, an on-call SRE approves `production`; without the first
 * approval nothing deploys, and one person approving both is refused before anything in AWS
 * changes. The roles are the published templates: a recovery role cannot deploy.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CreateServiceCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { ENVIRONMENTS, startPlatform, type Platform } from '../src/platform.js';
import { findJob } from '../src/report.js';

let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform({ services: ['svc-portal'] });
}, 60_000);
afterAll(async () => {
  await platform?.close();
});

const productionCalls = () => platform.twins.production.calls.actions();

describe('two people for production', () => {
  it('deploys nothing without the release manager’s approval of production-approval', async () => {
    platform.commit('a release nobody approved');
    const before = productionCalls().length;
    const run = await platform.run({
      workflow: 'platform.yml',
      event: 'push',
      ref: 'refs/heads/main',
      protection: { approvals: { production: ['on-call-sre'] } },
    });
    const approval = findJob(run.record, 'production-approval')!;
    expect(approval.result).toBe('failure');
    expect(approval.refused).toMatch(
      /^Waiting for review: production-approval needs an approval from one of release-manager\./,
    );
    expect(findJob(run.record, 'production')?.result).toBe('skipped');
    // Nothing in the production account changed: no call but reads, none at all here.
    expect(productionCalls().slice(before)).toEqual([]);
    expect(platform.live('production', 'svc-portal').image).toBe('svc-portal:v1');
  }, 300_000);

  it('refuses one person approving both environments, before touching AWS, naming them', async () => {
    const both = { ...ENVIRONMENTS };
    both['production-approval'] = { ...both['production-approval'], reviewers: ['release-manager', 'pat'] };
    both.production = { ...both.production, reviewers: ['on-call-sre', 'pat'] };
    const before = productionCalls().length;
    const run = await platform.run({
      workflow: 'platform.yml',
      event: 'push',
      ref: 'refs/heads/main',
      protection: {
        environments: both,
        approvals: { 'production-approval': ['pat'], production: ['pat'] },
      },
    });
    const deploy = findJob(run.record, 'production (svc-portal)/deploy')!;
    expect(deploy.result).toBe('failure');
    const check = deploy.steps.find((step) => step.id === 'approvals')!;
    expect(check.annotations.map((annotation) => annotation.message)).toEqual([
      'pat approved both production-approval and production: two different people must approve. Nothing was deployed; re-run the job and have another reviewer of production approve it.',
    ]);
    expect(deploy.steps.find((step) => step.id === 'prepare')?.outcome).toBe('skipped');
    // Nothing changed: no task definition, service, task or rule (the recovery job only looked,
    // under the service's lock, and found nothing to recover).
    const changes = productionCalls()
      .slice(before)
      .filter((action) => /:(Register|Update|Run|Create|Modify|Stop)/.test(action));
    expect(changes).toEqual([]);
    expect(run.notifications).toEqual([
      expect.stringMatching(
        /^❌ svc-portal failed before any customer traffic moved in production.*\n.*Why: production needs approvals from two different people/,
      ),
    ]);
  }, 300_000);

  it('deploys with two different approvers, and says who', async () => {
    // Production deploys only what passed staging: develop first, then merged into main.
    const staging = await platform.run({
      workflow: 'platform.yml',
      event: 'push',
      ref: 'refs/heads/develop',
    });
    expect(findJob(staging.record, 'staging (svc-portal)')?.outputs.outcome).toBe('promoted');
    platform.merge('Merge develop into main');
    const run = await platform.run({ workflow: 'platform.yml', event: 'push', ref: 'refs/heads/main' });
    const deploy = findJob(run.record, 'production (svc-portal)/deploy')!;
    expect(deploy.outputs.outcome).toBe('promoted');
    expect(deploy.steps.find((step) => step.id === 'approvals')!.log).toContain(
      'Approved by release-manager (production-approval) and on-call-sre (production).',
    );
  }, 300_000);
});

describe('the recovery role', () => {
  it('may move traffic but not deploy: no task definitions, no services of its own', async () => {
    const twin = platform.twins.production;
    const sts = new STSClient({
      region: 'ap-northeast-1',
      endpoint: twin.endpoint,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    const claims = { sub: 'repo:mpac/platform:environment:production-recovery', aud: 'sts.amazonaws.com' };
    const jwt = ['{"alg":"RS256"}', JSON.stringify(claims), 'sig']
      .map((part) => Buffer.from(part).toString('base64url'))
      .join('.');
    // The deploy role trusts the production environment only: a recovery job cannot assume it.
    await expect(
      sts.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: 'arn:aws:iam::123456789012:role/deploy-production',
          RoleSessionName: 'recovery',
          WebIdentityToken: jwt,
        }),
      ),
    ).rejects.toThrow('Not authorized to perform sts:AssumeRoleWithWebIdentity');
    const assumed = await sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: 'arn:aws:iam::123456789012:role/recovery-production',
        RoleSessionName: 'recovery',
        WebIdentityToken: jwt,
      }),
    );
    const ecs = new ECSClient({
      region: 'ap-northeast-1',
      endpoint: twin.endpoint,
      maxAttempts: 1,
      credentials: {
        accessKeyId: assumed.Credentials!.AccessKeyId!,
        secretAccessKey: assumed.Credentials!.SecretAccessKey!,
        sessionToken: assumed.Credentials!.SessionToken!,
      },
    });
    await expect(
      ecs.send(
        new RegisterTaskDefinitionCommand({
          family: 'svc-portal',
          containerDefinitions: [{ name: 'app', image: 'evil:latest' }],
        }),
      ),
    ).rejects.toThrow(/is not authorized to perform: ecs:RegisterTaskDefinition/);
    await expect(
      ecs.send(new CreateServiceCommand({ cluster: 'mpac-production', serviceName: 'x', desiredCount: 1 })),
    ).rejects.toThrow(/is not authorized to perform: ecs:CreateService/);
  });
});
