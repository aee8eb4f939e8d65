import { afterEach, describe, expect, it } from '@jest/globals';
import { InputReader } from '../../../packages/shared/src/inputs.js';
import { fakeBlueGreen, ARNS, type FakeBlueGreen } from '../../../packages/shared/testing/fake-blue-green.js';
import { fakeClock } from '../../../packages/shared/testing/fake-clock.js';
import { getInputs } from '../src/inputs.js';
import { monitor } from '../src/monitor.js';

let fake: FakeBlueGreen | undefined;
afterEach(() => fake?.restore());

/** Green live after a promote, blue still running; green's metrics follow `series`, one entry per check. */
function setUp(noData: string, series: { requests: number; errors: number }[]) {
  fake = fakeBlueGreen({ live: 'green', idleRunning: 2 });
  const { world, clients } = fake;
  const clock = fakeClock();
  let tick = 0;
  const values: Record<string, string> = {
    cluster: 'prod',
    service: 'svc',
    'listener-rule-arn': ARNS.rule,
    'aws-region': 'eu-west-1',
    duration: '10s',
    interval: '1s',
    'no-data': noData,
    'failures-before-rollback': '3',
  };
  const context = {
    inputs: getInputs(new InputReader((name) => values[name] ?? ''), {}),
    ecs: clients.ecs,
    elbv2: clients.elbv2,
    cloudwatch: clients.cloudwatch,
    clock: {
      now: clock.now,
      sleep: async (ms: number) => {
        await clock.sleep(ms);
        world.metrics.green = series[Math.min(tick++, series.length - 1)]!;
      },
    },
    probe: async () => ({ ok: true, ms: 1 }),
    log: () => undefined,
    holder: 'run-9-1@mpac/svc',
  };
  return { context, world };
}

describe('monitor', () => {
  it('treats checks without requests as inconclusive by default: no rollback, streak kept', async () => {
    const { context, world } = setUp('inconclusive', [{ requests: 0, errors: 0 }]);
    const result = await monitor(context);
    expect(result.outcome).toBe('healthy');
    expect(result.checks.map((check) => check.verdict)).toEqual(Array(10).fill('inconclusive'));
    expect(world.weights).toEqual({ blue: 0, green: 100 });
  });

  it('rolls back on no data when no-data is fail, through the shared core under the lease', async () => {
    const { context, world } = setUp('fail', [{ requests: 0, errors: 0 }]);
    const result = await monitor(context);
    expect(result).toMatchObject({ outcome: 'rolled-back', liveColor: 'blue', previousColor: 'green' });
    expect(result.checks).toHaveLength(3);
    expect(world.weights).toEqual({ blue: 100, green: 0 });
    expect(world.calls.filter((call) => call.startsWith('ModifyRule'))).toEqual(['ModifyRule 100/0']);
    expect(world.tags.get('mpac:outcome')).toBe('rolled-back-by-monitor');
    expect(world.tags.get('mpac:rejected-task-definition')).toBe(world.services.green.taskDefinition);
    expect([...world.tags.keys()].some((key) => key.startsWith('mpac:lock:'))).toBe(false);
  });

  it('needs the failures in a row: a pass in between resets the count', async () => {
    const bad = { requests: 100, errors: 50 };
    const good = { requests: 100, errors: 0 };
    const { context } = setUp('inconclusive', [bad, bad, good, bad, bad, good, good]);
    const result = await monitor(context);
    expect(result.outcome).toBe('healthy');
    expect(result.checks.map((check) => check.verdict).slice(0, 6)).toEqual([
      'failed',
      'failed',
      'passed',
      'failed',
      'failed',
      'passed',
    ]);
  });

  it('stops watching, without touching traffic, when someone else moves it', async () => {
    const { context, world } = setUp('inconclusive', [{ requests: 100, errors: 0 }]);
    world.beforeNext('GetMetricData', () => (world.weights = { blue: 50, green: 50 }));
    const result = await monitor(context);
    expect(result.outcome).toBe('stopped');
    expect(result.reason).toMatch(
      /traffic was moved by someone else \(blue 0 % \/ green 100 % → blue 50 % \/ green 50 %\)/,
    );
    expect(world.calls.filter((call) => call.startsWith('ModifyRule'))).toEqual([]);
  });

  it('does not roll back while a deploy holds the lease', async () => {
    const { context, world } = setUp('fail', [{ requests: 0, errors: 0 }]);
    world.tags.set(
      'mpac:lock:0123456789abcdef',
      `run-77-1@mpac/svc ${new Date(context.clock.now() + 3_600_000).toISOString()} held`,
    );
    await expect(monitor(context)).rejects.toThrow(/Another deploy holds the lock on .*: run-77-1@mpac\/svc/);
    expect(world.weights).toEqual({ blue: 0, green: 100 });
  });
});
