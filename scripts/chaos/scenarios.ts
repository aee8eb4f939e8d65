/**
 * The suite's promises, tried under load, cancellation, AWS faults and races. Each scenario returns
 * a verdict and the numbers behind it; none of them is part of `npm test`.
 */
import { readFileSync } from 'node:fs';
import { startStandIns } from '../../packages/rehearsal/src/stand-ins.js';
import { errorsOf, settled, startWorld, unanswered, type World } from './world.js';

export interface Verdict {
  scenario: string;
  passed: boolean;
  /** One line a person reads: what was tried and what came of it. */
  summary: string;
  numbers: Record<string, number | string>;
  problems: string[];
}

export interface Size {
  quick: boolean;
}

function verdict(
  scenario: string,
  summary: string,
  numbers: Verdict['numbers'],
  problems: string[],
): Verdict {
  return { scenario, passed: problems.length === 0, summary, numbers, problems };
}

async function within<T>(world: World, work: (world: World) => Promise<T>): Promise<T> {
  try {
    return await work(world);
  } finally {
    await world.close();
  }
}

/** Steady customer traffic through promotions and rollbacks: every request answered, none with 5xx. */
export async function load({ quick }: Size): Promise<Verdict> {
  const rounds = quick ? 2 : 20;
  const requestsPerSecond = 80;
  return within(await startWorld(), async (world) => {
    const traffic = world.customers(requestsPerSecond, 30 * 60_000);
    const problems: string[] = [];
    let promotions = 0;
    let rollbacks = 0;
    for (let round = 0; round < rounds; round++) {
      const promoted = await world.deploy({ image: `svc-portal:v${round + 2}`, 'traffic-steps': '5,50,100' });
      if (promoted.outputs.outcome === 'promoted') promotions++;
      else problems.push(`round ${round}: promotion ended ${promoted.outputs.outcome ?? 'with no outcome'}`);
      const rolledBack = await world.deploy({ phase: 'rollback', 'task-definition': '', force: 'true' });
      if (rolledBack.outputs.outcome === 'rolled-back') rollbacks++;
      else problems.push(`round ${round}: rollback ended ${rolledBack.outputs.outcome ?? 'with no outcome'}`);
      if (!settled(world.weights()))
        problems.push(`round ${round}: traffic left split ${JSON.stringify(world.weights())}`);
    }
    const tally = await traffic.stop();
    const errors = errorsOf(tally);
    if (tally.failed > 0) problems.push(unanswered(tally, 'requests'));
    if (errors > 0) problems.push(`${errors} requests answered 5xx`);
    return verdict(
      'load',
      `${promotions} promotions and ${rollbacks} rollbacks under ${requestsPerSecond} req/s: ${tally.sent} requests, ${tally.failed} unanswered, ${errors} 5xx`,
      { promotions, rollbacks, requests: tally.sent, unanswered: tally.failed, errors },
      problems,
    );
  });
}

interface CancelPoint {
  name: string;
  /** The deploy's log line after which it is stopped. */
  when: RegExp;
  rollback?: boolean;
}

const CANCEL_POINTS: CancelPoint[] = [
  { name: 'prepare', when: /Deploying .* to svc-portal-green/ },
  { name: 'bake at 5 %', when: /Traffic: 5 % on green/ },
  { name: 'bake at 50 %', when: /Traffic: 50 % on green/ },
  { name: 'after 100 %', when: /Traffic: 100 % on green/ },
  { name: 'during phase rollback', when: /Rolling back to blue/, rollback: true },
];

/**
 * Stopped anywhere (SIGTERM, SIGINT, SIGKILL), then the post step with the saved state as a runner
 * runs it; or no post step at all (a lost runner) and the workflow's recovery job: traffic ends on
 * the safe colour, the lock is let go (or expires), and the next deploy succeeds.
 */
