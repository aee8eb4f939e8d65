/**
 * Issue 18's rows: the suite is not one run. A release watched while the next one is prepared or
 * canaried, the lock store failing mid-cutover, runner clocks minutes apart, ECS's breaker. Each
 * row holds when no customer request reached a release that did not pass its gates (outside its
 * own canary steps), all traffic ends on one colour, and the monitor says truly what it watched.
 */
import path from 'node:path';
import { lockTagKey } from '../../packages/shared/src/blue-green/lease.js';
import { ROOT, settled, startWorld, unanswered, type World } from './world.js';
import type { Size, Verdict } from './scenarios.js';

const IMAGES = {
  'svc-portal:v3bad': { version: 'v3bad', errorRate: 1 },
  'svc-portal:broken': { failToStart: 'CannotPullContainerError: svc-portal:broken not found' },
};
const MONITOR = {
  interval: '1s',
  'metric-period': '1s',
  'metric-delay': '1s',
  'failures-before-rollback': '2',
};

interface Row {
  name: string;
  problems: string[];
  numbers: string;
}

async function row(name: string, work: (world: World, problems: string[]) => Promise<string>, spec = {}) {
  const world = await startWorld({ images: IMAGES, spec });
  const problems: string[] = [];
  try {
    const numbers = await work(world, problems);
    return { name, problems, numbers };
  } catch (error) {
    return { name, problems: [String(error instanceof Error ? error.message : error)], numbers: '' };
  } finally {
    await world.close();
  }
}

function customers(world: World) {
  return world.customers(20, 150_000);
}

function monitor(world: World, duration: string) {
  const portal = world.twin.resources['svc-portal']!;
  return world.action(
    'monitor-rollback',
    {
      cluster: portal.cluster,
      service: 'svc-portal',
      'listener-rule-arn': portal.productionRuleArn,
      duration,
      ...MONITOR,
    },
    { timeoutMs: 150_000 },
  );
}

const revisionOf = (world: World, color: string) =>
  [...world.twin.services.ecs.services.values()].find((service) => service.name === `svc-portal-${color}`)!
    .taskDefinition;

/** Release A is watched; deploy B prepares v3bad on blue and gives up; A breaks. */
function monitorVersusPrepare(): Promise<Row> {
  return row('monitor vs prepare', async (world, problems) => {
    const traffic = customers(world);
    await world.deploy(
      { image: 'svc-portal:v2', 'traffic-steps': '50,100', 'step-bake': '2s' },
      { runId: 31 },
    );
    const v1 = revisionOf(world, 'blue');
    const watching = monitor(world, '40s');
    const b = await world.deploy({ image: 'svc-portal:v3bad', phase: 'prepare' }, { runId: 32 });
    if (b.outputs.outcome !== 'prepared') problems.push(`B's prepare ended ${b.outputs.outcome}`);
    world.twin.faults.changeImage('svc-portal:v2', { errorRate: 0.5 });
    const watched = await watching;
    const tally = await traffic.stop();
    const bad = tally.byVersion.v3bad ?? 0;
    if (watched.outputs.outcome !== 'rolled-back')
      problems.push(`the monitor ended ${watched.outputs.outcome}: ${watched.outputs.reason}`);
    if (bad > 0) problems.push(`${bad} customer requests were served by v3bad, which never passed its gates`);
    if (revisionOf(world, 'blue') !== v1) problems.push('blue does not run the release verified on it');
    if (settled(world.weights()) !== 'blue') problems.push(`traffic ends ${JSON.stringify(world.weights())}`);
    return `monitor ${watched.outputs.outcome}, ${bad} requests on v3bad of ${tally.sent}`;
  });
}

/** Release A is watched; deploy B's 5 % step fails and B puts traffic back on A; A breaks 3 s later. */
function monitorVersusFailedStep(): Promise<Row> {
  return row('monitor vs a newer deploy that failed at 5 %', async (world, problems) => {
    const traffic = customers(world);
    await world.deploy({ image: 'svc-portal:v2', 'traffic-steps': '100', 'step-bake': '2s' }, { runId: 41 });
    const watching = monitor(world, '45s');
    const b = await world.deploy(
      { image: 'svc-portal:v3bad', 'traffic-steps': '5,50,100', 'step-bake': '2s' },
      { runId: 42 },
    );
    const bEnded = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    world.twin.faults.changeImage('svc-portal:v2', { errorRate: 0.5 });
    const watched = await watching;
    await traffic.stop();
    const detected = Date.parse(watched.outputs['detected-at'] ?? '');
    if (watched.outputs.outcome !== 'rolled-back')
      problems.push(
        `the monitor ended ${watched.outputs.outcome} (${watched.outputs.reason}) after B ended ${b.outputs.outcome}`,
      );
    else if (!(detected > bEnded)) problems.push('the monitor decided before B had ended');
    if (settled(world.weights()) !== 'blue') problems.push(`traffic ends ${JSON.stringify(world.weights())}`);
    return `B ${b.outputs.outcome}, then the monitor ${watched.outputs.outcome}`;
  });
}

