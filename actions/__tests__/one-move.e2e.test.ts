/**
 * Issue 18 end to end: the bundles run as a runner runs them, on the twin with 1 s metric periods,
 * 2 s bakes and customers at 20 req/s. The monitor against the next deploy, the lock store failing
 * mid-cutover, runner clocks minutes apart, and ECS's circuit breaker.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import type { Twin } from '../../packages/aws-twin/src/index.js';
import { lockTagKey } from '../../packages/shared/src/blue-green/lease.js';
import { runBundledAction } from '../../packages/shared/testing/run-bundled-action.js';
import { setUpTwin } from '../blue-green-deploy/__tests__/twin-setup.js';

let twin: Twin | undefined;
afterEach(async () => {
  await twin?.close();
  twin = undefined;
});

const SKEWED_CLOCK = path.join(import.meta.dirname, '../../packages/shared/testing/skewed-clock.mjs');

/** A runner whose wall clock is `skewMs` off (positive: ahead), as the env of a bundled run. */
const clockOff = (skewMs: number) => ({
  NODE_OPTIONS: `--import=${SKEWED_CLOCK}`,
  MPAC_TEST_CLOCK_SKEW_MS: String(skewMs),
});

async function setUp(spec: Parameters<typeof setUpTwin>[0] = {}) {
  const setup = await setUpTwin(spec, {
    'svc-portal:v3bad': { version: 'v3bad', errorRate: 1 },
  });
  twin = setup.twin;
  const { portal } = setup;
  const customers = setup.twin.traffic.start({
    url: `${portal.productionUrl}/orders`,
    requestsPerSecond: 20,
    maxDurationMs: 110_000,
  });
  const monitor = (inputs: Record<string, string>) =>
    runBundledAction(path.join(import.meta.dirname, '../monitor-rollback'), {
      inputs: {
        cluster: portal.cluster,
        service: 'svc-portal',
        'listener-rule-arn': portal.productionRuleArn,
        interval: '1s',
        'metric-period': '1s',
        'metric-delay': '3s',
        'failures-before-rollback': '2',
        ...inputs,
      },
      env: {
        ...setup.twin.env,
        GITHUB_RUN_ID: '7001',
        GITHUB_RUN_ATTEMPT: '1',
        GITHUB_REPOSITORY: 'mpac/svc-portal',
      },
      timeoutMs: 100_000,
    });
  const revision = (color: 'blue' | 'green') => setup.service(`svc-portal-${color}`).taskDefinition;
  return { ...setup, customers, monitor, revision };
}

const B = { env: { GITHUB_RUN_ID: '2002' } };

describe('the watch and the next deploy', () => {
  it('the monitor rolls back onto the release verified on blue, not onto the untested one a newer prepare left there', async () => {
    const { twin, run, monitor, weights, tags, customers, revision } = await setUp();
    const a = await run({ image: 'svc-portal:v2', 'traffic-steps': '50,100', 'step-bake': '2s' });
    expect(a.outputs.outcome).toBe('promoted');
    const v1 = revision('blue');
    const watching = monitor({ duration: '40s' });
    // Deploy B prepares v3bad on blue, its smoke tests fail, its job ends and lets the lock go.
    const b = await run({ image: 'svc-portal:v3bad', phase: 'prepare' }, B);
    expect(b.outputs.outcome).toBe('prepared');
    expect(revision('blue')).not.toBe(v1);
    expect((await tags())['mpac:unverified:blue']).toBe(revision('blue'));
    const afterB = customers.tally();
    twin.faults.changeImage('svc-portal:v2', { errorRate: 0.5 });
    const watched = await watching;
    expect({ outcome: watched.outputs.outcome, log: watched.log }).toMatchObject({ outcome: 'rolled-back' });
    // Customers reach the release brought back (however soon after the move the monitor returned).
    await twin.waitFor(
      () => (customers.tally().byVersion.v1 ?? 0) > (afterB.byVersion.v1 ?? 0),
      15_000,
      'customers on v1 again',
    );
    const tally = await customers.stop();
    expect(watched.log).toMatch(
      /svc-portal-blue \(blue\) runs svc-portal:3, not svc-portal:1, the release it must run: starting svc-portal:1 on it first/,
    );
    expect(revision('blue')).toBe(v1);
    expect(await weights()).toEqual([100, 0]);
    // Not one customer request reached the release that never passed its gates.
    expect(tally.byVersion.v3bad ?? 0).toBe(0);
    expect(await tags()).toMatchObject({
      'mpac:outcome': 'rolled-back-by-monitor',
      'mpac:verified:blue': v1,
      'mpac:live-color': 'blue',
    });
  }, 120_000);

  it('the monitor keeps watching through a newer deploy that failed its 5 % step, and rolls back when its own release breaks later', async () => {
    const { twin, run, monitor, weights, customers, revision } = await setUp();
    expect(
      (await run({ image: 'svc-portal:v2', 'traffic-steps': '100', 'step-bake': '2s' })).outputs.outcome,
    ).toBe('promoted');
    const v1 = revision('blue');
    const watching = monitor({ duration: '45s' });
    const b = await run({ image: 'svc-portal:v3bad', 'traffic-steps': '5,50,100', 'step-bake': '2s' }, B);
    expect(['rolled-back', 'inconclusive']).toContain(b.outputs.outcome);
    expect(await weights()).toEqual([0, 100]);
    const bEnded = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    twin.faults.changeImage('svc-portal:v2', { errorRate: 0.5 });
    const watched = await watching;
    await customers.stop();
    expect({ outcome: watched.outputs.outcome, reason: watched.outputs.reason }).toMatchObject({
      outcome: 'rolled-back',
    });
    expect(Date.parse(watched.outputs['detected-at']!)).toBeGreaterThan(bEnded);
    expect(revision('blue')).toBe(v1);
    expect(await weights()).toEqual([100, 0]);
  }, 120_000);
});

