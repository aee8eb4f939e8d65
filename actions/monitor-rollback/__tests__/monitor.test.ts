import { afterEach, describe, expect, it } from '@jest/globals';
import type { HttpRequest, HttpResponse } from '../../../packages/shared/src/checks/http.js';
import { formatLockValue, lockTagKey } from '../../../packages/shared/src/blue-green/lease.js';
import { InputReader } from '../../../packages/shared/src/inputs.js';
import {
  fakeBlueGreen,
  ARNS,
  taskDefinitionArn,
  type FakeBlueGreen,
} from '../../../packages/shared/testing/fake-blue-green.js';
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
  // As the promotion of svc:2 onto green recorded it.
  world.services.green.taskDefinition = taskDefinitionArn(2);
  for (const [key, value] of Object.entries(promotedTags)) world.tags.set(key, value);
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

const promotedTags = {
  'mpac:live-color': 'green',
  'mpac:previous-color': 'blue',
  'mpac:outcome': 'promoted',
  'mpac:task-definition': taskDefinitionArn(2),
  'mpac:previous-task-definition': taskDefinitionArn(1),
  'mpac:run': 'run-8-1@mpac/svc',
  'mpac:verified:green': taskDefinitionArn(2),
  'mpac:verified:blue': taskDefinitionArn(1),
};

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
    expect(result.checks[0]!.reasons[0]).toMatch(/no evidence: no complete CloudWatch period published yet/);
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
    expect(result.reason).toMatch(
      /^3 probe rounds in a row failed; the last: probe http:\/\/127\.0\.0\.1:9\/health status expected 2xx or 3xx, got 503/,
    );
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

  it('keeps watching while a newer deploy moves traffic: its checks neither fail nor roll back, and the watch goes on', async () => {
    // Checks 2 and 3 fall inside run-77's 5 % step (its safe end is green): green looks bad then.
    const { context, world } = setUp({}, { series: [good, good, bad, bad, good] });
    let reads = 0;
    const newerDeploy = () => {
      // Read 1 is the watch's start, read n + 1 the nth check.
      reads++;
      const check = reads - 1;
      if (check === 2) {
        world.weights = { blue: 5, green: 95 };
        world.tags.set('mpac:safe-end', 'green run-77-1@mpac/svc');
      }
      if (check === 4) {
        world.weights = { blue: 0, green: 100 };
        world.tags.delete('mpac:safe-end');
        world.tags.set('mpac:outcome', 'inconclusive');
        world.tags.set('mpac:run', 'run-77-1@mpac/svc');
      }
      if (check < 5) world.beforeNext('DescribeRules', newerDeploy);
    };
    world.beforeNext('DescribeRules', newerDeploy);
    const result = await monitor(context);
    expect(result.outcome).toBe('healthy');
    expect(result.checks.map((entry) => entry.verdict).slice(0, 4)).toEqual([
      'passed',
      'paused',
      'paused',
      'passed',
    ]);
    expect(result.checks[1]!.reasons[0]).toMatch(/run-77-1@mpac\/svc is moving traffic/);
    expect(result.reason).toMatch(/watched for the whole window; 2 check\(s\) paused/);
    expect(world.calls.filter((call) => call.startsWith('ModifyRule'))).toEqual([]);
  });

  it('ends superseded, exit green, naming the run and the release, once another release serves customers', async () => {
    const { context, world } = setUp({}, { series: [good] });
    world.beforeNext('GetMetricData', () => {
      world.weights = { blue: 100, green: 0 };
      world.services.blue.taskDefinition = taskDefinitionArn(3);
      world.tags.set('mpac:live-color', 'blue');
      world.tags.set('mpac:task-definition', taskDefinitionArn(3));
      world.tags.set('mpac:run', 'run-77-1@mpac/svc');
    });
    const result = await monitor(context);
    expect(result).toMatchObject({ outcome: 'superseded', liveColor: 'blue', watchedColor: 'green' });
    expect(result.reason).toMatch(
      /^blue serves all traffic now with .*svc:3, moved there by run-77-1@mpac\/svc \(promoted\); .*svc:2 on green no longer serves customers/,
    );
    expect(
      world.calls.filter((call) => call.startsWith('ModifyRule') || call.startsWith('UpdateService')),
    ).toEqual([]);
  });

  it('rolls back to the release last verified on blue, bringing it back first when a newer prepare left an untested one there', async () => {
    const { context, world } = setUp({ 'no-data': 'fail' });
    // Deploy B prepared svc:3 on blue, failed its smoke tests and let the lock go.
    world.services.blue.taskDefinition = taskDefinitionArn(3);
    world.tags.set('mpac:unverified:blue', taskDefinitionArn(3));
    const result = await monitor(context);
    expect(result).toMatchObject({ outcome: 'rolled-back', liveColor: 'blue' });
    const bringBack = world.calls.indexOf(`UpdateService svc-blue ${taskDefinitionArn(1)} 2`);
    expect(bringBack).toBeGreaterThan(-1);
    expect(world.calls.indexOf('ModifyRule 100/0')).toBeGreaterThan(bringBack);
    expect(world.services.blue.taskDefinition).toBe(taskDefinitionArn(1));
    expect(
      Object.fromEntries([...world.tags].filter(([key]) => !key.startsWith('mpac:lock:'))),
    ).toMatchObject({
      'mpac:outcome': 'rolled-back-by-monitor',
      'mpac:live-color': 'blue',
      'mpac:verified:blue': taskDefinitionArn(1),
      'mpac:unverified:green': taskDefinitionArn(2),
      'mpac:rejected-task-definition': taskDefinitionArn(2),
    });
    expect(world.tags.has('mpac:unverified:blue')).toBe(false);
    expect(world.tags.has('mpac:verified:green')).toBe(false);
    expect(world.tags.has('mpac:safe-end')).toBe(false);
  });

  it('refuses, moving nobody, when no release was ever verified on the previous colour', async () => {
    const { context, world } = setUp({ 'no-data': 'fail' });
    world.tags.delete('mpac:verified:blue');
    world.tags.set('mpac:verified:green', taskDefinitionArn(2));
    world.tags.set('mpac:outcome', 'rolled-back');
    const result = await monitor(context);
    expect(result.outcome).toBe('refused');
    expect(result.reason).toMatch(
      /no release was ever verified on blue \(it runs .*svc:1\): nothing was moved/,
    );
    expect(
      world.calls.filter((call) => call.startsWith('ModifyRule') || call.startsWith('UpdateService')),
    ).toEqual([]);
  });

  it('waits lock-wait for a deploy that holds the lease, then fails without touching traffic', async () => {
    const { context, world } = setUp({ 'no-data': 'fail', 'lock-wait': '2m' });
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