export async function cancel({ quick }: Size): Promise<Verdict> {
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGKILL'];
  const point = (name: string) => CANCEL_POINTS.find((entry) => entry.name === name)!;
  const problems: string[] = [];
  let tried = 0;
  let restored = 0;
  const cases: { point: CancelPoint; signal?: NodeJS.Signals }[] = quick
    ? [
        { point: point('bake at 5 %'), signal: 'SIGTERM' },
        { point: point('during phase rollback'), signal: 'SIGKILL' },
        { point: point('bake at 50 %') },
      ]
    : [
        ...CANCEL_POINTS.flatMap((entry) => signals.map((signal) => ({ point: entry, signal }))),
        // A lost runner: no post step; the recovery job finishes the job.
        { point: point('bake at 5 %') },
        { point: point('after 100 %') },
      ];
  const points = new Set(cases.map((entry) => entry.point.name));
  for (const { point, signal } of cases) {
    tried++;
    const label = `${point.name}, ${signal ?? 'runner lost'}`;
    await within(await startWorld(), async (world) => {
      const traffic = world.customers(80, 300_000);
      if (point.rollback) {
        const promoted = await world.deploy({ image: 'svc-portal:v2', 'traffic-steps': '100' });
        if (promoted.outputs.outcome !== 'promoted')
          problems.push(`${label}: the promotion before the rollback failed`);
      }
      // Slow ELB writes give the signal a window inside the rollback's move.
      if (point.rollback)
        world.twin.faults.add({ service: 'elbv2', operation: 'ModifyRule', latencyMs: 800 });
      const stopped = await world.deploy(
        point.rollback
          ? { phase: 'rollback', 'task-definition': '' }
          : { image: 'svc-portal:v3', 'traffic-steps': '5,50,100', 'step-bake': '2s' },
        { killMainWhen: point.when, killSignal: signal ?? 'SIGKILL', runPost: signal !== undefined },
      );
      world.twin.faults.clear();
      if (!stopped.main.killed)
        problems.push(`${label}: the run ended before the point (${stopped.main.exitCode})`);
      if (!signal) {
        const recovery = await world.deploy({
          phase: 'rollback',
          'task-definition': '',
          'if-unsettled': 'true',
          'lock-wait': '90s',
        });
        if (recovery.main.exitCode !== 0)
          problems.push(
            `${label}: the recovery job failed: ${recovery.annotations.find((entry) => entry.level === 'error')?.message}`,
          );
      }
      // The safe end is blue either way: the release before this deploy, or the rollback's target.
      const safe = 'blue';
      const weights = world.weights();
      if (settled(weights) !== safe)
        problems.push(
          `${label}: traffic ends ${JSON.stringify(weights)}, not all on ${safe}; post step: ${(
            stopped.post?.stdout ?? 'none'
          )
            .split('\n')
            .filter((line) => line && !line.startsWith('::debug'))
            .slice(-4)
            .join(' | ')}; main: ${stopped.main.stdout
            .split('\n')
            .filter((line) => line && !line.startsWith('::debug'))
            .slice(-3)
            .join(' | ')}`,
        );
      else restored++;
      const locks = world.heldLocks();
      if (signal && locks.length > 0)
        problems.push(`${label}: the lock is still held after the post step (${locks.join('; ')})`);
      const next = await world.deploy({ image: 'svc-portal:v4', 'traffic-steps': '100', 'lock-wait': '90s' });
      if (next.outputs.outcome !== 'promoted')
        problems.push(
          `${label}: the next deploy ended ${next.outputs.outcome ?? next.annotations.at(-1)?.message}`,
        );
      const tally = await traffic.stop();
      if (tally.failed > 0) problems.push(`${label}: ${unanswered(tally)}`);
    });
  }
  return verdict(
    'cancel',
    `${tried} runs stopped at ${points.size} points (${[...new Set(cases.map((entry) => entry.signal ?? 'runner lost'))].join(', ')}): ${restored} ended all on the safe colour`,
    { stopped: tried, restored },
    problems,
  );
}

