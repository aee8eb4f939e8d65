/**
 * The platform as it is drawn, rehearsed: mpac-pgw's nightly `matcher` (an EventBridge Scheduler
 * schedule) runs the release each environment promoted, and production's DR standby in a second
 * region runs the same image, by the digest its own registry holds (ECR replication from the
 * registry account), at its own task count, once production is promoted and watched. A release the
 * monitor rolls back leaves the matcher on the release customers are back on, and the standby where
 * it was.
 */
import { describe, expect, it } from '@jest/globals';
import { startPlatform, STANDBY_REGION, type Platform } from '../src/platform.js';
import { findJob } from '../src/report.js';
import { afterEach } from '@jest/globals';

const REGISTRY = '123456789012.dkr.ecr.ap-northeast-1.amazonaws.com';
const STANDBY_REGISTRY = `123456789012.dkr.ecr.${STANDBY_REGION}.amazonaws.com`;

let platform: Platform | undefined;
afterEach(async () => {
  await platform?.close();
  platform = undefined;
});

/** A release of mpac-pgw through staging (develop), merged into main. */
async function throughStaging(started: Platform, message: string): Promise<string> {
  started.commit(message);
  const tag = started.tagOf('mpac-pgw');
  const staging = await started.run({ workflow: 'platform.yml', event: 'push', ref: 'refs/heads/develop' });
  expect(findJob(staging.record, 'staging (mpac-pgw)')?.outputs.outcome).toBe('promoted');
  // Staging's matcher runs what staging promoted.
  expect(started.twins.staging.runSchedule('matcher')[0]!.task!.image).toBe(`${REGISTRY}/mpac-pgw:${tag}`);
  started.merge(`Merge develop: ${message}`);
  return tag;
}

/** The digest the registry account holds for a tag of mpac-pgw. */
function digestOf(started: Platform, tag: string): string {
  const repository = started.twins.registry.services.ecr.repositories.get('mpac-pgw')!;
  return [...repository.images.values()].find((image) => image.tags.has(tag))!.digest;
}

describe('mpac-pgw with its matcher and production standby, rehearsed', () => {
  it('after a promotion, the matcher runs the new release and the standby runs it by digest at its own count', async () => {
    platform = await startPlatform({ services: ['mpac-pgw'] });
    const tag = await throughStaging(platform, 'a good pgw release');
    const standbyBefore = platform.standby('mpac-pgw');
    expect(standbyBefore.image).toBe('mpac-pgw:v1');

    const run = await platform.run({ workflow: 'platform.yml', event: 'push', ref: 'refs/heads/main' });
    const production = findJob(run.record, 'production (mpac-pgw)')!;
    expect(production.outputs.outcome).toBe('promoted');
    expect(production.outputs.standby).toBe('standby-updated');
    expect(platform.live('production', 'mpac-pgw').image).toBe(`${REGISTRY}/mpac-pgw:${tag}`);
    // Production's matcher runs the promoted release; the standby's runs the same digest.
    expect(platform.twins.production.runSchedule('matcher')[0]!.task!.image).toBe(
      `${REGISTRY}/mpac-pgw:${tag}`,
    );
    const digest = digestOf(platform, tag);
    const standby = platform.standby('mpac-pgw');
    expect(standby).toEqual({
      image: `${STANDBY_REGISTRY}/mpac-pgw@${digest}`,
      weights: standbyBefore.weights,
      desiredCount: 1,
      runningCount: 1,
    });
    const standbyRegion = platform.twins.production.regions[STANDBY_REGION]!;
    expect(standbyRegion.runSchedule('matcher')[0]!.task!.image).toBe(
      `${STANDBY_REGISTRY}/mpac-pgw@${digest}`,
    );
    // The standby job says which release the standby runs and how many tasks are healthy.
    const standbyJob = findJob(run.record, 'production (mpac-pgw)/standby')!;
    expect(standbyJob.result).toBe('success');
    const summary = standbyJob.steps.map((step) => step.summary ?? '').join('\n');
    expect(summary).toContain('### Standby');
    expect(summary).toMatch(
      new RegExp(
        `\\| ${STANDBY_REGION} \\| mpac-pgw-blue \\| \`mpac-pgw:\\d+\` \\| .*@${digest}\` \\| 1/1 \\|`,
      ),
    );
    expect(summary).toContain('### Scheduled tasks');
    expect(run.notifications).toEqual([
      expect.stringMatching(/^✅ mpac-pgw promoted to production/),
      expect.stringMatching(
        /^🗄️ mpac-pgw's DR standby \(production-standby \(ap-northeast-3\)\) runs the release production serves/,
      ),
    ]);

    // On call rolls pgw back by hand: production, its matcher and the standby all go back to v1.
    const rollback = await platform.run({
      workflow: 'rollback.yml',
      event: 'workflow_dispatch',
      inputs: {
        environment: 'production',
        service: 'mpac-pgw',
        target: 'previous',
        reason: 'matcher double-counts',
      },
    });
    expect(findJob(rollback.record, 'rollback/rollback')?.result).toBe('success');
    expect(findJob(rollback.record, 'rollback/standby')?.result).toBe('success');
    expect(platform.live('production', 'mpac-pgw').image).toBe('mpac-pgw:v1');
    expect(platform.twins.production.runSchedule('matcher')[0]!.task!.image).toBe('mpac-pgw:v1');
    expect(platform.standby('mpac-pgw')).toMatchObject({
      image: 'mpac-pgw:v1',
      desiredCount: 1,
      runningCount: 1,
    });
    expect(standbyRegion.runSchedule('matcher')[0]!.task!.image).toBe('mpac-pgw:v1');
  }, 420_000);

  it('after the monitor rolls a release back, the matcher runs the release customers are back on and the standby is left as it was', async () => {
    platform = await startPlatform({ services: ['mpac-pgw'] });
    await throughStaging(platform, 'a pgw release that breaks under full load');
    const run = await platform.run({
      workflow: 'platform.yml',
      event: 'push',
      ref: 'refs/heads/main',
      story: 'breaks-after-cutover',
    });
    const production = findJob(run.record, 'production (mpac-pgw)')!;
    expect(production.outputs.outcome).toBe('rolled-back-by-monitor');
    expect(platform.live('production', 'mpac-pgw').image).toBe('mpac-pgw:v1');
    expect(platform.twins.production.runSchedule('matcher')[0]!.task!.image).toBe('mpac-pgw:v1');
    expect(findJob(run.record, 'production (mpac-pgw)/standby')?.result).toBe('skipped');
    expect(platform.standby('mpac-pgw').image).toBe('mpac-pgw:v1');
  }, 300_000);
});
