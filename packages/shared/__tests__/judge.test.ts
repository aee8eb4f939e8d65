/**
 * The one judge as a table: each provider × {pass, fail, inconclusive, no data, +Inf, NaN, slow,
 * huge} → verdict and reason; then how `judge` and `Tally` combine measurements. Slow and huge
 * answers come from a real server on 127.0.0.1 that drips a byte every 500 ms.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { parseChecks } from '../src/checks/checks.js';
import { sendRequest } from '../src/checks/http.js';
import { systemClock } from '../src/clock.js';
import { measureAlarms, readAlarmStates } from '../src/signals/alarms.js';
import { readColorMetrics } from '../src/signals/cloudwatch.js';
import { judge, Tally, type Measurement, type NoDataPolicy } from '../src/signals/judge.js';
import { measureMetrics } from '../src/signals/metrics.js';
import { probeUrlCheck, runProbeRound } from '../src/signals/probes.js';
import { measurePrometheus, type PrometheusQuery } from '../src/signals/prometheus.js';
import { measureRestarts } from '../src/signals/restarts.js';
import { startSignalServer, type SignalServer } from '../testing/signal-server.js';

let server: SignalServer;
beforeAll(async () => {
  server = await startSignalServer();
});
afterAll(() => server.close());

const send = (request: Parameters<typeof sendRequest>[0], timeoutMs: number) =>
  sendRequest(request, timeoutMs);
const dimensions = {
  blue: { loadBalancer: 'app/web/1', targetGroup: 'targetgroup/b/1' },
  green: { loadBalancer: 'app/web/1', targetGroup: 'targetgroup/g/2' },
};
const rules = {
  guardrails: { maxErrorRatePercent: 5, maxP95Ms: 500 },
  comparison: { alpha: 0.01, looks: 1, maxErrorIncreasePp: 1, maxLatencyIncreaseMs: 100 },
};

/** GetMetricData answering `green` requests and 5xx in each of two 60 s periods. */
async function metrics(green: { requests: number; errors: number } | 'unpublished') {
  const cloudwatch = mockClient(CloudWatchClient);
  const at = [new Date(0), new Date(60_000)];
  cloudwatch.on(GetMetricDataCommand).resolves({
    MetricDataResults:
      green === 'unpublished'
        ? []
        : [
            ...(green.requests
              ? [{ Id: 'green_requests', Timestamps: at, Values: [green.requests, green.requests] }]
              : []),
            ...(green.errors
              ? [{ Id: 'green_errors', Timestamps: at, Values: [green.errors, green.errors] }]
              : []),
          ],
  });
  try {
    return await measureMetrics(
      new CloudWatchClient({ region: 'eu-west-1' }),
      dimensions,
      {
        fromMs: 0,
        untilMs: 120_000,
        nowMs: green === 'unpublished' ? 60_000 : 400_000,
        periodMs: 60_000,
        delayMs: 180_000,
      },
      'green',
      { kind: 'none' },
      rules,
    );
  } finally {
    cloudwatch.restore();
  }
}

async function alarms(state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA') {
  const cloudwatch = mockClient(CloudWatchClient);
  cloudwatch
    .on(DescribeAlarmsCommand)
    .resolves({ MetricAlarms: [{ AlarmName: 'portal-5xx', StateValue: state }] });
  try {
    return await measureAlarms(new CloudWatchClient({ region: 'eu-west-1' }), ['portal-5xx']);
  } finally {
    cloudwatch.restore();
  }
}

const probe = (path: string) =>
  runProbeRound([probeUrlCheck(`${server.url}${path}`)], {
    requestTimeoutMs: 1500,
    clock: systemClock,
    send,
  });

const query = (name: string, extra: Partial<PrometheusQuery> = {}): PrometheusQuery => ({
  name,
  query: `${name}{color="{{color}}"}`,
  threshold: 0.5,
  direction: 'above',
  aggregate: 'each',
  ...extra,
});

async function prometheus(
  answer: Parameters<SignalServer['prometheus']['set']>[1],
  extra: Partial<PrometheusQuery> = {},
) {
  const name = `q${server.prometheus.size}`;
  server.prometheus.set(`${name}{color="green"}`, answer);
  const [reading] = await measurePrometheus(server.url, [query(name, extra)], 'green', {
    send,
    timeoutMs: 1500,
  });
  return reading!;
}

interface Row {
  provider: string;
  situation: string;
  measure: () => Promise<Measurement>;
  verdict: Measurement['verdict'];
  reason: RegExp;
}

