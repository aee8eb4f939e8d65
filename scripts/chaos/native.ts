/**
 * strategy: ecs-native under chaos: a runner lost at each pause (ECS ends on the previous revision
 * by the pause's own timeout, with no job left to help), a failed analysis (ROLLBACK at once), an
 * alarm in the bake (ECS rolls back, the suite reports it), a deploy while one is under way
 * (refused, nothing changed). Customers are served throughout.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTwin, type Twin } from '../../packages/aws-twin/src/index.js';
import {
  runBundledAction,
  type RunBundledActionOptions,
} from '../../packages/shared/testing/run-bundled-action.js';
import { PORTAL_TASK_DEFINITION } from '../../packages/shared/testing/task-definition.js';
import type { Size, Verdict } from './scenarios.js';
import { ROOT } from './world.js';

/** One twin minute: a pause's timeout (its window plus two minutes) passes in seconds. */
const MINUTE_MS = 4000;

export interface NativeWorld {
  twin: Twin;
  deploy(
    inputs: Record<string, string>,
    options?: Pick<RunBundledActionOptions, 'killMainWhen' | 'runPost'> & { runId?: number },
  ): ReturnType<typeof runBundledAction>;
  /** Another bundled action (monitor-rollback) against the same twin, as a distinct run. */
  action(name: string, inputs: Record<string, string>): ReturnType<typeof runBundledAction>;
  /** The production URL's answering version. */
  version(): Promise<string | null>;
  /** The newest service deployment: its ARN and status. */
  newest(): { arn: string; status: string; hook?: string };
  /** Waits (bounded) until the newest deployment is over; its status. */
  settled(timeoutMs: number): Promise<string>;
  close(): Promise<void>;
}

let nextRunId = 40_000;

export async function startNativeWorld(): Promise<NativeWorld> {
  const twin = await startTwin({
    images: {
      'svc-portal:v1': { version: 'v1' },
      'svc-portal:v2': { version: 'v2' },
      'svc-portal:v3': { version: 'v3' },
      'svc-portal:bad': { version: 'bad', errorRate: 1 },
    },
    metrics: { periodSeconds: 1, publicationDelaySeconds: 1 },
    timing: { minuteMs: MINUTE_MS },
    alarms: [{ name: 'svc-portal-5xx', metricName: 'HTTPCode_Target_5XX_Count', threshold: 1000 }],
    ecsNative: [{ name: 'svc-portal', image: 'svc-portal:v1', desiredCount: 2, strategy: 'LINEAR' }],
  });
  const portal = twin.native['svc-portal']!;
  const workspace = mkdtempSync(path.join(tmpdir(), 'mpac-chaos-native-'));
  writeFileSync(path.join(workspace, 'task-definition.json'), JSON.stringify(PORTAL_TASK_DEFINITION));
  const ecs = twin.services.ecs.handlers;
  const newest = () => {
    const listed = ecs.ListServiceDeployments!({ cluster: portal.cluster, service: 'svc-portal' }) as {
      serviceDeployments: { serviceDeploymentArn: string }[];
    };
    const arn = listed.serviceDeployments[0]?.serviceDeploymentArn ?? '';
    const described = ecs.DescribeServiceDeployments!({ serviceDeploymentArns: [arn] }) as {
      serviceDeployments: { status: string; lifecycleHookDetails?: { status: string }[] }[];
    };
    const found = described.serviceDeployments[0];
    return { arn, status: found?.status ?? 'none', hook: found?.lifecycleHookDetails?.at(-1)?.status };
  };
  return {
    twin,
    deploy: (inputs, options = {}) =>
      runBundledAction(path.join(ROOT, 'actions/blue-green-deploy'), {
        inputs: {
          strategy: 'ecs-native',
          cluster: portal.cluster,
          service: 'svc-portal',
          'task-definition': 'task-definition.json',
          'container-name': 'app',
          'ecs-step-percent': '25',
          'traffic-steps': '25,100',
          'step-bake': '2s',
          'max-bake': '4s',
          'metric-period': '1s',
          'metric-delay': '1s',
          'wait-timeout': '30s',
          'bake-time': '0m',
          'lock-ttl': '1m',
          'lock-wait': '90s',
          'no-data': 'pass',
          ...inputs,
        },
        env: {
          ...twin.env,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          GITHUB_RUN_ID: String(options.runId ?? nextRunId++),
          GITHUB_RUN_ATTEMPT: '1',
          GITHUB_REPOSITORY: 'mpac/svc-portal',
        },
        cwd: workspace,
        timeoutMs: 150_000,
        killMainWhen: options.killMainWhen,
        runPost: options.runPost,
      }),
    action: (name, inputs) =>
      runBundledAction(path.join(ROOT, 'actions', name), {
        inputs,
        env: {
          ...twin.env,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          GITHUB_RUN_ID: String(nextRunId++),
          GITHUB_RUN_ATTEMPT: '1',
          GITHUB_REPOSITORY: 'mpac/svc-portal',
        },
        cwd: workspace,
        timeoutMs: 150_000,
      }),
    version: async () =>
      (await fetch(portal.productionUrl, { signal: AbortSignal.timeout(5000) })).headers.get('x-version'),
    newest,
    async settled(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let status = newest().status;
      while (
        Date.now() < deadline &&
        ['PENDING', 'IN_PROGRESS', 'STOP_REQUESTED', 'ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS'].includes(
          status,
        )
      ) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        status = newest().status;
      }
      return status;
    },
    async close() {
      await twin.close();
      rmSync(workspace, { recursive: true, force: true });
    },
  };
}