/** AWS misbehaving: throttling, 5xx, latency, a lost response, the ELB down during a restore. */
export async function faults({ quick }: Size): Promise<Verdict> {
  const problems: string[] = [];
  const rows: string[] = [];
  const trials: { name: string; fault: Parameters<World['twin']['faults']['add']>[0]; bad?: boolean }[] = [
    { name: 'throttling 30 %', fault: { throttleRate: 0.3 } },
    { name: '5xx 30 %', fault: { errorRate: 0.3 } },
    { name: 'latency 1.5 s', fault: { latencyMs: 1500 } },
    {
      name: 'RegisterTaskDefinition answer lost after ECS acted',
      fault: { service: 'ecs', operation: 'RegisterTaskDefinition', dropResponse: { times: 1 } },
    },
  ];
  const selected = quick ? trials.filter((trial) => /throttling|lost/.test(trial.name)) : trials;
  for (const trial of selected) {
    await within(await startWorld(), async (world) => {
      const portal = world.twin.resources['svc-portal']!;
      world.twin.faults.add(trial.fault);
      const steps = quick ? '50,100' : '5,50,100';
      const result = await world.deploy({
        image: 'svc-portal:v2',
        'traffic-steps': steps,
        'aws-max-attempts': '8',
        'no-data': 'pass',
      });
      world.twin.faults.clear();
      const revisions = [...world.twin.services.ecs.taskDefinitions.values()].filter(
        (definition) => definition.family === 'svc-portal',
      ).length;
      const writes = world.twin.calls
        .of('elbv2', 'ModifyRule')
        .filter(
          (call) => call.outcome === 'ok' && JSON.stringify(call.params).includes(portal.productionRuleArn),
        ).length;
      rows.push(
        `${trial.name}: ${result.outputs.outcome}, ${revisions - 1} new revision(s), ${writes} weight writes`,
      );
      if (result.outputs.outcome !== 'promoted')
        problems.push(
          `${trial.name}: ended ${result.outputs.outcome} (${result.annotations.at(-1)?.message})`,
        );
      if (revisions !== 2) problems.push(`${trial.name}: ${revisions - 1} revisions registered for one run`);
      const stepCount = steps.split(',').length;
      if (writes > stepCount) problems.push(`${trial.name}: ${writes} weight writes for ${stepCount} steps`);
      if (!settled(world.weights())) problems.push(`${trial.name}: traffic left split`);
    });
  }
  // The ELB refuses every write for a while just as a failed gate restores traffic.
  const outageMs = quick ? 8_000 : 60_000;
  await within(await startWorld({ images: { 'svc-portal:bad': { errorRate: 1 } } }), async (world) => {
    const traffic = world.customers(100, 180_000);
    let outage: NodeJS.Timeout | undefined;
    const watch = setInterval(() => {
      if (outage || world.weights().green === 0) return;
      // Traffic moved to the bad release: from the next write on, the ELB fails for a while.
      world.twin.faults.add({
        service: 'elbv2',
        operation: 'ModifyRule',
        fail: { code: 'InternalFailure', status: 500, times: 10_000 },
      });
      outage = setTimeout(() => world.twin.faults.clear(), outageMs);
    }, 50);
    const result = await world.deploy({
      image: 'svc-portal:bad',
      'traffic-steps': '5,50,100',
      'step-bake': '2s',
      'restore-timeout': quick ? '30s' : '3m',
    });
    clearInterval(watch);
    if (outage) clearTimeout(outage);
    world.twin.faults.clear();
    await traffic.stop();
    const weights = world.weights();
    rows.push(
      `ELB failing ${outageMs / 1000} s during the restore: ${result.outputs.outcome}, traffic ${JSON.stringify(weights)}`,
    );
    const loud = result.main.exitCode !== 0;
    if (
      settled(weights) !== 'blue' &&
      !(loud && /split/.test(result.annotations.map((entry) => entry.message).join(' ')))
    )
      problems.push(`ELB outage: traffic ${JSON.stringify(weights)} and nobody said so`);
    if (settled(weights) !== 'blue')
      problems.push(
        `ELB outage: traffic not restored to blue within restore-timeout (${JSON.stringify(weights)})`,
      );
  });
  return verdict('faults', rows.join('; '), { trials: selected.length + 1 }, problems);
}