const TABLE: Row[] = [
  {
    provider: 'metrics',
    situation: 'pass',
    measure: async () => (await metrics({ requests: 1000, errors: 1 })).measurement,
    verdict: 'pass',
    reason: /2000 requests in 2 period/,
  },
  {
    provider: 'metrics',
    situation: 'fail',
    measure: async () => (await metrics({ requests: 1000, errors: 100 })).measurement,
    verdict: 'fail',
    reason: /error rate 10\.00 % > 5 % \(200 of 2000 requests\)/,
  },
  {
    provider: 'metrics',
    situation: 'no data',
    measure: async () => (await metrics({ requests: 0, errors: 0 })).measurement,
    verdict: 'inconclusive',
    reason: /no request reached green in 2 complete periods/,
  },
  {
    provider: 'metrics',
    situation: 'inconclusive (nothing published yet)',
    measure: async () => (await metrics('unpublished')).measurement,
    verdict: 'inconclusive',
    reason: /no complete CloudWatch period published yet/,
  },
  {
    provider: 'alarms',
    situation: 'pass',
    measure: () => alarms('OK'),
    verdict: 'pass',
    reason: /1 alarm\(s\) OK/,
  },
  {
    provider: 'alarms',
    situation: 'fail',
    measure: () => alarms('ALARM'),
    verdict: 'fail',
    reason: /alarm portal-5xx in ALARM/,
  },
  {
    provider: 'alarms',
    situation: 'no data',
    measure: () => alarms('INSUFFICIENT_DATA'),
    verdict: 'inconclusive',
    reason: /without data/,
  },
  {
    provider: 'probe',
    situation: 'pass',
    measure: () => probe('/ok'),
    verdict: 'pass',
    reason: /1 probe\(s\) passed/,
  },
  {
    provider: 'probe',
    situation: 'fail',
    measure: () => probe('/fail'),
    verdict: 'fail',
    reason: /status expected 2xx or 3xx, got 503/,
  },
  {
    provider: 'probe',
    situation: 'slow (a byte every 500 ms)',
    measure: () => probe('/drip'),
    verdict: 'fail',
    // The round's deadline bounds the request too: what was left of it, 1500 ms or a hair less.
    reason: /no complete answer within 1(500|4\d\d) ms \(connect, headers and body\)/,
  },
  {
    provider: 'probe',
    situation: 'huge (2 MiB)',
    measure: () => probe('/huge'),
    verdict: 'fail',
    reason: /body-size expected a body of at most 1048576 bytes/,
  },
  {
    provider: 'prometheus',
    situation: 'pass',
    measure: () => prometheus({ vector: [[{}, '0.2']] }),
    verdict: 'pass',
    reason: /= 0\.2 \(max 0\.5\)/,
  },
  {
    provider: 'prometheus',
    situation: 'fail',
    measure: () => prometheus({ vector: [[{}, '0.8']] }),
    verdict: 'fail',
    reason: /= 0\.8 \(max 0\.5\)/,
  },
  {
    provider: 'prometheus',
    situation: '+Inf (the quantile above the top bucket)',
    measure: () => prometheus({ vector: [[{}, '+Inf']] }),
    verdict: 'fail',
    reason: /= \+Inf \(max 0\.5\)/,
  },
  {
    provider: 'prometheus',
    situation: 'NaN',
    measure: () => prometheus({ vector: [[{}, 'NaN']] }),
    verdict: 'inconclusive',
    reason: /NaN in all 1 series/,
  },
  {
    provider: 'prometheus',
    situation: 'no data (empty vector)',
    measure: () => prometheus({ vector: [] }),
    verdict: 'inconclusive',
    reason: /no series \(an empty answer is no data\)/,
  },
  {
    provider: 'prometheus',
    situation: 'inconclusive (Prometheus answers 503)',
    measure: () => prometheus({ status: 503 }),
    verdict: 'inconclusive',
    reason: /Prometheus answered 503/,
  },
  {
    provider: 'prometheus',
    situation: 'slow (a byte every 500 ms)',
    measure: () => prometheus('drip'),
    verdict: 'inconclusive',
    reason: /no complete answer within 1(500|4\d\d) ms/,
  },
  {
    provider: 'prometheus',
    situation: 'huge (2 MiB)',
    measure: () => prometheus('huge'),
    verdict: 'inconclusive',
    reason: /answer longer than 1048576 bytes, cut/,
  },
  {
    provider: 'prometheus',
    situation: 'several series, each judged',
    measure: () =>
      prometheus({
        vector: [
          [{ route: '/a' }, '0.1'],
          [{ route: '/b' }, '0.9'],
        ],
      }),
    verdict: 'fail',
    reason: /= \{route="\/b"\} 0\.9 \(max 0\.5\)/,
  },
  {
    provider: 'prometheus',
    situation: 'several series, aggregated by avg',
    measure: () =>
      prometheus(
        {
          vector: [
            [{ route: '/a' }, '0.1'],
            [{ route: '/b' }, '0.7'],
          ],
        },
        { aggregate: 'avg' },
      ),
    verdict: 'pass',
    reason: /avg of 2 series 0\.4 \(max 0\.5\)/,
  },
  {
    provider: 'restarts',
    situation: 'pass (no evidence by itself)',
    measure: async () => measureRestarts([], [], 0, 'svc-green'),
    verdict: 'pass',
    reason: /0 task restart\(s\) of svc-green \(max 0\)/,
  },
  {
    provider: 'restarts',
    situation: 'fail',
    measure: async () => {
      const restart = {
        taskId: 't1',
        stoppedAt: 1,
        reason: 'Essential container in task exited',
        exitCodes: [{ container: 'app', exitCode: 137 }],
      };
      return measureRestarts([restart], [restart], 0, 'svc-green');
    },
    verdict: 'fail',
    reason: /1 task restart of svc-green since the watch began \(max 0\): task t1 stopped: .*app 137/,
  },
];

