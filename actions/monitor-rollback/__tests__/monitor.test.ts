import { afterEach, describe, expect, it } from '@jest/globals';
import type { HttpRequest, HttpResponse } from '../../../packages/shared/src/checks/http.js';
import { formatLockValue, lockTagKey } from '../../../packages/shared/src/blue-green/lease.js';
import { InputReader } from '../../../packages/shared/src/inputs.js';
import { fakeBlueGreen, ARNS, type FakeBlueGreen } from '../../../packages/shared/testing/fake-blue-green.js';
import { fakeClock } from '../../../packages/shared/testing/fake-clock.js';
import { getInputs } from '../src/inputs.js';
import { monitor } from '../src/monitor.js';

let fake: FakeBlueGreen | undefined;
afterEach(() => fake?.restore());

interface Options {
  /** Green's metrics per check, one entry per interval (the last repeats). */
  series?: { requests: number; errors: number; p95Seconds?: number }[];
  send?: (request: HttpRequest) => Partial<HttpResponse>;
}

/** Green live after a promote, blue still running; checks every minute for ten minutes. */
function setUp(values: Record<string, string> = {}, options: Options = {}) {
  fake = fakeBlueGreen({ live: 'green', idleRunning: 2 });
  const { world, clients } = fake;
  const clock = fakeClock();
  const series = options.series ?? [{ requests: 0, errors: 0 }];
  world.metrics.green = series[0]!;
  const started = clock.now();
  const inputs = getInputs(
    new InputReader(
      (name) =>
        ({
          cluster: 'prod',
          service: 'svc',
          'listener-rule-arn': ARNS.rule,
          'aws-region': 'eu-west-1',
          duration: '10m',
          interval: '1m',
          'metric-delay': '0s',
          ...values,
        })[name] ?? '',
    ),
    {},
  );
  const requests: HttpRequest[] = [];
  const context = {
    inputs,
    ecs: clients.ecs,
    elbv2: clients.elbv2,
    cloudwatch: clients.cloudwatch,
    clock: {
      now: clock.now,
      sleep: async (ms: number) => {
        await clock.sleep(ms);
        const tick = Math.floor((clock.now() - started) / 60_000);
        world.metrics.green = series[Math.min(tick, series.length - 1)]!;
      },
    },
    send: async (request: HttpRequest): Promise<HttpResponse> => {
      requests.push(request);
      return { status: 200, headers: {}, body: '{}', latencyMs: 5, ...options.send?.(request) };
    },
    log: () => undefined,
    holder: 'run-9-1@mpac/svc',
  };
  return { context, world, clock, started, requests };
}

const good = { requests: 1000, errors: 1 };
const bad = { requests: 1000, errors: 500 };

