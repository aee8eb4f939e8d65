/**
 * Issue 10's nine paths, end to end through the bundle on the twin: each ends with all traffic on
 * a healthy colour, or with a loud failure that names the split and the fix.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  AddTagsCommand,
  ModifyRuleCommand,
  RemoveTagsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Twin } from '../../../packages/aws-twin/src/index.js';
import { formatLockValue, lockTagKey } from '../../../packages/shared/src/blue-green/lease.js';
import { setUpTwin } from './twin-setup.js';

let twin: Twin | undefined;
afterEach(async () => {
  await twin?.close();
  twin = undefined;
});

async function setUp(spec: Parameters<typeof setUpTwin>[0] = {}) {
  const setup = await setUpTwin(spec);
  twin = setup.twin;
  return setup;
}

const otherRun = (id: string) => ({ env: { GITHUB_RUN_ID: id } });

describe('blue/green safety, bundled, on the twin', () => {
  it('1: a deploy queued with lock-wait behind a promotion deploys onto the colour idle after it', async () => {
    const { twin, portal, weights, run, service } = await setUp();
    const traffic = twin.traffic.start({
      url: `${portal.productionUrl}/orders`,
      requestsPerSecond: 100,
      maxDurationMs: 50_000,
    });
    const first = run({ image: 'svc-portal:v2', 'step-bake': '3s' });
    await twin.waitFor(
      () => twin.calls.of('elbv2', 'ModifyRule').length > 0,
      20_000,
      'the first promotion to start',
    );
    const queued = await run(
      { image: 'svc-portal:v3', 'lock-wait': '60s', 'traffic-steps': '100' },
      otherRun('2002'),
    );
    const promoted = await first;
    const tally = await traffic.stop();
    expect(promoted.outputs).toMatchObject({ outcome: 'promoted', 'live-color': 'green' });
    expect(queued.main.exitCode).toBe(0);
    expect(queued.log).toMatch(/Deploy lock held by run-1001-1@mpac\/svc-portal; waiting/);
    expect(queued.log).toMatch(/to svc-portal-blue \(blue\)/);
    expect(queued.outputs).toMatchObject({
      outcome: 'promoted',
      'live-color': 'blue',
      'previous-color': 'green',
    });
    expect(await weights()).toEqual([100, 0]);
    expect(service('svc-portal-blue').taskDefinition).toBe(queued.outputs['task-definition-arn']);
    expect(tally.failed).toBe(0);
    expect(tally.byStatus['500'] ?? 0).toBe(0);
  }, 120_000);

  it('2: a rollback killed while it brings the previous colour back ends with the post step on that colour', async () => {
    const { twin, portal, weights, run } = await setUp();
    expect(
      (await run({ image: 'svc-portal:bad', 'step-bake': '1s', 'max-error-rate': '100' })).outputs.outcome,
    ).toBe('promoted');
    expect((await run({ phase: 'cleanup', 'task-definition': '' })).outputs.outcome).toBe('cleaned-up');
    const rollback = await run(
      { phase: 'rollback', 'task-definition': '' },
      { killMainWhen: /was scaled down; bringing 2 tasks back first/ },
    );
    expect(rollback.main.killed).toBe(true);
    expect(rollback.post?.exitCode).toBe(0);
    expect(rollback.log).toContain(
      'The run stopped during the rollback to blue: putting all traffic on blue',
    );
    expect(await weights()).toEqual([100, 0]);
    const tally = await twin.traffic.send(`${portal.productionUrl}/orders`, 50);
    expect(tally.byVersion).toEqual({ v1: 50 });
  }, 120_000);

  it('3: ELB errors while restoring after a failed gate are retried; traffic ends on blue', async () => {
    const { twin, portal, weights, run } = await setUp();
    const traffic = twin.traffic.start({
      url: `${portal.productionUrl}/orders`,
      requestsPerSecond: 100,
      maxDurationMs: 30_000,
    });
    // The 5 % step must see the bad release's requests (no-data: wait), so its gate fails there and
    // the restore meets the failing ELB; with no-data: pass an empty first period passed the step.
    const deploying = run({ image: 'svc-portal:bad', 'no-data': 'wait', 'max-bake': '20s' });
    await twin.waitFor(() => twin.calls.of('elbv2', 'ModifyRule').length > 0, 20_000, 'the first step');
    twin.faults.add({
      service: 'elbv2',
      operation: 'ModifyRule',
      fail: { code: 'InternalFailure', status: 500, times: 7 },
    });
    const result = await deploying;
    await traffic.stop();
    expect(result.main.exitCode).toBe(1);
    // The log comes along so that a failure here says what happened.
    expect({ outcome: result.outputs.outcome, log: result.log }).toMatchObject({ outcome: 'rolled-back' });
    expect(result.log).toMatch(/Could not put all traffic on blue yet/);
    expect(await weights()).toEqual([100, 0]);
  });

  it('3: when the ELB keeps failing, the run and its post step fail loudly naming the split, and a rollback fixes it', async () => {
    const { twin, portal, tags, weights, run } = await setUp();
    const traffic = twin.traffic.start({
      url: `${portal.productionUrl}/orders`,
      requestsPerSecond: 100,
      maxDurationMs: 30_000,
    });
    const deploying = run({ image: 'svc-portal:bad', 'restore-timeout': '3s', 'aws-max-attempts': '1' });
    await twin.waitFor(() => twin.calls.of('elbv2', 'ModifyRule').length > 0, 20_000, 'the first step');
    twin.faults.add({
      service: 'elbv2',
      operation: 'ModifyRule',
      fail: { code: 'InternalFailure', status: 500, times: 10_000 },
    });
    const result = await deploying;
    await traffic.stop();
    expect(result.main.exitCode).toBe(1);
    expect(result.outputs.outcome).toBe('traffic-split');
    const split =
      /traffic is split blue 95 % \/ green 5 % between blue \(.*svc-portal:1\) and green \(.*svc-portal:2\)\. Run blue-green-deploy with phase: rollback and to-color: blue/;
    expect(result.annotations.find((annotation) => annotation.level === 'error')?.message).toMatch(split);
    expect(result.summary).toMatch(split);
    expect(result.post?.exitCode).toBe(1);
    expect(result.summary).toContain('Traffic is not settled after the run stopped');
    expect(await weights()).toEqual([95, 5]);
    expect((await tags())['mpac:safe-end']).toMatch(/^blue run-1001-1@mpac\/svc-portal$/);

    twin.faults.clear();
    const fixed = await run({ phase: 'rollback', 'task-definition': '' }, otherRun('3003'));
    expect(fixed.main.exitCode).toBe(0);
    expect(fixed.log).toMatch(
      /Rolling back to blue \(run run-1001-1@mpac\/svc-portal stopped while moving traffic/,
    );
    expect(await weights()).toEqual([100, 0]);
  });

  it('4: of 40 pairs of runs started together, never two hold the lock and write weights at once', async () => {
    const { twin, run } = await setUp({ idleImage: 'svc-portal:v2' });
    // A slow lock read holds both runs at the same point, so that they really race on a loaded machine.
    twin.faults.add({ service: 'elbv2', operation: 'DescribeTags', latencyMs: 150 });
    let contended = 0;
    for (let pair = 0; pair < 40; pair++) {
      twin.calls.clear();
      const keys = [`AKIDPAIR${pair}A`, `AKIDPAIR${pair}B`];
      const results = await Promise.all(
        keys.map((key, index) =>
          run(
            {
              phase: 'rollback',
              'task-definition': '',
              'to-color': index === 0 ? 'blue' : 'green',
              force: 'true',
            },
            { env: { GITHUB_RUN_ID: `${5000 + pair * 2 + index}`, AWS_ACCESS_KEY_ID: key } },
          ),
        ),
      );
      // Each run's calls; a run that wrote weights must have held the lease from its `held` tag to its release.
      const runs = keys.map((key) => {
        const calls = twin.calls.all().filter((call) => call.accessKeyId === key);
        const lockCalls = (operation: string, marker: string) =>
          calls.filter(
            (call) => call.operation === operation && JSON.stringify(call.params).includes(marker),
          );
        const writes = calls.filter((call) => call.operation === 'ModifyRule' && call.outcome === 'ok');
        return {
          from: calls[0]!.at,
          to: calls.at(-1)!.at,
          heldFrom: lockCalls('AddTags', ' held').at(0)?.at,
          heldTo: lockCalls('RemoveTags', 'mpac:lock:').at(-1)?.at,
          writes: writes.map((call) => call.at),
        };
      });
      if (runs[0]!.from <= runs[1]!.to && runs[1]!.from <= runs[0]!.to) contended++;
      const writers = runs.filter((entry) => entry.writes.length > 0);
      for (const writer of writers) {
        expect(writer.heldFrom).toBeDefined();
        expect(writer.heldTo).toBeDefined();
        for (const at of writer.writes) {
          expect(at).toBeGreaterThanOrEqual(writer.heldFrom!);
          expect(at).toBeLessThanOrEqual(writer.heldTo!);
        }
      }
      if (writers.length === 2) {
        const [a, b] = writers as [(typeof writers)[0], (typeof writers)[0]];
        expect(a.heldTo! < b.heldFrom! || b.heldTo! < a.heldFrom!).toBe(true);
      }
      for (const result of results) {
        if (result.main.exitCode !== 0)
          expect(result.annotations[0]?.message).toMatch(/Another deploy holds the lock/);
      }
    }
    // The test means something only if most pairs really raced.
    expect(contended).toBeGreaterThanOrEqual(20);
  }, 240_000);

  it('5: a run whose lease is taken over mid-bake stops touching traffic and leaves it to the new holder', async () => {
    const { twin, elbv2, portal, weights, run } = await setUp();
    const deploying = run({ image: 'svc-portal:v2', 'step-bake': '3s' });
    await twin.waitFor(() => twin.calls.of('elbv2', 'ModifyRule').length > 0, 20_000, 'the first step');
    const thief = 'run-4242-1@mpac/svc-portal';
    await elbv2.send(
      new RemoveTagsCommand({
        ResourceArns: [portal.productionRuleArn],
        TagKeys: [lockTagKey('run-1001-1@mpac/svc-portal')],
      }),
    );
    await elbv2.send(
      new AddTagsCommand({
        ResourceArns: [portal.productionRuleArn],
        Tags: [
          {
            Key: lockTagKey(thief),
            Value: formatLockValue({ holder: thief, expiresAt: Date.now() + 600_000, state: 'held' }),
          },
        ],
      }),
    );
    const result = await deploying;
    expect(result.main.exitCode).toBe(1);
    expect(result.outputs.outcome).toBe('lock-lost');
    expect(result.annotations[0]?.message).toMatch(
      /lost the deploy lock .*run-4242-1@mpac\/svc-portal holds it now/,
    );
    expect(twin.calls.of('elbv2', 'ModifyRule')).toHaveLength(1);
    expect(await weights()).toEqual([95, 5]);
  });

  it('6: a RegisterTaskDefinition whose response is lost after ECS acted registers one revision', async () => {
    const { twin, run } = await setUp();
    twin.faults.add({ service: 'ecs', operation: 'RegisterTaskDefinition', dropResponse: { times: 1 } });
    const result = await run({ image: 'svc-portal:v2', 'traffic-steps': '100' });
    expect(result.main.exitCode).toBe(0);
    expect(result.log).toMatch(/svc-portal:2 was registered by this run: using it/);
    const revisions = [...twin.services.ecs.taskDefinitions.values()].filter(
      (definition) => definition.family === 'svc-portal',
    );
    expect(revisions.map((definition) => definition.revision)).toEqual([1, 2]);
    expect(result.outputs['task-definition-arn']).toMatch(/svc-portal:2$/);
  });

  it('7: a deploy that starts from a leftover split is refused, naming the weights and the fix', async () => {
    const { twin, elbv2, portal, weights, run, changes } = await setUp({ idleImage: 'svc-portal:v2' });
    await elbv2.send(
      new ModifyRuleCommand({
        RuleArn: portal.productionRuleArn,
        Actions: [
          {
            Type: 'forward',
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: portal.blueTargetGroupArn, Weight: 95 },
                { TargetGroupArn: portal.greenTargetGroupArn, Weight: 5 },
              ],
            },
          },
        ],
      }),
    );
    twin.calls.clear();
    const result = await run({ image: 'svc-portal:v3' });
    expect(result.main.exitCode).toBe(1);
    expect(result.annotations[0]?.message).toMatch(
      /Production traffic is split \(blue 95 % \/ green 5 %\).*phase: rollback \(to-color: blue\), or set force-from-split: true/,
    );
    expect(changes()).toEqual([]);
    expect(await weights()).toEqual([95, 5]);
  });

  it('8: the test listener serves the new release after prepare, every time', async () => {
    const { twin, portal, run } = await setUp();
    const testInputs = { 'test-listener-rule-arn': portal.testRuleArn!, 'traffic-steps': '100' };
    expect((await run({ image: 'svc-portal:v2', ...testInputs })).outputs['live-color']).toBe('green');
    const prepared = await run({ image: 'svc-portal:v3', phase: 'prepare', ...testInputs }, otherRun('2002'));
    expect(prepared.outputs).toMatchObject({ outcome: 'prepared', 'test-listener-color': 'blue' });
    expect(prepared.summary).toMatch(/test listener serves<\/b>: blue \(.*svc-portal:3\)/);
    expect((await twin.traffic.send(`${portal.testUrl}/`, 10)).byVersion).toEqual({ v3: 10 });
    expect((await twin.traffic.send(`${portal.productionUrl}/`, 10)).byVersion).toEqual({ v2: 10 });
  });

  it('9: a second rollback does not re-promote the release the first one took off', async () => {
    const { twin, weights, run } = await setUp();
    expect((await run({ image: 'svc-portal:v2', 'traffic-steps': '100' })).outputs['live-color']).toBe(
      'green',
    );
    const first = await run({ phase: 'rollback', 'task-definition': '' }, otherRun('2002'));
    expect(first.outputs).toMatchObject({
      outcome: 'rolled-back',
      'live-color': 'blue',
      'previous-color': 'green',
    });
    twin.calls.clear();
    const second = await run({ phase: 'rollback', 'task-definition': '' }, otherRun('2003'));
    expect(second.main.exitCode).toBe(1);
    expect(second.annotations[0]?.message).toMatch(
      /green runs .*svc-portal:2, which was rolled back .*Set force: true/,
    );
    expect(twin.calls.of('elbv2', 'ModifyRule')).toEqual([]);
    expect(await weights()).toEqual([100, 0]);
  });
});