interface Case {
  name: string;
  run(world: NativeWorld, problems: string[]): Promise<void>;
}

/** A runner lost (SIGKILL, no post step) while the suite judges at a pause. */
function lostAt(name: string, when: RegExp, nextDeploy: boolean): Case {
  return {
    name: `runner lost at ${name}`,
    async run(world, problems) {
      const stopped = await world.deploy({ image: 'svc-portal:v2' }, { killMainWhen: when, runPost: false });
      if (!stopped.main.killed)
        problems.push(
          `${name}: the run ended before the point (${stopped.main.exitCode}): ${stopped.main.stdout.split('\n').slice(-6).join(' | ')}`,
        );
      // The pause waits out its window plus two minutes (seconds here), then ECS rolls back alone.
      const status = await world.settled(60_000);
      if (status !== 'ROLLBACK_SUCCESSFUL')
        problems.push(`${name}: the deployment ended ${status}, not ROLLBACK_SUCCESSFUL`);
      if (world.newest().hook !== 'TIMED_OUT')
        problems.push(`${name}: the pause was not left to time out (${world.newest().hook})`);
      const version = await world.version();
      if (version !== 'v1')
        problems.push(`${name}: customers reach ${version}, not the previous revision v1`);
      if (nextDeploy) {
        // The lost run's lock expires (lock-ttl 1m); the next deploy waits for it and goes through.
        const next = await world.deploy({ image: 'svc-portal:v3' });
        if (next.outputs.outcome !== 'promoted')
          problems.push(
            `${name}: the next deploy ended ${next.outputs.outcome ?? next.annotations.at(-1)?.message}`,
          );
      }
    },
  };
}