describe('monitor', () => {
  it('without traffic ends inconclusive, never healthy: every check said no evidence', async () => {
    const { context, world } = setUp();
    const result = await monitor(context);
    expect(result.outcome).toBe('inconclusive');
    expect(result.checks.map((check) => check.verdict)).toEqual(Array(10).fill('inconclusive'));
    expect(result.reason).toMatch(/^10 of 10 checks had no evidence/);
    expect(world.weights).toEqual({ blue: 0, green: 100 });
  });

  it('does not take periods CloudWatch has not published yet for "no data" or for a pass', async () => {
    const { context } = setUp({ 'metric-delay': '3m' }, { series: [good] });
    const result = await monitor(context);
    expect(result.outcome).toBe('healthy');
    const verdicts = result.checks.map((check) => check.verdict);
    expect(verdicts.slice(0, 3)).toEqual(['inconclusive', 'inconclusive', 'inconclusive']);
    expect(verdicts.slice(3)).toEqual(Array(7).fill('passed'));
    expect(result.checks[0]!.reasons[0]).toMatch(/no CloudWatch period published since the last check/);
  });

  it('rolls back on no data when no-data is fail, through the shared core under the lease', async () => {
    const { context, world } = setUp({ 'no-data': 'fail' });
    const result = await monitor(context);
    expect(result).toMatchObject({ outcome: 'rolled-back', liveColor: 'blue', watchedColor: 'green' });
    expect(result.checks).toHaveLength(3);
    expect(result.detectedAt).toBeDefined();
    expect(result.restoredAt).toBeGreaterThanOrEqual(result.detectedAt!);
    expect(world.weights).toEqual({ blue: 100, green: 0 });
    expect(world.calls.filter((call) => call.startsWith('ModifyRule'))).toEqual(['ModifyRule 100/0']);
    expect(world.tags.get('mpac:outcome')).toBe('rolled-back-by-monitor');
    expect(world.tags.get('mpac:rejected-task-definition')).toBe(world.services.green.taskDefinition);
    expect([...world.tags.keys()].some((key) => key.startsWith('mpac:lock:'))).toBe(false);
  });

  it('needs the failures in a row: a pass in between resets the count', async () => {
    const { context } = setUp({}, { series: [good, bad, bad, good, bad, bad, good] });
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

  it('compares with the previous colour before the cutover: 3 % now against 0.2 % then fails', async () => {
    const { context, world, clock } = setUp({}, { series: [{ requests: 2000, errors: 60 }] });
    world.tags.set('mpac:live-color', 'green');
    world.tags.set('mpac:previous-color', 'blue');
    world.tags.set('mpac:outcome', 'promoted');
    world.tags.set('mpac:cutover-at', new Date(clock.now() - 600_000).toISOString());
    world.metrics.blue = { requests: 2000, errors: 4 };
    const result = await monitor(context);
    expect(result.baseline).toMatchObject({ color: 'blue', aggregate: { errors: expect.any(Number) } });
    expect(result.outcome).toBe('rolled-back');
    expect(result.checks[0]!.reasons[0]).toMatch(
      /^error rate rose against blue before the cutover: green 3\.00 % vs blue before the cutover 0\.20 %, \+2\.80 pp, p = /,
    );
  });

  it('counts task restarts of the live service, with every container exit code', async () => {
    const { context, world, clock } = setUp({}, { series: [good] });
    world.stoppedTasks.push({
      taskArn: 'arn:aws:ecs:eu-west-1:1:task/prod/old',
      serviceName: 'svc-green',
      stoppedAt: new Date(clock.now() - 3_600_000),
      stoppedReason: 'Scaling activity initiated by deployment',
      containers: [{ name: 'app', exitCode: 0 }],
    });
    for (let minute = 0; minute < 10; minute++)
      world.stoppedTasks.push({
        taskArn: `arn:aws:ecs:eu-west-1:1:task/prod/crash${minute}`,
        serviceName: 'svc-green',
        stoppedAt: new Date(clock.now() + minute * 60_000 + 30_000),
        stoppedReason: 'Essential container in task exited',
        containers: [
          { name: 'app', exitCode: 0 },
          { name: 'envoy', exitCode: 137 },
        ],
      });
    const result = await monitor(context);
    expect(result.outcome).toBe('rolled-back');
    expect(result.checks[0]!.reasons).toEqual([
      '1 task restart of svc-green since the watch began (max 0): task crash0 stopped: Essential container in task exited (exit codes: app 0, envoy 137)',
    ]);
  });

  it('describes a task that stopped before the watch once, not at every check for the hour ECS lists it', async () => {
    const { context, world, clock } = setUp({}, { series: [good] });
    world.stoppedTasks.push({
      taskArn: 'arn:aws:ecs:eu-west-1:1:task/prod/old',
      serviceName: 'svc-green',
      stoppedAt: new Date(clock.now() - 600_000),
      stoppedReason: 'Scaling activity initiated by deployment',
      containers: [{ name: 'app', exitCode: 0 }],
    });
    const result = await monitor(context);
    expect(result.outcome).toBe('healthy');
    expect(result.checks.length).toBeGreaterThan(5);
    expect(world.calls.filter((call) => call.startsWith('ListTasks')).length).toBe(result.checks.length);
    expect(world.calls.filter((call) => call.startsWith('DescribeTasks'))).toHaveLength(1);
    expect(result.checks.every((check) => check.restarts.length === 0)).toBe(true);
  });

  it('keeps failing after one restart, however few follow, so a slow crash loop is rolled back', async () => {
    const { context, world, clock } = setUp({}, { series: [good] });
    world.stoppedTasks.push({
      taskArn: 'arn:aws:ecs:eu-west-1:1:task/prod/once',
      serviceName: 'svc-green',
      stoppedAt: new Date(clock.now() + 30_000),
      stoppedReason: 'Essential container in task exited',
      containers: [{ name: 'app', exitCode: 137 }],
    });
    const result = await monitor(context);
    expect(result.outcome).toBe('rolled-back');
    expect(result.checks.slice(0, 3).map((check) => check.reasons)).toEqual([
      [
        expect.stringMatching(
          /^1 task restart of svc-green since the watch began \(max 0\): task once stopped/,
        ),
      ],
      [expect.stringMatching(/^1 task restart of svc-green since the watch began/)],
      [expect.stringMatching(/^1 task restart of svc-green since the watch began/)],
    ]);
    // Counted once: the same stopped task is not a new restart at every check.
    expect(result.checks.slice(1, 3).map((check) => check.restarts.length)).toEqual([0, 0]);
  });

  it('detects a failing probe on the fast path within three probe intervals', async () => {
    let failing = false;
    const { context, clock, started } = setUp(
      { 'probe-url': 'http://127.0.0.1:9/health', interval: '5m', duration: '1h' },
      { send: () => (failing ? { status: 503 } : { status: 200 }) },
    );
    const original = context.clock.sleep;
    let failingSince = 0;
    context.clock.sleep = async (ms: number) => {
      await original(ms);
      if (!failing && clock.now() - started >= 42_000) {
        failing = true;
        failingSince = clock.now();
      }
    };
    const result = await monitor(context);
    expect(result.outcome).toBe('rolled-back');
    expect(result.reason).toMatch(/^3 probe rounds in a row failed; the last: probe-url status expected/);
    expect(result.detectedAt! - failingSince).toBeLessThanOrEqual(15_000);
    expect(result.checks).toHaveLength(0);
  });

  it('reads Prometheus with the live colour in the query and the token as a bearer', async () => {
    const { context, requests } = setUp(
      {
        'prometheus-url': 'http://127.0.0.1:9090',
        'prometheus-queries': '- name: p99\n  query: p99{color="{{color}}"}\n  threshold: 0.5',
        'prometheus-token': 'prom-token-1',
      },
      {
        series: [good],
        send: () => ({
          status: 200,
          body: JSON.stringify({
            status: 'success',
            data: { resultType: 'vector', result: [{ value: [0, '0.8'] }] },
          }),
        }),
      },
    );
    const result = await monitor(context);
    expect(result.outcome).toBe('rolled-back');
    expect(result.checks[0]!.reasons).toEqual(['prometheus p99 = 0.8 (max 0.5)']);
    expect(decodeURIComponent(requests[0]!.url)).toContain('query=p99{color="green"}');
    expect(requests[0]!.headers.authorization).toBe('Bearer prom-token-1');
  });

  it('stops watching, without touching traffic, when someone else moves it', async () => {
    const { context, world } = setUp({}, { series: [good] });
    world.beforeNext('GetMetricData', () => (world.weights = { blue: 50, green: 50 }));
    const result = await monitor(context);
    expect(result.outcome).toBe('stopped');
    expect(result.reason).toMatch(
      /traffic was moved by someone else \(blue 0 % \/ green 100 % → blue 50 % \/ green 50 %\)/,
    );
    expect(world.calls.filter((call) => call.startsWith('ModifyRule'))).toEqual([]);
  });

  it('fails, without touching traffic, while a deploy holds the lease', async () => {
    const { context, world } = setUp({ 'no-data': 'fail' });
    world.tags.set(
      lockTagKey('run-77-1@mpac/svc'),
      formatLockValue({
        holder: 'run-77-1@mpac/svc',
        expiresAt: context.clock.now() + 3_600_000,
        state: 'held',
      }),
    );
    const result = await monitor(context);
    expect(result.outcome).toBe('failed');
    expect(result.reason).toMatch(
      /the rollback failed: Another deploy holds the lock on .*: run-77-1@mpac\/svc/,
    );
    expect(world.weights).toEqual({ blue: 0, green: 100 });
  });
});
