/**
 * When something else takes over a deploy in production, rehearsed with the example platform on
 * the strict stand-ins: the runner dies mid-cutover (the recovery job finishes the move the deploy
 * recorded in AWS and says so), and the on-call dispatches a rollback while the deploy shifts
 * traffic (it waits for the move, then takes all traffic back; the deploy's watch ends superseded).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { startPlatform, type Platform, type PlatformRun } from '../src/platform.js';
import { findJob, findStep } from '../src/report.js';

let platform: Platform | undefined;
afterEach(async () => {
  await platform?.close();
  platform = undefined;
});

const NO_FAILURES = { application: 0, 'load balancer': 0, 'no answer': 0 };

/** A platform whose release passed staging and was merged into main, ready for production. */
async function readyForProduction(message: string): Promise<Platform> {
  platform = await startPlatform({ services: ['svc-portal'] });
  platform.commit(message);
  const staging = await platform.run({ workflow: 'platform.yml', event: 'push', ref: 'refs/heads/develop' });
  expect(findJob(staging.record, 'staging (svc-portal)')?.outputs.outcome).toBe('promoted');
  platform.merge(`Merge pull request #7 from mpac/develop: ${message}`);
  return platform;
}

describe('taking over a production deploy', () => {
  it('recovers a runner lost mid-cutover: the recovery job puts customers back on the safe end and says so', async () => {
    const platform = await readyForProduction('a release whose runner dies');
    const run = await platform.run({
      workflow: 'platform.yml',
      event: 'push',
      ref: 'refs/heads/main',
      // The machine dies once 5 % of customers are on the new release: no post step runs.
      loseRunner: { step: 'production/deploy/shift', when: /Traffic: 5 % on green/ },
    });
    const shift = findStep(run.record, 'production/deploy/shift')!;
    expect(shift.log).toContain('lost communication with the server');
    expect(findJob(run.record, 'production (svc-portal)')?.result).toBe('failure');
    // Nothing after the shift ran on that runner: not the outcome step, not notify, not the post step.
    expect(findStep(run.record, 'production/deploy/notify')).toBeUndefined();
    const recover = findStep(run.record, 'production/recovery/recover')!;
    expect(recover.outputs).toMatchObject({ outcome: 'rolled-back', 'live-color': 'blue' });
    expect(recover.log).toMatch(
      /Rolling back to blue \(run \S+ stopped while moving traffic and named it the safe end\)/,
    );
    expect(platform.live('production', 'svc-portal')).toEqual({
      image: 'svc-portal:v1',
      weights: { blue: 100, green: 0 },
    });
    expect(run.customers['svc-portal']!.failedBy).toEqual(NO_FAILURES);
    expect(run.notifications).toEqual([
      expect.stringMatching(
        /^🛟 svc-portal in production: a deploy stopped while traffic was moving \(a lost runner or a cancel\); the recovery job put traffic where the deploy recorded it must end\n.*the deploy job ended failure while traffic was unsettled; traffic is on blue/s,
      ),
    ]);
  }, 300_000);

  it('lets a rollback dispatched during the shift wait for the move, then take all traffic back; the deploy says it was superseded', async () => {
    const platform = await readyForProduction('a release the on-call takes off while it shifts');
    const tag = platform.tagOf('svc-portal');
    let rollback: Promise<PlatformRun> | undefined;
    const deploy = await platform.run({
      workflow: 'platform.yml',
      event: 'push',
      ref: 'refs/heads/main',
      // The watch outlasts the rollback's wait for the lock and its move (it is an hour in production).
      timeScale: { 'monitor-rollback': { duration: '30s' } },
      // The on-call presses "Run workflow" as the shift starts: the deploy holds the service's lock.
      beforeStep: (where) => {
        if (where.key === 'production/deploy/shift')
          rollback = platform.run({
            workflow: 'rollback.yml',
            event: 'workflow_dispatch',
            inputs: {
              environment: 'production',
              service: 'svc-portal',
              target: 'previous',
              reason: 'support sees double receipts',
            },
          });
      },
    });
    expect(rollback).toBeDefined();
    const dispatched = await rollback!;

    // The shift ran to its end (the rollback waited for the lock), then the rollback took traffic back.
    expect(findStep(deploy.record, 'production/deploy/shift')?.outputs.outcome).toBe('promoted');
    const rolledBack = findStep(dispatched.record, 'rollback/rollback/rollback')!;
    expect(rolledBack.outputs).toMatchObject({ outcome: 'rolled-back', 'live-color': 'blue' });
    expect(rolledBack.log).toMatch(
      /Deploy lock held by run-\d+-1@mpac\/platform; waiting \(up to \d+m\d*s? more\)/,
    );
    expect(platform.live('production', 'svc-portal')).toEqual({
      image: 'svc-portal:v1',
      weights: { blue: 100, green: 0 },
    });
    // The deploy's watch saw another hand move traffic and did not call its release promoted.
    expect(findJob(deploy.record, 'production (svc-portal)')?.outputs.outcome).toBe('superseded');
    // One message from each run (the deploy ran from before the rollback began to after it ended),
    // each true; the rollback's standby job (the DR standby follows the release brought back) says
    // so too, in the rollback's own run, which may end after the deploy.
    const messages = deploy.notifications.filter((message) => !message.startsWith('🗄️'));
    expect(messages).toHaveLength(2);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^⏭️ svc-portal in production: another run changed the release during the watch.*moved there by run-\d+-1@mpac\/platform \(rolled-back\)/s,
        ),
        expect.stringMatching(
          /^↩️ svc-portal rolled back in production by hand: customers are on the previous release\n.*Why: support sees double receipts/s,
        ),
      ]),
    );
    expect(dispatched.notifications).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^🗄️ svc-portal's DR standby \(production-standby \(ap-northeast-3\)\) runs the release/,
        ),
      ]),
    );
    expect(platform.standby('svc-portal').image).toBe('svc-portal:v1');
    expect(deploy.customers['svc-portal']!.failedBy).toEqual(NO_FAILURES);
    expect(dispatched.customers['svc-portal']!.failedBy).toEqual(NO_FAILURES);
    expect(deploy.customers['svc-portal']!.byVersion[tag]).toBeGreaterThan(0);
  }, 300_000);
});
