/**
 * What the example platform's rehearsals share (platform.e2e and platform-rollbacks.e2e, split so
 * that jest runs them side by side): a platform with svc-portal started for each test and closed
 * after it, and a release taken through staging.
 */
import { afterEach, expect } from '@jest/globals';
import { startPlatform, type Platform } from '../src/platform.js';
import { findJob } from '../src/report.js';

export const REGISTRY = '123456789012.dkr.ecr.ap-northeast-1.amazonaws.com';

/** Starts the platform with svc-portal for each test that asks, and closes it after the test. */
export function platformPerTest(): () => Promise<Platform> {
  let platform: Platform | undefined;
  afterEach(async () => {
    await platform?.close();
    platform = undefined;
  });
  return async () => {
    platform = await startPlatform({ services: ['svc-portal'] });
    return platform;
  };
}

/** A release through staging (develop), then merged into main with a commit that changes no file. */
export async function throughStaging(platform: Platform, message: string): Promise<void> {
  platform.commit(message);
  const staging = await platform.run({ workflow: 'platform.yml', event: 'push', ref: 'refs/heads/develop' });
  expect(findJob(staging.record, 'staging (svc-portal)')?.outputs.outcome).toBe('promoted');
  platform.merge(`Merge develop: ${message}`);
}