describe('the lock store may fail; traffic may not split', () => {
  it('with the tags API answering 500 for 12 s from the 5 % step, the run ends all on blue and lets the lock go once tags are back', async () => {
    const { twin, run, weights, tags, customers } = await setUp();
    const deploying = run({
      image: 'svc-portal:v2',
      'traffic-steps': '5,50,100',
      'step-bake': '2s',
      'restore-timeout': '30s',
      'lock-ttl': '1m',
    });
    await twin.waitFor(() => twin.calls.of('elbv2', 'ModifyRule').length > 0, 30_000, 'the 5 % step');
    for (const operation of ['DescribeTags', 'AddTags', 'RemoveTags'])
      twin.faults.add({ service: 'elbv2', operation, errorRate: 1, forMs: 12_000 });
    const result = await deploying;
    await customers.stop();
    expect(result.outputs.outcome).toBeDefined();
    expect({ outcome: result.outputs.outcome, log: result.log }).toMatchObject({ outcome: 'failed' });
    expect(await weights()).toEqual([100, 0]);
    // Nothing left behind once the tags are back.
    const left = await tags();
    expect(Object.keys(left).filter((key) => key.startsWith('mpac:lock:'))).toEqual([]);
    expect(left['mpac:safe-end']).toBeUndefined();
    expect(result.post?.exitCode).toBe(0);
  }, 120_000);
});

describe('lease time is not wall-clock time', () => {
  for (const [who, skews] of [
    ['the second runner is 3 minutes ahead', { a: 0, b: 180_000 }],
    ['the holder is 3 minutes behind', { a: -180_000, b: 0 }],
  ] as const) {
    it(`${who}: the second run refuses without touching the holder's live lock, and the first promotes`, async () => {
      const { twin, run, weights, tags, customers } = await setUp();
      const a = run(
        { image: 'svc-portal:v2', 'traffic-steps': '5,50,100', 'step-bake': '3s', 'lock-ttl': '1m' },
        { env: clockOff(skews.a) },
      );
      await twin.waitFor(() => twin.calls.of('elbv2', 'ModifyRule').length >= 2, 40_000, 'the 50 % step');
      const b = await run(
        { image: 'svc-portal:v3', 'traffic-steps': '100', 'lock-ttl': '1m' },
        { env: { GITHUB_RUN_ID: '2002', AWS_ACCESS_KEY_ID: 'AKIDRUNB', ...clockOff(skews.b) } },
      );
      expect(b.main.exitCode).toBe(1);
      expect(b.annotations[0]?.message).toMatch(
        /Another deploy holds the lock on .*: run-1001-1@mpac\/svc-portal/,
      );
      expect(b.log).not.toMatch(/Taking over an expired deploy lock/);
      // B removed no tag but, at most, its own withdrawn candidate.
      const removedByB = twin.calls
        .all()
        .filter((call) => call.accessKeyId === 'AKIDRUNB' && call.operation === 'RemoveTags')
        .flatMap((call) => (call.params as { TagKeys?: string[] }).TagKeys ?? []);
      expect(removedByB.filter((key) => key !== lockTagKey('run-2002-1@mpac/svc-portal'))).toEqual([]);
      expect(Object.keys(await tags())).toContain(lockTagKey('run-1001-1@mpac/svc-portal'));
      const promoted = await a;
      await customers.stop();
      expect(promoted.outputs.outcome).toBe('promoted');
      expect(await weights()).toEqual([0, 100]);
    }, 120_000);
  }
});

describe("ECS's circuit breaker is a verdict", () => {
  it('a release whose tasks cannot start, rolled back by the breaker, fails the deploy in seconds naming it; customers untouched', async () => {
    const { run, weights, customers, twin } = await setUp({
      idleImage: 'svc-portal:v1',
      circuitBreakerRollback: true,
    });
    // A wait-timeout the test would not outlive: only ECS's own verdict can end this run in time.
    const result = await run({ image: 'svc-portal:broken', 'wait-timeout': '10m' });
    const tally = await customers.stop();
    expect(result.main.exitCode).toBe(1);
    expect(result.annotations[0]?.message).toMatch(
      /svc-portal-green was not deployed: ECS's deployment circuit breaker rolled it back to .*svc-portal:\d.*stopped tasks: CannotPullContainerError/,
    );
    expect(twin.calls.of('elbv2', 'ModifyRule')).toEqual([]);
    expect(await weights()).toEqual([100, 0]);
    expect(tally.failed).toBe(0);
  }, 90_000);
});