describe('each provider, as a table', () => {
  it.each(TABLE.map((row) => [`${row.provider}: ${row.situation}`, row] as const))(
    '%s',
    async (_name, row) => {
      // A slow server is cut at the read's deadline: the drip never ends by itself, so a read that
      // waited it out would not finish within the test's own timeout.
      const measurement = await row.measure();
      expect({ verdict: measurement.verdict, reason: measurement.reason }).toEqual({
        verdict: row.verdict,
        reason: expect.stringMatching(row.reason),
      });
      // No data is never evidence; a verdict from evidence always has some.
      if (row.verdict === 'inconclusive') expect(measurement.evidence).toBe(0);
      if (row.verdict === 'fail') expect(measurement.evidence).toBeGreaterThan(0);
    },
  );
});

describe('judge: measurements into one verdict, with the same rules for gates and monitor', () => {
  const pass: Measurement = {
    signal: 'metrics green',
    verdict: 'pass',
    reason: '2000 requests',
    evidence: 2000,
  };
  const fail: Measurement = {
    signal: 'alarms',
    verdict: 'fail',
    reason: 'alarm portal-5xx in ALARM',
    evidence: 1,
  };
  const nothing: Measurement = {
    signal: 'metrics green',
    verdict: 'inconclusive',
    reason: 'no request reached green',
    evidence: 0,
  };
  const quiet: Measurement = {
    signal: 'restarts',
    verdict: 'pass',
    reason: '0 task restart(s)',
    evidence: 0,
  };
  const rows: [string, Measurement[], NoDataPolicy, string, RegExp | undefined][] = [
    ['evidence that passes', [pass, quiet], 'wait', 'pass', undefined],
    ['any failure fails, whatever else passed', [pass, fail], 'wait', 'fail', /alarm portal-5xx in ALARM/],
    [
      'no evidence, no-data wait',
      [nothing, quiet],
      'wait',
      'inconclusive',
      /^no evidence: no request reached green$/,
    ],
    [
      'no evidence, no-data fail',
      [nothing],
      'fail',
      'fail',
      /^no evidence: no request reached green \(no-data: fail\)$/,
    ],
    ['no evidence, no-data pass', [nothing], 'pass', 'pass', /^no evidence: .* \(no-data: pass\)$/],
    [
      'a quiet service alone is no evidence',
      [quiet],
      'wait',
      'inconclusive',
      /no evidence: no signal had evidence/,
    ],
    ['a failure is not softened by no-data pass', [nothing, fail], 'pass', 'fail', /in ALARM/],
  ];
  it.each(rows)('%s', (_name, measurements, noData, verdict, reason) => {
    const judgement = judge(measurements, noData);
    expect(judgement.verdict).toBe(verdict);
    if (reason) expect(judgement.reasons.join('; ')).toMatch(reason);
    expect(judgement.noData).toBe(
      !measurements.some((entry) => entry.verdict !== 'inconclusive' && entry.evidence > 0),
    );
  });

  it('tallies consecutive failures to the limit, and calls a mostly inconclusive window one that said nothing', () => {
    const tally = new Tally(2);
    const failed = judge([{ signal: 'x', verdict: 'fail', reason: 'bad', evidence: 1 }], 'wait');
    const passed = judge([{ signal: 'x', verdict: 'pass', reason: 'ok', evidence: 1 }], 'wait');
    const none = judge([], 'wait');
    expect([tally.add(failed), tally.add(passed), tally.add(failed), tally.add(failed)]).toEqual([
      false,
      false,
      false,
      true,
    ]);
    expect(tally.saidNothing()).toBeUndefined();
    const quiet = new Tally(3);
    quiet.add(passed);
    quiet.add(none);
    quiet.add(none);
    expect(quiet.saidNothing()).toMatch(/^2 of 3 checks had no evidence/);
  });
});