const CASES: Record<string, Case> = {
  'test pause': lostAt('the post-test pause', /Pause \S+ at POST_TEST_TRAFFIC_SHIFT/, false),
  'first step': lostAt('the pause after 25 %', /Step 25 %(25)?: bake and gate/, false),
  'post-production': lostAt('the post-production pause', /Step 100 %(25)?: bake and gate/, true),
  'analysis fails': {
    name: 'analysis fails at the first step',
    async run(world, problems) {
      const started = Date.now();
      const result = await world.deploy({ image: 'svc-portal:bad', 'no-data': 'wait' });
      if (result.outputs.outcome !== 'rolled-back')
        problems.push(`analysis: ended ${result.outputs.outcome}: ${result.outputs.reason}`);
      if (!/^gate failed at 25 %/.test(result.outputs.reason ?? ''))
        problems.push(`analysis: the reason is ${result.outputs.reason}`);
      if (world.newest().status !== 'ROLLBACK_SUCCESSFUL')
        problems.push(`analysis: the deployment is ${world.newest().status}`);
      if ((await world.version()) !== 'v1') problems.push('analysis: customers are not back on v1');
      if (Date.now() - started > 90_000) problems.push('analysis: the rollback took longer than 90 s');
    },
  },
  'alarm in the bake': {
    name: 'an alarm in the bake',
    async run(world, problems) {
      const running = world.deploy({ image: 'svc-portal:v2', alarms: 'svc-portal-5xx', 'bake-time': '5m' });
      const deadline = Date.now() + 60_000;
      const baking = () =>
        [...world.twin.services.ecs.serviceDeployments.values()].some(
          (record) => record.phases[record.phase]?.stage === 'BAKE_TIME',
        );
      while (!baking() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
      if (!baking()) problems.push('alarm: the deployment never reached its bake');
      world.twin.services.cloudwatch.handlers.SetAlarmState!({
        AlarmName: 'svc-portal-5xx',
        StateValue: 'ALARM',
        StateReason: 'chaos',
      });
      const result = await running;
      if (
        result.outputs.outcome !== 'rolled-back' ||
        !/svc-portal-5xx went into ALARM/.test(result.outputs.reason ?? '')
      )
        problems.push(`alarm: ended ${result.outputs.outcome}: ${result.outputs.reason}`);
      if ((await world.version()) !== 'v1') problems.push('alarm: customers are not back on v1');
    },
  },
  'deploy during a deploy': {
    name: 'a deploy while one is under way',
    async run(world, problems) {
      const prepared = await world.deploy({ image: 'svc-portal:v2', phase: 'prepare' });
      if (prepared.outputs.outcome !== 'prepared')
        problems.push(`second deploy: prepare ended ${prepared.outputs.outcome}`);
      const before = world.twin.calls.mutating().length;
      const second = await world.deploy({ image: 'svc-portal:v3' });
      if (
        second.main.exitCode !== 1 ||
        !/has a deployment in progress/.test(second.annotations[0]?.message ?? '')
      )
        problems.push(
          `second deploy: not refused (${second.outputs.outcome}: ${second.annotations[0]?.message})`,
        );
      const changed = world.twin.calls
        .mutating()
        .slice(before)
        .map((call) => call.operation);
      if (changed.length > 0) problems.push(`second deploy: changed AWS (${changed.join(', ')})`);
      const rolledBack = await world.deploy({ phase: 'rollback', 'task-definition': '' });
      if (rolledBack.outputs.outcome !== 'rolled-back')
        problems.push(`second deploy: the held deployment's rollback ended ${rolledBack.outputs.outcome}`);
    },
  },
};

export async function native({ quick }: Size): Promise<Verdict> {
  const names = quick
    ? ['first step', 'analysis fails', 'alarm in the bake', 'deploy during a deploy']
    : Object.keys(CASES);
  const problems: string[] = [];
  let held = 0;
  let requests = 0;
  let unanswered = 0;
  for (const name of names) {
    const world = await startNativeWorld();
    const portal = world.twin.native['svc-portal']!;
    const customers = world.twin.traffic.start({
      url: portal.productionUrl,
      requestsPerSecond: 50,
      maxDurationMs: 240_000,
    });
    const before = problems.length;
    try {
      await CASES[name]!.run(world, problems);
    } finally {
      const tally = await customers.stop();
      requests += tally.sent;
      // A bad release's own 500s are expected; a request that fell between revisions is not.
      const lost = tally.failedBy['load balancer'] + tally.failedBy['no answer'];
      unanswered += lost;
      if (lost > 0)
        problems.push(
          `${CASES[name]!.name}: ${lost} customer requests got no answer from a task (${tally.failedBy['load balancer']} answered by the load balancer itself; unanswered: ${JSON.stringify(tally.errors)})`,
        );
      await world.close();
    }
    if (problems.length === before) held++;
  }
  return {
    scenario: 'native',
    passed: problems.length === 0,
    summary: `ecs-native: ${held} of ${names.length} held (${names.map((name) => CASES[name]!.name).join('; ')}); ${requests} customer requests, ${unanswered} unanswered by a task`,
    numbers: { cases: names.length, held, requests, unanswered },
    problems,
  };
}
