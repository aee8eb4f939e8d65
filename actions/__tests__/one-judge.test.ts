/**
 * One judge, two actions: the same signals given to a deploy's step gate and to a monitor's check
 * reach the same verdict, row by row, with `no-data` meaning the same in both.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { InputReader } from '../../packages/shared/src/inputs.js';
import type { NoDataPolicy, Verdict } from '../../packages/shared/src/signals/judge.js';
import {
  ARNS,
  fakeBlueGreen,
  type FakeBlueGreen,
  type FakeWorld,
} from '../../packages/shared/testing/fake-blue-green.js';
import { fakeClock } from '../../packages/shared/testing/fake-clock.js';
import { bakeAndJudge } from '../blue-green-deploy/src/cutover.js';
import { runCheck } from '../monitor-rollback/src/check.js';
import { getInputs } from '../monitor-rollback/src/inputs.js';

let fake: FakeBlueGreen | undefined;
afterEach(() => fake?.restore());

const dimensions = {
  blue: { loadBalancer: 'app/web/1', targetGroup: 'targetgroup/svc-blue/1' },
  green: { loadBalancer: 'app/web/1', targetGroup: 'targetgroup/svc-green/2' },
};
const guardrails = { maxErrorRatePercent: 5, maxP95Ms: 500 };
const comparison = { alpha: 0.01, looks: 3, maxErrorIncreasePp: 1, maxLatencyIncreaseMs: 100 };
const answer200 = async () => ({ status: 200, headers: {}, body: '', latencyMs: 1 });

interface Row {
  signals: string;
  world: (world: FakeWorld) => void;
  alarms?: string[];
  noData: NoDataPolicy;
  verdict: Verdict;
}

const ROWS: Row[] = [
  {
    signals: 'green healthy',
    world: (w) => (w.metrics.green = { requests: 1000, errors: 1 }),
    noData: 'wait',
    verdict: 'pass',
  },
  {
    signals: 'green 30 % 5xx',
    world: (w) => (w.metrics.green = { requests: 1000, errors: 300 }),
    noData: 'wait',
    verdict: 'fail',
  },
  {
    signals: 'green slow (p95 900 ms)',
    world: (w) => (w.metrics.green = { requests: 1000, errors: 0, p95Seconds: 0.9 }),
    noData: 'wait',
    verdict: 'fail',
  },
  { signals: 'no request, no-data wait', world: () => undefined, noData: 'wait', verdict: 'inconclusive' },
  { signals: 'no request, no-data fail', world: () => undefined, noData: 'fail', verdict: 'fail' },
  { signals: 'no request, no-data pass', world: () => undefined, noData: 'pass', verdict: 'pass' },
  {
    signals: 'healthy traffic, an alarm in ALARM',
    world: (w) => {
      w.metrics.green = { requests: 1000, errors: 1 };
      w.alarms.set('portal-5xx', 'ALARM');
    },
    alarms: ['portal-5xx'],
    noData: 'wait',
    verdict: 'fail',
  },
  {
    signals: 'no request, the alarm without data',
    world: (w) => w.alarms.set('portal-5xx', 'INSUFFICIENT_DATA'),
    alarms: ['portal-5xx'],
    noData: 'wait',
    verdict: 'inconclusive',
  },
];

function world(row: Row) {
  fake?.restore();
  fake = fakeBlueGreen({ live: 'green', idleRunning: 2 });
  row.world(fake.world);
  return fake;
}

async function gateVerdict(row: Row): Promise<Verdict> {
  const { clients } = world(row);
  const record = await bakeAndJudge(
    {
      cloudwatch: clients.cloudwatch,
      bakeMs: 120_000,
      clock: fakeClock(),
      send: answer200,
      gates: {
        guardrails,
        comparison,
        alarms: row.alarms ?? [],
        probeIntervalMs: 15_000,
        dimensions,
        periodMs: 60_000,
        delayMs: 0,
        noData: row.noData,
        // No longer than the bake: `wait` ends inconclusive at once, as the monitor's check does.
        maxBakeMs: 120_000,
      },
    },
    5,
    'green',
  );
  return record.verdict === 'failed' ? 'fail' : record.verdict === 'inconclusive' ? 'inconclusive' : 'pass';
}

async function monitorVerdict(row: Row): Promise<Verdict> {
  const { clients } = world(row);
  const clock = fakeClock();
  const inputs = getInputs(
    new InputReader(
      (name) =>
        ({
          cluster: 'prod',
          service: 'svc',
          'listener-rule-arn': ARNS.rule,
          'aws-region': 'eu-west-1',
          'metric-delay': '0s',
          'no-data': row.noData,
          alarms: (row.alarms ?? []).join(','),
        })[name] ?? '',
    ),
    {},
  );
  const { judgement } = await runCheck(
    { inputs, ecs: clients.ecs, cloudwatch: clients.cloudwatch, clock, send: answer200 },
    {
      live: 'green',
      serviceName: 'svc-green',
      dimensions,
      baseline: { kind: 'none' },
      judgedUntil: clock.now() - 120_000,
      startedAt: clock.now() - 120_000,
      seenStopped: new Set(),
      restarts: [],
    },
    [],
  );
  return judgement.verdict;
}

describe('a gate and a monitor given the same signals reach the same verdict', () => {
  it.each(ROWS.map((row) => [row.signals, row] as const))('%s', async (_name, row) => {
    const gate = await gateVerdict(row);
    const check = await monitorVerdict(row);
    expect({ gate, check }).toEqual({ gate: row.verdict, check: row.verdict });
  });
});
