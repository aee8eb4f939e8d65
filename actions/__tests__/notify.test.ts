/**
 * notify's words, one row per outcome: what the team reads first must be true of where customers
 * are. The step never fails the job (its exit code is 0 for every outcome).
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const script = path.resolve(import.meta.dirname, '../../notify/notify.sh');

function notify(outcome: string, reason = ''): { status: number | null; headline: string } {
  const result = spawnSync('bash', [script], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      OUTCOME: outcome,
      SERVICE: 'svc-portal',
      ENVIRONMENT: 'production',
      REASON: reason,
    },
    encoding: 'utf8',
    timeout: 10_000,
  });
  const lines = result.stdout.split('\n').filter((line) => !line.startsWith('::'));
  return { status: result.status, headline: lines[0] ?? '' };
}

describe('notify: outcome → what the team is told', () => {
  it.each([
    ['promoted', '✅ svc-portal promoted to production: all traffic on the new release, watched and healthy'],
    ['unchanged', 'ℹ️ svc-portal in production already runs this release: nothing was changed'],
    [
      'superseded',
      '⏭️ svc-portal in production: another run changed the release during the watch (an on-call rollback or a newer deploy); this release is not the one serving customers',
    ],
    [
      'rolled-back-by-gate',
      '↩️ svc-portal rolled back in production by a traffic gate: customers are on the previous release',
    ],
    [
      'rolled-back-by-monitor',
      '↩️ svc-portal rolled back in production by the monitor after the cutover: customers are on the previous release',
    ],
    [
      'rolled-back-by-workflow',
      '↩️ svc-portal rolled back in production by the workflow after a failure once traffic had moved',
    ],
    [
      'rolled-back-by-hand',
      '↩️ svc-portal rolled back in production by hand: customers are on the previous release',
    ],
    [
      'recovered',
      '🛟 svc-portal in production: a deploy stopped while traffic was moving (a lost runner or a cancel); the recovery job put traffic where the deploy recorded it must end',
    ],
    ['rollback-failed', '❌ Rollback of svc-portal in production did not complete (why below)'],
    [
      'failed-before-traffic',
      '❌ svc-portal failed before any customer traffic moved in production: the previous release keeps serving',
    ],
    [
      'cancelled',
      '⏹️ svc-portal deploy to production was cancelled: traffic is put back on the previous release',
    ],
    ['something-new', '❌ svc-portal deploy to production failed (something-new)'],
  ])('%s', (outcome, headline) => {
    const told = notify(outcome, 'a reason');
    expect(told.headline).toBe(headline);
    expect(told.status).toBe(0);
  });
});
