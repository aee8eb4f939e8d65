/**
 * Benchmarks of the actions at work on the twin: cold start, how soon a deploy notices the idle
 * service is ready, detection to restored weights, what a bad release costs customers, and AWS
 * calls per promotion and per monitored hour. Each figure is a median of repeated runs, with its
 * baseline measured in the same run where it is a speed.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { startNativeWorld } from '../chaos/native.js';
import { ROOT, errorsOf, startWorld } from '../chaos/world.js';

export interface BenchResult {
  name: string;
  rows: Record<string, string | number>[];
  /** What the figures mean against their goals, in one or two lines. */
  notes: string[];
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

const ACTIONS = ['blue-green-deploy', 'monitor-rollback', 'smoke-test', 'coverage-gate', 'ecr-push'];

function timeProcess(args: string[], env: NodeJS.ProcessEnv = {}): number {
  const started = process.hrtime.bigint();
  spawnSync(process.execPath, args, { env: { PATH: process.env.PATH, ...env }, stdio: 'ignore' });
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Each bundle from process start to failing on a missing input, beside bare `node -e 0`. */
export function coldStart(quick: boolean): BenchResult {
  const runs = quick ? 5 : 15;
  const bare = median(Array.from({ length: runs }, () => timeProcess(['-e', '0'])));
  const rows: BenchResult['rows'] = [
    {
      what: 'node -e 0 (baseline)',
      'median ms': bare.toFixed(0),
      'over bare node ms': 0,
      'bundle MB': '—',
      'of it loaded first MB': '—',
    },
  ];
  for (const action of ACTIONS) {
    const entry = path.join(ROOT, 'actions', action, 'dist', 'index.js');
    const ms = median(
      Array.from({ length: runs }, () =>
        timeProcess([entry], {
          GITHUB_ACTIONS: 'true',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        }),
      ),
    );
    // The whole bundle: index.js and the chunks it imports once the inputs are read.
    const dist = path.dirname(entry);
    const total = readdirSync(dist)
      .filter((file) => file.endsWith('.js'))
      .reduce((sum, file) => sum + statSync(path.join(dist, file)).size, 0);
    rows.push({
      what: action,
      'median ms': ms.toFixed(0),
      'over bare node ms': (ms - bare).toFixed(0),
      'bundle MB': (total / 1024 / 1024).toFixed(2),
      'of it loaded first MB': (statSync(entry).size / 1024 / 1024).toFixed(2),
    });
  }
  return {
    name: 'cold start',
    rows,
    notes: ['goal: a failing run ≤ 100 ms over bare node, each bundle ≤ 1.3 MB'],
  };
}

/**
 * The idle service becomes stable at a random moment (its tasks start after a random delay): how
 * long after every target is healthy the deploy moves traffic, and how many AWS calls it made
 * while it waited.
 */
export async function noticing(quick: boolean): Promise<BenchResult> {
  const trials = quick ? 3 : 9;
  const late: number[] = [];
  const callRates: number[] = [];
  for (let trial = 0; trial < trials; trial++) {
    const startDelayMs = 1000 + Math.round(Math.random() * 4000);
    const world = await startWorld({ scenario: { timing: { taskStartDelayMs: startDelayMs } } });
    try {
      const portal = world.twin.resources['svc-portal']!;
      let healthyAt: number | undefined;
      const watch = setInterval(() => {
        if (healthyAt) return;
        const group = world.twin.services.elbv2.targetGroups.get(portal.greenTargetGroupArn);
        const targets = group ? [...group.targets.values()] : [];
        if (targets.length >= 2 && targets.every((target) => target.state === 'healthy'))
          healthyAt = Date.now();
      }, 5);
      const deployStarted = Date.now();
      await world.deploy({ image: 'svc-portal:v2', 'traffic-steps': '100', 'no-data': 'pass' });
      clearInterval(watch);
      const firstMove = world.twin.calls
        .of('elbv2', 'ModifyRule')
        .find((call) => JSON.stringify(call.params).includes(portal.productionRuleArn))?.at;
      // The wait begins when the idle service is updated.
      const waitStarted = world.twin.calls
        .of('ecs', 'UpdateService')
        .find((call) => call.at >= deployStarted)?.at;
      if (!healthyAt || !firstMove || !waitStarted) continue;
      late.push(firstMove - healthyAt);
      const waitCalls = world.twin.calls
        .all()
        .filter(
          (call) =>
            call.at >= waitStarted &&
            call.at <= firstMove &&
            ['DescribeServices', 'DescribeTargetHealth', 'ListTasks', 'DescribeTasks'].includes(
              call.operation,
            ),
        ).length;
      callRates.push(waitCalls / ((firstMove - waitStarted) / 1000));
    } finally {
      await world.close();
    }
  }
  return {
    name: 'noticing',
    rows: [
      {
        trials: late.length,
        'median ms from healthy to the first move': median(late).toFixed(0),
        'worst ms': Math.max(...late).toFixed(0),
        'median waiting calls per second': median(callRates).toFixed(2),
      },
    ],
    notes: [
      'waiting: from UpdateService to the first weight change, tasks starting 1–5 s (DescribeServices, DescribeTargetHealth, ListTasks, DescribeTasks)',
      'goal: ≤ 1000 ms late at ≤ 1 call per second while waiting',
    ],
  };
}

/** A bad release starts failing at a known moment: time to the monitor's decision and to verified weights. */
export async function detection(quick: boolean): Promise<BenchResult> {
  const trials = quick ? 1 : 3;
  const rows: BenchResult['rows'] = [];
  for (const mode of ['probe-only', 'metrics-only'] as const) {
    const decided: number[] = [];
    const restored: number[] = [];
    for (let trial = 0; trial < trials; trial++) {
      const world = await startWorld();
      try {
        const portal = world.twin.resources['svc-portal']!;
        const traffic = world.customers(50, 120_000);
        const promoted = await world.deploy({ image: 'svc-portal:v2', 'traffic-steps': '100' });
        if (promoted.outputs.outcome !== 'promoted') continue;
        const breakAt = Date.now() + 4000;
        world.twin.faults.changeImage('svc-portal:v2', { errorRate: 1 }, 4000);
        const result = await world.action('monitor-rollback', {
          cluster: portal.cluster,
          service: 'svc-portal',
          'listener-rule-arn': portal.productionRuleArn,
          duration: '60s',
          // CloudWatch as AWS publishes it, scaled: 1-second periods published 3 s late.
          'metric-period': '1s',
          'metric-delay': '3s',
          interval: '1s',
          ...(mode === 'probe-only'
            ? {
                'probe-url': `${portal.productionUrl}/orders`,
                'probe-interval': '1s',
                'max-error-rate': '100',
              }
            : {}),
        });
        await traffic.stop();
        const at = (value?: string) => (value ? Date.parse(value) - breakAt : NaN);
        if (result.outputs.outcome === 'rolled-back') {
          decided.push(at(result.outputs['detected-at']));
          restored.push(at(result.outputs['restored-at']));
        }
      } finally {
        await world.close();
      }
    }
    rows.push({
      mode,
      'rolled back': `${decided.length}/${trials}`,
      'median s to the decision': decided.length ? (median(decided) / 1000).toFixed(1) : '—',
      'median s to verified weights': restored.length ? (median(restored) / 1000).toFixed(1) : '—',
    });
  }
  return {
    name: 'detection to restored',
    rows,
    notes: [
      'metrics-only waits for published periods (scaled: 1 s periods, 3 s late; on AWS 60 s periods, minutes late)',
    ],
  };
}

/** Requests customers saw fail before a bad release was rolled back at 5 %, at 50 req/s. */
export async function customerCost(quick: boolean): Promise<BenchResult> {
  const trials = quick ? 1 : 3;
  const rows: BenchResult['rows'] = [];
  for (const [label, behaviour] of [
    ['100 % errors', { errorRate: 1 }],
    ['10 % errors', { errorRate: 0.1 }],
  ] as const) {
    const failed: number[] = [];
    const caughtAt: string[] = [];
    for (let trial = 0; trial < trials; trial++) {
      const world = await startWorld({ images: { 'svc-portal:bad': behaviour } });
      try {
        const traffic = world.customers(50, 180_000);
        const result = await world.deploy({
          image: 'svc-portal:bad',
          'traffic-steps': '5,50,100',
          'step-bake': '3s',
          'metric-delay': '3s',
          'no-data': 'wait',
        });
        const tally = await traffic.stop();
        failed.push(errorsOf(tally) + tally.failed);
        caughtAt.push(/at (\d+) %/.exec(result.outputs.reason ?? '')?.[1] ?? result.outputs.outcome ?? '?');
      } finally {
        await world.close();
      }
    }
    rows.push({
      release: label,
      'median failed requests': median(failed),
      'caught at %': caughtAt.join(', '),
    });
  }
  return {
    name: 'customer cost of a bad release',
    rows,
    notes: ['50 req/s, 5/50/100 with 3 s bakes, CloudWatch 1 s periods published 3 s late'],
  };
}

/** AWS calls per promotion by operation, and per monitored hour at the default interval (scaled). */
export async function apiEconomy(quick: boolean): Promise<BenchResult> {
  const world = await startWorld();
  try {
    const portal = world.twin.resources['svc-portal']!;
    const traffic = world.customers(50, 180_000);
    world.twin.calls.clear();
    await world.deploy({ image: 'svc-portal:v2', 'traffic-steps': '5,50,100' });
    const byOperation = new Map<string, number>();
    for (const call of world.twin.calls.all())
      byOperation.set(call.operation, (byOperation.get(call.operation) ?? 0) + 1);
    const promotion = [...byOperation].sort((a, b) => b[1] - a[1]);
    world.twin.calls.clear();
    const checks = quick ? 10 : 30;
    // The default interval is 1 m; scaled here to 1 s, so `checks` seconds stand for `checks` minutes.
    await world.action('monitor-rollback', {
      cluster: portal.cluster,
      service: 'svc-portal',
      'listener-rule-arn': portal.productionRuleArn,
      duration: `${checks}s`,
      interval: '1s',
      'metric-period': '1s',
      'metric-delay': '1s',
    });
    await traffic.stop();
    const monitorCalls = world.twin.calls.all().length;
    const perHour = Math.round((monitorCalls / checks) * 60);
    return {
      name: 'API economy',
      rows: [
        {
          what: 'one promotion (5/50/100)',
          calls: promotion.reduce((sum, [, count]) => sum + count, 0),
          'by operation': promotion.map(([name, count]) => `${name} ${count}`).join(', '),
        },
        {
          what: `monitor, ${checks} checks`,
          calls: monitorCalls,
          'by operation': `≈ ${perHour} per monitored hour at the default 1 m interval`,
        },
      ],
      notes: ['goal: ≤ 125 calls per monitored hour'],
    };
  } finally {
    await world.close();
  }
}

/** Hours the old colour runs per release with cleanup: the three 5-minute bakes, then the hour's watch. */
const OLD_COLOUR_HOURS = (3 * 5) / 60 + 1;

/**
 * Fargate task-hours per release: the same releases on the twin, one after another with a quiet
 * interval between them, with and without `phase: cleanup` after each release's watch. Task time is
 * what Fargate bills: from a task's creation to its stop, every task of both colours.
 */
export async function idleCapacity(quick: boolean): Promise<BenchResult> {
  const releases = quick ? 2 : 3;
  const intervalMs = quick ? 6_000 : 30_000;
  const rows: BenchResult['rows'] = [];
  const perRelease: Record<string, number> = {};
  for (const cleanup of [false, true]) {
    const images = Object.fromEntries(
      Array.from({ length: releases }, (_, index) => [
        `svc-portal:v${index + 2}`,
        { version: `v${index + 2}` },
      ]),
    );
    const world = await startWorld({ images });
    try {
      const portal = world.twin.resources['svc-portal']!;
      // Customers all along: the gates and the watch judge real traffic.
      const traffic = world.customers(50, 600_000);
      const began = Date.now();
      for (let index = 0; index < releases; index++) {
        const deployed = await world.deploy({
          image: `svc-portal:v${index + 2}`,
          'traffic-steps': '5,50,100',
        });
        if (deployed.outputs.outcome !== 'promoted')
          throw new Error(
            `release ${index + 2} ended ${deployed.outputs.outcome}: ${deployed.outputs.reason ?? deployed.log.slice(-1500)}`,
          );
        const watched = await world.action('monitor-rollback', {
          cluster: portal.cluster,
          service: 'svc-portal',
          'listener-rule-arn': portal.productionRuleArn,
          duration: '6s',
          interval: '2s',
          'metric-period': '1s',
          'metric-delay': '1s',
        });
        if (watched.outputs.outcome !== 'healthy')
          throw new Error(`the watch ended ${watched.outputs.outcome}: ${watched.log.slice(-1500)}`);
        if (cleanup) {
          const cleaned = await world.deploy({ phase: 'cleanup', 'task-definition': '' });
          if (cleaned.outputs.outcome !== 'cleaned-up')
            throw new Error(`cleanup ended ${cleaned.outputs.outcome}`);
        }
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
      const ended = Date.now();
      await traffic.stop();
      const taskSeconds =
        [...world.twin.services.ecs.tasks.values()]
          .filter((task) => task.serviceName)
          .reduce((sum, task) => {
            const from = Math.max(task.createdAt.getTime(), began);
            const to = Math.min(task.stoppedAt?.getTime() ?? ended, ended);
            return sum + Math.max(0, to - from);
          }, 0) / 1000;
      const label = cleanup ? 'cleanup after the watch' : 'old colour kept (before)';
      perRelease[label] = taskSeconds / releases;
      rows.push({
        variant: label,
        releases,
        'wall s': ((ended - began) / 1000).toFixed(0),
        'task-seconds per release': (taskSeconds / releases).toFixed(0),
        'tasks on average': (taskSeconds / ((ended - began) / 1000)).toFixed(2),
      });
    } finally {
      await world.close();
    }
  }
  const before = perRelease['old colour kept (before)']!;
  const after = perRelease['cleanup after the watch']!;
  return {
    name: 'Fargate task-hours per release',
    rows,
    notes: [
      `cleanup: ${(after / before).toFixed(2)}× the task time of keeping the old colour (2 tasks a colour; each release: 5/50/100 with 1 s bakes, a 6 s watch, then ${intervalMs / 1000} s until the next)`,
      `at production's scale (a release a day, 5/50/100 with 5 min bakes, an hour's watch), the old colour runs ${OLD_COLOUR_HOURS} h a day instead of 24 h: ${((24 + OLD_COLOUR_HOURS) / 48).toFixed(2)}× the task-hours of keeping it`,
    ],
  };
}

/** The length of the watch in this benchmark: one twin "hour", in seconds of wall time. */
const WATCH_S = 12;

/**
 * Runner time per release: `weighted` with the runner's watch (monitor-rollback for the window)
 * against `ecs-native` with the watch left to ECS (monitor-rollback `mode: in-aws`: arm, a deploy
 * that ends when the bake begins, the verdict after it). The same release and the same watch
 * length on the twin under customer traffic; each job's process time is what a runner bills.
 */
export async function runnerMinutes(quick: boolean): Promise<BenchResult> {
  const rows: BenchResult['rows'] = [];
  const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
    const started = Date.now();
    const result = await work();
    return [result, (Date.now() - started) / 1000];
  };
  const weighted = await startWorld({ images: { 'svc-portal:v2': { version: 'v2' } } });
  let weightedRow: { deploy: number; watch: number; wall: number };
  try {
    const portal = weighted.twin.resources['svc-portal']!;
    const traffic = weighted.customers(50, 300_000);
    const began = Date.now();
    const [deployed, deploySeconds] = await timed(() =>
      weighted.deploy({ image: 'svc-portal:v2', 'traffic-steps': '5,50,100' }),
    );
    if (deployed.outputs.outcome !== 'promoted')
      throw new Error(`weighted deploy ended ${deployed.outputs.outcome}`);
    const [watched, watchSeconds] = await timed(() =>
      weighted.action('monitor-rollback', {
        cluster: portal.cluster,
        service: 'svc-portal',
        'listener-rule-arn': portal.productionRuleArn,
        duration: `${WATCH_S}s`,
        interval: '2s',
        'metric-period': '1s',
        'metric-delay': '1s',
      }),
    );
    if (watched.outputs.outcome !== 'healthy')
      throw new Error(`the runner's watch ended ${watched.outputs.outcome}`);
    weightedRow = { deploy: deploySeconds, watch: watchSeconds, wall: (Date.now() - began) / 1000 };
    await traffic.stop();
  } finally {
    await weighted.close();
  }
  rows.push({
    variant: 'weighted + runner watch',
    'deploy job s': weightedRow.deploy.toFixed(1),
    'watch: runner s': weightedRow.watch.toFixed(1),
    'runner s per release': (weightedRow.deploy + weightedRow.watch).toFixed(1),
    'release wall s': weightedRow.wall.toFixed(1),
  });

  const native = await startNativeWorld();
  let nativeRow: { deploy: number; watch: number; wall: number; baked: number };
  try {
    const portal = native.twin.native['svc-portal']!;
    const traffic = native.twin.traffic.start({
      url: portal.productionUrl,
      requestsPerSecond: 50,
      maxDurationMs: 300_000,
    });
    const began = Date.now();
    const watchInputs = {
      mode: 'in-aws',
      cluster: portal.cluster,
      service: 'svc-portal',
      'metric-period': '10s',
      interval: '1s',
    };
    const [armed, armSeconds] = await timed(() => native.action('monitor-rollback', watchInputs));
    if (armed.outputs.outcome !== 'armed') throw new Error(`arming ended ${armed.outputs.outcome}`);
    // The twin's minute is 4 s: a bake of WATCH_S / 4 minutes is the same wall time as the runner's watch.
    const [deployed, deploySeconds] = await timed(() =>
      native.deploy({
        image: 'svc-portal:v2',
        alarms: armed.outputs.alarms!,
        'bake-time': `${WATCH_S / 4}m`,
        'wait-for-bake': 'false',
      }),
    );
    if (deployed.outputs.outcome !== 'promoted')
      throw new Error(`native deploy ended ${deployed.outputs.outcome}: ${deployed.outputs.reason}`);
    const bakeStarted = Date.now();
    // No job runs while ECS bakes: the verdict is read once the deployment is over.
    const status = await native.settled(WATCH_S * 1000 + 30_000);
    const baked = (Date.now() - bakeStarted) / 1000;
    const [verdict, verdictSeconds] = await timed(() =>
      native.action('monitor-rollback', {
        ...watchInputs,
        'service-deployment-arn': deployed.outputs['service-deployment-arn']!,
      }),
    );
    if (verdict.outputs.outcome !== 'healthy')
      throw new Error(`the verdict was ${verdict.outputs.outcome} (${status}): ${verdict.outputs.reason}`);
    nativeRow = {
      deploy: armSeconds + deploySeconds,
      watch: verdictSeconds,
      wall: (Date.now() - began) / 1000,
      baked,
    };
    await traffic.stop();
  } finally {
    await native.close();
  }
  rows.push({
    variant: 'ecs-native + in-aws watch',
    'deploy job s': nativeRow.deploy.toFixed(1),
    'watch: runner s': nativeRow.watch.toFixed(1),
    'runner s per release': (nativeRow.deploy + nativeRow.watch).toFixed(1),
    'release wall s': nativeRow.wall.toFixed(1),
  });
  // The runner's watch lasts as long as the window; the verdict is one read, whatever the window.
  const weightedPerHour = (60 * weightedRow.watch) / WATCH_S;
  const nativeVerdictMinutes = nativeRow.watch / 60;
  return {
    name: 'Runner minutes per release',
    rows,
    notes: [
      `the watch: ${WATCH_S} s here (one twin hour); ECS baked ${nativeRow.baked.toFixed(1)} s with no job running. At a 1 h watch: ${weightedPerHour.toFixed(0)} runner minutes (weighted: the job is the window) against ${nativeVerdictMinutes.toFixed(2)} (in-aws: the verdict job's single read), on top of the deploy job`,
      `whole release on the runner: ${((nativeRow.deploy + nativeRow.watch) / (weightedRow.deploy + weightedRow.watch)).toFixed(2)}× (weighted 5/50/100 with 1 s bakes; native LINEAR 25 % held at 25 and 100 with 2 s bakes, arming included)${quick ? ' (quick: one release each)' : ''}`,
    ],
  };
}