/** DescribeTags / AddTags / RemoveTags answer 500 from the 5 % step on, for `outageMs`. */
function tagsDown(outageMs: number): Promise<Row> {
  return row(`tags API down ${outageMs / 1000} s from the 5 % step`, async (world, problems) => {
    const traffic = customers(world);
    const restoreTimeoutMs = 60_000;
    const deploying = world.deploy({
      image: 'svc-portal:v2',
      'traffic-steps': '5,50,100',
      'step-bake': '2s',
      'restore-timeout': `${restoreTimeoutMs / 1000}s`,
    });
    await world.twin.waitFor(
      () => world.twin.calls.of('elbv2', 'ModifyRule').length > 0,
      60_000,
      'the 5 % step',
    );
    const faultEnds = Date.now() + outageMs;
    for (const operation of ['DescribeTags', 'AddTags', 'RemoveTags'])
      world.twin.faults.add({ service: 'elbv2', operation, errorRate: 1, forMs: outageMs });
    const result = await deploying;
    const settledAt = Date.now();
    await traffic.stop();
    const weights = world.weights();
    if (!result.outputs.outcome) problems.push('the run ended with no outcome output');
    if (!settled(weights)) problems.push(`traffic left split ${JSON.stringify(weights)}`);
    if (settledAt > faultEnds + restoreTimeoutMs)
      problems.push(
        `settled ${Math.round((settledAt - faultEnds) / 1000)} s after the fault ended (restore-timeout 60 s)`,
      );
    if (world.heldLocks().length > 0) problems.push(`a lock is still held: ${world.heldLocks().join('; ')}`);
    return `outcome ${result.outputs.outcome}, traffic ${JSON.stringify(weights)}, settled ${Math.max(0, Math.round((settledAt - faultEnds) / 1000))} s after the fault ended`;
  });
}

const SKEWED_CLOCK = path.join(ROOT, 'packages/shared/testing/skewed-clock.mjs');
const clockOff = (skewMs: number) =>
  skewMs === 0 ? {} : { NODE_OPTIONS: `--import=${SKEWED_CLOCK}`, MPAC_TEST_CLOCK_SKEW_MS: String(skewMs) };

/** A holds a 1-minute lease at 50 %; B starts with its clock `skewB` off, A's clock `skewA` off. */
function clockSkew(label: string, skewA: number, skewB: number): Promise<Row> {
  return row(`clocks apart: ${label}`, async (world, problems) => {
    const traffic = customers(world);
    const a = world.deploy(
      { image: 'svc-portal:v2', 'traffic-steps': '5,50,100', 'step-bake': '3s' },
      { runId: 51, env: clockOff(skewA) },
    );
    await world.twin.waitFor(
      () => world.twin.calls.of('elbv2', 'ModifyRule').length >= 2,
      60_000,
      'the 50 % step',
    );
    const b = await world.deploy(
      { image: 'svc-portal:v3', 'traffic-steps': '100' },
      { runId: 52, accessKey: 'AKIDCHAOSB', env: clockOff(skewB) },
    );
    const removedByB = world.twin.calls
      .all()
      .filter((call) => call.accessKeyId === 'AKIDCHAOSB' && call.operation === 'RemoveTags')
      .flatMap((call) => (call.params as { TagKeys?: string[] }).TagKeys ?? [])
      .filter((key) => key === lockTagKey('run-51-1@mpac/svc-portal'));
    const promoted = await a;
    await traffic.stop();
    if (b.main.exitCode === 0) problems.push(`B ran (${b.outputs.outcome}) while A held a live lease`);
    if (removedByB.length > 0) problems.push("B removed A's lock");
    if (promoted.outputs.outcome !== 'promoted') problems.push(`A ended ${promoted.outputs.outcome}`);
    if (!settled(world.weights())) problems.push(`traffic left split ${JSON.stringify(world.weights())}`);
    return `B ${b.main.exitCode === 0 ? 'ran' : 'refused'}, A ${promoted.outputs.outcome}`;
  });
}

/** An image that cannot start, on an idle colour whose breaker rolls back. */
function breaker(): Promise<Row> {
  return row(
    'breaker rolls the idle colour back',
    async (world, problems) => {
      const traffic = customers(world);
      const started = Date.now();
      const result = await world.deploy(
        { image: 'svc-portal:broken', 'wait-timeout': '10m' },
        { timeoutMs: 150_000 },
      );
      const seconds = (Date.now() - started) / 1000;
      const tally = await traffic.stop();
      const message = result.annotations.find((entry) => entry.level === 'error')?.message ?? '';
      if (!/circuit breaker/.test(message))
        problems.push(`the failure does not name the breaker: ${message}`);
      if (settled(world.weights()) !== 'blue')
        problems.push(`traffic moved: ${JSON.stringify(world.weights())}`);
      if (tally.failed > 0) problems.push(unanswered(tally));
      return `failed in ${seconds.toFixed(1)} s (wait-timeout 10 m)`;
    },
    { idleImage: 'svc-portal:v1', circuitBreakerRollback: true },
  );
}

export async function interplay({ quick }: Size): Promise<Verdict> {
  const rows: Row[] = [];
  rows.push(await monitorVersusPrepare());
  rows.push(await monitorVersusFailedStep());
  rows.push(await tagsDown(quick ? 12_000 : 40_000));
  rows.push(await clockSkew('B 3 min ahead', 0, 180_000));
  if (!quick) rows.push(await clockSkew('A 3 min behind', -180_000, 0));
  rows.push(await breaker());
  return {
    scenario: 'interplay',
    passed: rows.every((entry) => entry.problems.length === 0),
    summary: rows
      .map((entry) => `${entry.name}: ${entry.problems.length ? 'FAIL' : 'held'} (${entry.numbers})`)
      .join('; '),
    numbers: { rows: rows.length, held: rows.filter((entry) => entry.problems.length === 0).length },
    problems: rows.flatMap((entry) => entry.problems.map((problem) => `${entry.name}: ${problem}`)),
  };
}