/** Two deploys started together, a lease that expires mid-bake, a deploy queued behind a promotion. */
export async function races({ quick }: Size): Promise<Verdict> {
  const pairs = quick ? 4 : 40;
  const problems: string[] = [];
  let contended = 0;
  let twoWriters = 0;
  await within(await startWorld({ spec: { idleImage: 'svc-portal:v2' } }), async (world) => {
    world.twin.faults.add({ service: 'elbv2', operation: 'DescribeTags', latencyMs: 150 });
    for (let pair = 0; pair < pairs; pair++) {
      world.twin.calls.clear();
      const keys = [`AKIDRACE${pair}A`, `AKIDRACE${pair}B`];
      await Promise.all(
        keys.map((key, index) =>
          world.deploy(
            {
              phase: 'rollback',
              'task-definition': '',
              'to-color': index === 0 ? 'blue' : 'green',
              force: 'true',
            },
            { accessKey: key },
          ),
        ),
      );
      const spans = keys.map((key) => {
        const calls = world.twin.calls.all().filter((call) => call.accessKeyId === key);
        const writes = calls.filter((call) => call.operation === 'ModifyRule' && call.outcome === 'ok');
        return {
          from: calls[0]?.at ?? 0,
          to: calls.at(-1)?.at ?? 0,
          writes: writes.length,
          first: writes[0]?.at ?? 0,
          last: writes.at(-1)?.at ?? 0,
        };
      });
      if (spans[0]!.from <= spans[1]!.to && spans[1]!.from <= spans[0]!.to) contended++;
      const writers = spans.filter((span) => span.writes > 0);
      if (
        writers.length === 2 &&
        !(writers[0]!.last < writers[1]!.first || writers[1]!.last < writers[0]!.first)
      )
        twoWriters++;
      if (!settled(world.weights())) problems.push(`pair ${pair}: traffic left split`);
    }
  });
  if (twoWriters > 0) problems.push(`${twoWriters} pairs had two runs writing weights at once`);
  if (contended < pairs / 2)
    problems.push(`only ${contended} of ${pairs} pairs really overlapped: the race was not tried`);

  // A deploy queued behind a promotion deploys onto the colour idle after it.
  let queuedOnto = '';
  await within(await startWorld(), async (world) => {
    const traffic = world.customers(80, 120_000);
    const first = world.deploy({ image: 'svc-portal:v2', 'traffic-steps': '5,50,100', 'step-bake': '2s' });
    await world.twin.waitFor(
      () => world.twin.calls.of('elbv2', 'ModifyRule').length > 0,
      30_000,
      'the first promotion to start',
    );
    const queued = await world.deploy({ image: 'svc-portal:v3', 'traffic-steps': '100', 'lock-wait': '90s' });
    const promoted = await first;
    await traffic.stop();
    queuedOnto = queued.outputs['live-color'] ?? '';
    if (
      promoted.outputs['live-color'] !== 'green' ||
      queued.outputs['live-color'] !== 'blue' ||
      queued.outputs.outcome !== 'promoted'
    )
      problems.push(
        `lock-wait: first ${promoted.outputs.outcome}/${promoted.outputs['live-color']}, queued ${queued.outputs.outcome}/${queued.outputs['live-color']}`,
      );
  });
  return verdict(
    'races',
    `${pairs} pairs started together (${contended} overlapped): ${twoWriters} with two writers; lock-wait behind a promotion deployed onto ${queuedOnto || '?'}`,
    { pairs, contended, twoWriters },
    problems,
  );
}

/** A monitor whose credentials expire mid-window keeps checking, with no gap between checks. */
export async function credentials({ quick }: Size): Promise<Verdict> {
  const problems: string[] = [];
  return within(await startWorld(), async (world) => {
    const standIns = await startStandIns();
    const oidc = standIns.oidc;
    try {
      const portal = world.twin.resources['svc-portal']!;
      const traffic = world.customers(50, 60_000);
      const durationS = quick ? 12 : 30;
      const expire = setTimeout(() => world.twin.faults.expireCredentials(), 5000);
      const result = await world.action(
        'monitor-rollback',
        {
          cluster: portal.cluster,
          service: 'svc-portal',
          'listener-rule-arn': portal.productionRuleArn,
          duration: `${durationS}s`,
          interval: '2s',
          'metric-period': '1s',
          'metric-delay': '1s',
          'role-to-assume': 'arn:aws:iam::123456789012:role/monitor',
          'role-duration': '15m',
        },
        {
          env: {
            ACTIONS_ID_TOKEN_REQUEST_URL: oidc.url,
            ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.token,
            // The report is read after the step, as a later step would.
            RUNNER_TEMP: world.workspace,
          },
        },
      );
      clearTimeout(expire);
      await traffic.stop();
      if (!result.outputs.report)
        return verdict('credentials', 'the monitor ended without a report', {}, [
          `monitor: ${result.annotations.find((entry) => entry.level === 'error')?.message ?? result.main.stderr.slice(-300)}`,
        ]);
      const report = JSON.parse(readFileSync(result.outputs.report!, 'utf8')) as { checks: { at: number }[] };
      const times = report.checks.map((check) => check.at);
      const gaps = times.slice(1).map((at, index) => at - times[index]!);
      const worst = Math.max(0, ...gaps);
      const assumed = world.twin.calls.of('sts', 'AssumeRoleWithWebIdentity').length;
      if (result.outputs.outcome !== 'healthy')
        problems.push(`the monitor ended ${result.outputs.outcome}: ${result.outputs.reason}`);
      if (assumed < 2) problems.push(`the role was assumed ${assumed} time(s): the expiry was not crossed`);
      if (worst > 2 * 2000 + 1000) problems.push(`a gap of ${worst} ms between checks (interval 2 s)`);
      return verdict(
        'credentials',
        `monitor of ${durationS} s across forced credential expiry: ${report.checks.length} checks, ${assumed} role sessions, longest gap ${(worst / 1000).toFixed(1)} s`,
        { checks: report.checks.length, sessions: assumed, longestGapMs: worst },
        problems,
      );
    } finally {
      await standIns.close();
    }
  });
}
