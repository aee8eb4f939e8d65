/**
 * The bundled monitor on the scaled faithful twin (1-second periods published 3 seconds late), with
 * the default inputs apart from that scaling and a short window.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  AddTagsCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { startTwin, type Twin } from '../../../packages/aws-twin/src/index.js';
import type { ImageBehaviour } from '../../../packages/aws-twin/src/scenario.js';
import { runBundledAction } from '../../../packages/shared/testing/run-bundled-action.js';
import { startSignalServer } from '../../../packages/shared/testing/signal-server.js';

const actionDir = path.join(import.meta.dirname, '..');
let twin: Twin | undefined;
afterEach(async () => {
  await twin?.close();
  twin = undefined;
});

/** Green (v2) just took all traffic; blue (v1) still runs for a fast rollback. */
async function afterPromote(v2: ImageBehaviour = {}) {
  twin = await startTwin({
    images: { 'svc-portal:v2': { version: 'v2', ...v2 } },
    metrics: { periodSeconds: 1, publicationDelaySeconds: 3 },
    blueGreen: [
      {
        name: 'svc-portal',
        image: 'svc-portal:v2',
        idleImage: 'svc-portal:v1',
        live: 'green',
        desiredCount: 2,
      },
    ],
  });
  const portal = twin.resources['svc-portal']!;
  const elbv2 = new ElasticLoadBalancingV2Client({
    region: 'eu-west-1',
    endpoint: twin.endpoint,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
  // The tags the promotion of v2 onto green recorded: the release verified on each colour.
  const revision = (name: string) =>
    [...twin!.services.ecs.services.values()].find((service) => service.name === name)!.taskDefinition;
  await elbv2.send(
    new AddTagsCommand({
      ResourceArns: [portal.productionRuleArn],
      Tags: [
        { Key: 'mpac:live-color', Value: 'green' },
        { Key: 'mpac:previous-color', Value: 'blue' },
        { Key: 'mpac:outcome', Value: 'promoted' },
        { Key: 'mpac:task-definition', Value: revision('svc-portal-green') },
        { Key: 'mpac:verified:green', Value: revision('svc-portal-green') },
        { Key: 'mpac:verified:blue', Value: revision('svc-portal-blue') },
      ],
    }),
  );
  const weights = async () =>
    (
      await elbv2.send(new DescribeRulesCommand({ RuleArns: [portal.productionRuleArn] }))
    ).Rules![0]!.Actions![0]!.ForwardConfig!.TargetGroups!.map((group) => group.Weight);
  const tags = async () =>
    Object.fromEntries(
      (
        await elbv2.send(new DescribeTagsCommand({ ResourceArns: [portal.productionRuleArn] }))
      ).TagDescriptions![0]!.Tags!.map((tag) => [tag.Key, tag.Value]),
    );
  const run = (inputs: Record<string, string>, env: Record<string, string> = {}) =>
    runBundledAction(actionDir, {
      inputs: {
        cluster: portal.cluster,
        service: 'svc-portal',
        'listener-rule-arn': portal.productionRuleArn,
        interval: '1s',
        'metric-period': '1s',
        'metric-delay': '3s',
        ...inputs,
      },
      env: { ...twin!.env, ...env },
      timeoutMs: 60_000,
    });
  const traffic = (requestsPerSecond = 50) =>
    twin!.traffic.start({ url: `${portal.productionUrl}/orders`, requestsPerSecond, maxDurationMs: 40_000 });
  return { twin, portal, weights, tags, run, traffic };
}

describe('monitor-rollback, bundled, on the scaled faithful twin', () => {
  it('stays healthy while the new colour behaves; late periods are waited for, not taken for no data', async () => {
    const { weights, run, traffic } = await afterPromote();
    const customers = traffic();
    const runnerTemp = mkdtempSync(path.join(tmpdir(), 'monitor-report-'));
    const result = await run({ duration: '10s' }, { RUNNER_TEMP: runnerTemp });
    await customers.stop();
    expect(result.main.exitCode).toBe(0);
    expect(result.outputs).toMatchObject({ outcome: 'healthy', 'live-color': 'green', checks: '10' });
    expect(await weights()).toEqual([0, 100]);
    expect(result.summary).toContain('healthy on green');
    expect(result.outputs.report).toBe(path.join(runnerTemp, 'monitor-rollback-report.json'));
    const report = JSON.parse(readFileSync(result.outputs.report!, 'utf8')) as {
      checks: { verdict: string; metrics?: { requests: number } }[];
    };
    // The first checks came before CloudWatch published anything: inconclusive, not passed, not failed.
    expect(report.checks.slice(0, 2).map((check) => check.verdict)).toEqual(['inconclusive', 'inconclusive']);
    expect(report.checks.filter((check) => check.verdict === 'passed').length).toBeGreaterThanOrEqual(6);
  }, 60_000);

  it('rolls back to blue when green starts failing, with detection and restore times', async () => {
    const { twin, weights, tags, run, traffic } = await afterPromote();
    const customers = traffic();
    twin.faults.changeImage('svc-portal:v2', { errorRate: 0.5 }, 1500);
    const result = await run({ duration: '20s', 'failures-before-rollback': '2' });
    const tally = await customers.stop();
    expect(result.main.exitCode).toBe(1);
    expect(result.outputs).toMatchObject({ outcome: 'rolled-back', 'live-color': 'blue' });
    expect(result.annotations[0]?.message).toMatch(
      /^Rolled back to blue: 2 checks in a row failed; the last: error rate \d+\.\d\d % > 5 %/,
    );
    expect(Date.parse(result.outputs['restored-at']!)).toBeGreaterThanOrEqual(
      Date.parse(result.outputs['detected-at']!),
    );
    expect(await weights()).toEqual([100, 0]);
    expect(tally.failed).toBe(0);
    expect(await tags()).toMatchObject({
      'mpac:live-color': 'blue',
      'mpac:previous-color': 'green',
      'mpac:outcome': 'rolled-back-by-monitor',
    });
    expect(result.summary).toContain('rolled back to blue');
    expect(result.summary).toContain('xychart-beta');
  }, 60_000);

  it('with no traffic ends inconclusive, and red', async () => {
    const { weights, run } = await afterPromote();
    const result = await run({ duration: '6s' });
    expect(result.main.exitCode).toBe(1);
    expect(result.outputs.outcome).toBe('inconclusive');
    expect(result.annotations[0]?.message).toMatch(/^Inconclusive: 6 of 6 checks had no evidence/);
    expect(await weights()).toEqual([0, 100]);
  }, 30_000);

  it('catches a crash-looping image by its task restarts while its ALB metrics look fine', async () => {
    const { weights, run, traffic } = await afterPromote({ crashAfterMs: 2500 });
    const customers = traffic();
    const result = await run({ duration: '20s', 'failures-before-rollback': '2' });
    await customers.stop();
    expect(result.outputs.outcome).toBe('rolled-back');
    expect(result.annotations[0]?.message).toMatch(
      /task restarts? of svc-portal-green since the watch began \(max 0\): task \w+ stopped: Essential container in task exited \(exit codes: app 137\)/,
    );
    expect(await weights()).toEqual([100, 0]);
  }, 60_000);

  it('reads Prometheus signals from a server the test runs, with the bearer token masked', async () => {
    const seen: { query: string; authorization?: string }[] = [];
    const prometheus = createServer((request, response) => {
      const url = new URL(request.url!, 'http://127.0.0.1');
      seen.push({ query: url.searchParams.get('query')!, authorization: request.headers.authorization });
      response.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          status: 'success',
          data: { resultType: 'vector', result: [{ metric: {}, value: [0, '2.5'] }] },
        }),
      );
    });
    await new Promise<void>((resolve) => prometheus.listen(0, '127.0.0.1', resolve));
    try {
      const { weights, run, traffic } = await afterPromote();
      const customers = traffic();
      const token = 'prom-secret-token-42';
      const result = await run({
        duration: '10s',
        'failures-before-rollback': '2',
        'prometheus-url': `http://127.0.0.1:${(prometheus.address() as AddressInfo).port}`,
        'prometheus-queries': '- name: queue depth\n  query: queue_depth{color="{{color}}"}\n  threshold: 1',
        'prometheus-token': token,
      });
      await customers.stop();
      expect(result.outputs.outcome).toBe('rolled-back');
      expect(result.annotations[0]?.message).toMatch(/prometheus queue depth = 2\.5 \(max 1\)/);
      expect(seen[0]).toEqual({ query: 'queue_depth{color="green"}', authorization: `Bearer ${token}` });
      expect(result.masks).toContain(token);
      expect(result.unmaskedLog).not.toContain(token);
      expect(await weights()).toEqual([100, 0]);
    } finally {
      prometheus.closeAllConnections();
      await new Promise((resolve) => prometheus.close(resolve));
    }
  }, 60_000);

  it('with probes only, detects a failure within 15 s and rolls back', async () => {
    const { twin, portal, weights, run } = await afterPromote();
    const failAfterMs = 4000;
    const failingFrom = Date.now() + failAfterMs;
    twin.faults.changeImage('svc-portal:v2', { errorRate: 1 }, failAfterMs);
    const result = await run({
      duration: '40s',
      interval: '10s',
      'probe-checks': `- name: orders\n  url: ${portal.productionUrl}/orders\n  expect:\n    status: 200`,
      'no-data': 'pass',
    });
    expect(result.outputs.outcome).toBe('rolled-back');
    expect(result.annotations[0]?.message).toMatch(
      /3 probe rounds in a row failed; the last: probe orders status expected 200, got 500/,
    );
    expect(Date.parse(result.outputs['detected-at']!) - failingFrom).toBeLessThanOrEqual(15_000);
    expect(await weights()).toEqual([100, 0]);
  }, 60_000);

  it('only reports with rollback: false, and the job is red', async () => {
    const { twin, weights, run, traffic } = await afterPromote();
    twin.faults.changeImage('svc-portal:v2', { errorRate: 1 });
    const customers = traffic();
    const result = await run({ duration: '8s', 'failures-before-rollback': '2', rollback: 'false' });
    await customers.stop();
    expect(result.outputs.outcome).toBe('failed');
    expect(result.main.exitCode).toBe(1);
    expect(await weights()).toEqual([0, 100]);
    expect(result.log).toContain('rollback is false: reporting only');
  }, 30_000);
  it('with a probe URL that drips its answer, the check is cut at its deadline and the release is rolled back', async () => {
    const signals = await startSignalServer();
    try {
      const { weights, run, traffic } = await afterPromote();
      const customers = traffic();
      const result = await run({
        duration: '30s',
        interval: '2s',
        'probe-interval': '2s',
        'failures-before-rollback': '2',
        'probe-url': `${signals.url}/drip`,
      });
      await customers.stop();
      expect(result.outputs.outcome).toBe('rolled-back');
      expect(result.annotations[0]?.message).toMatch(
        /2 probe rounds in a row failed; the last: probe http:\/\/127\.0\.0\.1:\d+\/drip connection expected a response, got no complete answer within 2000 ms/,
      );
      expect(await weights()).toEqual([100, 0]);
    } finally {
      await signals.close();
    }
  }, 60_000);

  it('with a Prometheus that drips its answers, every check ends within its interval and the window on time', async () => {
    const signals = await startSignalServer();
    signals.prometheus.set('queue_depth{color="green"}', 'drip');
    try {
      const { weights, run, traffic } = await afterPromote();
      const customers = traffic();
      const runnerTemp = mkdtempSync(path.join(tmpdir(), 'monitor-report-'));
      const result = await run(
        {
          duration: '10s',
          interval: '2s',
          'prometheus-url': signals.url,
          'prometheus-queries':
            '- name: queue depth\n  query: queue_depth{color="{{color}}"}\n  threshold: 1',
        },
        { RUNNER_TEMP: runnerTemp },
      );
      await customers.stop();
      expect(result.outputs.outcome).toBe('healthy');
      // A check every 2 s over 10 s: every check ran, none was held by the drip.
      expect(Number(result.outputs.checks)).toBeGreaterThanOrEqual(4);
      const report = JSON.parse(readFileSync(result.outputs.report!, 'utf8')) as {
        startedAt: number;
        checks: { at: number; prometheus: { verdict: string; reason: string }[] }[];
      };
      // Each check begins within an interval of the previous one, the last within the window.
      const times = [report.startedAt, ...report.checks.map((check) => check.at)];
      for (let index = 1; index < times.length; index++)
        expect(times[index]! - times[index - 1]!).toBeLessThanOrEqual(2 * 2000);
      expect(report.checks.at(-1)!.at - report.startedAt).toBeLessThanOrEqual(10_000 + 2000);
      expect(report.checks[0]!.prometheus[0]).toMatchObject({
        verdict: 'inconclusive',
        reason: expect.stringMatching(
          /prometheus queue depth: query failed: no complete answer within \d+ ms/,
        ),
      });
      expect(await weights()).toEqual([0, 100]);
    } finally {
      await signals.close();
    }
  }, 60_000);

  it('rolls back on a p99 of +Inf (above the top histogram bucket), naming Prometheus', async () => {
    const signals = await startSignalServer();
    signals.prometheus.set('p99{color="green"}', { vector: [[{ route: '/orders' }, '+Inf']] });
    try {
      const { weights, run, traffic } = await afterPromote();
      const customers = traffic();
      const result = await run({
        duration: '20s',
        interval: '2s',
        'failures-before-rollback': '2',
        'prometheus-url': signals.url,
        'prometheus-queries': '- name: p99\n  query: p99{color="{{color}}"}\n  threshold: 0.5',
      });
      await customers.stop();
      expect(result.outputs.outcome).toBe('rolled-back');
      expect(result.annotations[0]?.message).toMatch(/prometheus p99 = \+Inf \(max 0\.5\)/);
      expect(await weights()).toEqual([100, 0]);
    } finally {
      await signals.close();
    }
  }, 60_000);
});