describe('every read is bounded as a whole', () => {
  it('cuts a dripping answer at the deadline, and a huge one at the size limit', async () => {
    await expect(
      sendRequest({ method: 'GET', url: `${server.url}/drip`, headers: {} }, 1200),
    ).rejects.toThrow(/no complete answer within 1200 ms \(connect, headers and body\)/);
    const huge = await sendRequest({ method: 'GET', url: `${server.url}/huge`, headers: {} }, 5000);
    expect(huge.bodyCutAtBytes).toBe(1024 * 1024);
    expect(huge.body.length).toBe(1024 * 1024);
  });

  it('refuses, by its input, a header that would carry a line break into a request', () => {
    const checks = '- name: traced\n  url: http://127.0.0.1/\n  headers:\n    x-trace: "a\\r\\nx-evil: 1"';
    expect(() => parseChecks(checks, 'checks', { vars: new Map() })).toThrow(
      /Input 'checks' .*check 'traced': header 'x-trace' has a line break or another character HTTP forbids/,
    );
    const fromVars = '- name: traced\n  url: http://127.0.0.1/\n  headers:\n    x-trace: "${{ env.TRACE }}"';
    expect(() => parseChecks(fromVars, 'probe-checks', { vars: new Map([['TRACE', 'a\nb']]) })).toThrow(
      /Input 'probe-checks' .*header 'x-trace' has a line break/,
    );
    expect(() =>
      parseChecks('- name: n\n  url: http://127.0.0.1/\n  headers:\n    "bad name": x', 'checks', {
        vars: new Map(),
      }),
    ).toThrow(/header name 'bad name' is not a valid HTTP header name/);
  });
});

describe('CloudWatch reads', () => {
  it('reads both colours in one GetMetricData call, all pages, into period points', async () => {
    const cloudwatch = mockClient(CloudWatchClient);
    const at = (minute: number) => new Date(minute * 60_000);
    cloudwatch
      .on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'green_requests', Timestamps: [at(0), at(1)], Values: [600, 400] },
          { Id: 'green_errors', Timestamps: [at(1)], Values: [30] },
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'green_p95', Timestamps: [at(0), at(1)], Values: [0.2, 0.45] },
          { Id: 'blue_requests', Timestamps: [at(1)], Values: [9000] },
        ],
      });
    const points = await readColorMetrics(
      new CloudWatchClient({ region: 'eu-west-1' }),
      dimensions,
      0,
      120_000,
      60,
    );
    expect(points.green).toEqual([
      { startMs: 0, requests: 600, p95Ms: 200 },
      { startMs: 60_000, requests: 400, errors: 30, p95Ms: 450 },
    ]);
    expect(points.blue).toEqual([{ startMs: 60_000, requests: 9000 }]);
    const calls = cloudwatch.commandCalls(GetMetricDataCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.args[0].input.NextToken).toBe('page-2');
    expect(calls[0]!.args[0].input.MetricDataQueries!.map((entry) => entry.Id)).toEqual([
      'blue_requests',
      'blue_errors',
      'blue_p95',
      'blue_p99',
      'green_requests',
      'green_errors',
      'green_p95',
      'green_p99',
    ]);
    cloudwatch.restore();
  });

  it('fails on an alarm name CloudWatch does not know', async () => {
    const cloudwatch = mockClient(CloudWatchClient);
    cloudwatch
      .on(DescribeAlarmsCommand)
      .resolves({ MetricAlarms: [{ AlarmName: 'portal-5xx', StateValue: 'OK' }] });
    const client = new CloudWatchClient({ region: 'eu-west-1' });
    await expect(readAlarmStates(client, ['portal-5xx'])).resolves.toEqual(new Map([['portal-5xx', 'OK']]));
    await expect(readAlarmStates(client, ['portal-5xx', 'portal-typo'])).rejects.toThrow(
      "CloudWatch has no alarm named 'portal-typo'",
    );
    cloudwatch.restore();
  });
});
