import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTwin } from '../../../packages/aws-twin/src/index.js';
import { runBundledAction } from '../../../packages/shared/testing/run-bundled-action.js';

const actionDir = path.join(import.meta.dirname, '..');

describe('smoke-test, bundled, against real HTTP servers', () => {
  let server: Server;
  let base: string;
  const hits: Record<string, number> = {};
  let firstVersionRequest: number | undefined;

  beforeAll(async () => {
    server = createServer((request, response) => {
      const url = request.url ?? '/';
      hits[url] = (hits[url] ?? 0) + 1;
      if (url === '/health')
        return void response
          .writeHead(200, { 'content-type': 'application/json' })
          .end('{"status":"ok","checks":[1,2,3]}');
      if (url === '/flaky')
        return void (hits[url] <= 2
          ? response.writeHead(503).end('busy')
          : response.writeHead(200).end('ok'));
      if (url === '/limited')
        return void (hits[url] === 1
          ? response.writeHead(429, { 'retry-after': '1' }).end()
          : response.writeHead(200).end('ok'));
      if (url === '/version') {
        firstVersionRequest ??= Date.now();
        return void response.writeHead(200).end(Date.now() - firstVersionRequest > 1000 ? 'v2' : 'v1');
      }
      if (url === '/hang') return; // never answers
      if (url === '/drip') {
        // Headers at once, then a byte every half second for as long as the client listens.
        response.writeHead(200).write('o');
        const timer = setInterval(() => response.write(' '), 500);
        response.on('close', () => clearInterval(timer));
        return;
      }
      response.writeHead(404, { 'content-type': 'text/plain' }).end('no such page');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('ends within its timeout against a server that drips its answer, whatever request-timeout and retries say', async () => {
    const temp = mkdtempSync(path.join(tmpdir(), 'smoke-'));
    const result = await runBundledAction(actionDir, {
      inputs: { url: `${base}/drip`, timeout: '6s', 'request-timeout': '2s', retries: '10' },
      env: { RUNNER_TEMP: temp },
      timeoutMs: 25_000,
    });
    expect(result.main.timedOut).toBe(false);
    expect(result.main.exitCode).toBe(1);
    const report = JSON.parse(readFileSync(result.outputs.report!, 'utf8')) as {
      checks: { passed: boolean; attempts: number; failures: { actual: string }[] }[];
    };
    expect(report.checks[0]).toMatchObject({ passed: false });
    expect(report.checks[0]!.attempts).toBeGreaterThanOrEqual(2);
    expect(report.checks[0]!.failures[0]!.actual).toMatch(
      /no complete answer within \d+ ms \(connect, headers and body\)/,
    );
  }, 30_000);

  it('passes the one-line url case and writes the JSON report', async () => {
    const temp = mkdtempSync(path.join(tmpdir(), 'smoke-'));
    const result = await runBundledAction(actionDir, {
      inputs: { url: `${base}/health` },
      env: { RUNNER_TEMP: temp },
    });
    expect(result.main.exitCode).toBe(0);
    expect(result.outputs).toMatchObject({ passed: '1', failed: '0', total: '1' });
    expect(JSON.parse(readFileSync(result.outputs.report!, 'utf8'))).toMatchObject({
      passed: 1,
      checks: [{ name: `${base}/health`, status: 200, attempts: 1 }],
    });
    expect(result.summary).toContain('Smoke tests: 1/1 passed');
  });

  it('retries a server that answers 503 twice, and counts the attempts', async () => {
    const result = await runBundledAction(actionDir, {
      inputs: { 'base-url': base, checks: '- name: flaky\n  path: /flaky\n  expect: { body: ok }' },
    });
    expect(result.main.exitCode).toBe(0);
    expect(hits['/flaky']).toBe(3);
    expect(result.summary).toMatch(
      /<td>flaky<\/td><td>✅ passed<\/td><td>200<\/td><td>\d+ ms<\/td><td>3<\/td>/,
    );
  });

  it('waits as long as Retry-After asks', async () => {
    const before = Date.now();
    const result = await runBundledAction(actionDir, {
      inputs: { 'base-url': base, checks: '- path: /limited' },
    });
    expect(result.main.exitCode).toBe(0);
    expect(Date.now() - before).toBeGreaterThanOrEqual(1000);
  });

  it('waits for the new version before checking, so old tasks cannot pass for it', async () => {
    const result = await runBundledAction(actionDir, {
      inputs: {
        'base-url': base,
        'wait-for': 'path: /version\nexpect: { body: { equals: "${{ env.VERSION }}" } }',
        vars: 'VERSION=v2',
        checks: '- path: /health',
      },
    });
    expect(result.main.exitCode).toBe(0);
    expect(result.log).toMatch(/\/version passed after \d+ attempts/);
    expect(hits['/version']).toBeGreaterThan(1);
  });

  it('fails with what was expected and what came back, and a curl line that hides the token', async () => {
    const token = 'Bearer super-secret-token-123';
    const junitDir = mkdtempSync(path.join(tmpdir(), 'junit-'));
    const result = await runBundledAction(actionDir, {
      inputs: {
        'base-url': base,
        checks: `- name: orders\n  path: /orders\n  headers: { Authorization: "${token}" }\n  expect: { status: 200, json: { "$.items": { count: { gte: 1 } } } }\n- name: health\n  path: /health\n  expect: { json: { "$.checks": { count: 3 } } }`,
        junit: path.join(junitDir, 'reports', 'smoke.xml'),
      },
      // The report goes into the workspace; its folder does not exist yet and is created.
      cwd: junitDir,
    });
    expect(result.main.exitCode).toBe(1);
    expect(result.outputs).toMatchObject({ passed: '1', failed: '1', total: '2' });
    expect(result.annotations[0]?.message).toBe('1 of 2 smoke checks failed: orders');
    expect(result.summary).toContain('<b>status</b>: expected 200, got 404');
    expect(result.summary).toContain('no such page');
    expect(result.summary).toContain(
      `curl -sS -X GET &#39;${base}/orders&#39; -H &#39;authorization: ***&#39;`,
    );
    expect(result.unmaskedLog).not.toContain('super-secret-token-123');
    expect(result.summary).not.toContain('super-secret-token-123');
    expect(readFileSync(path.join(junitDir, 'reports', 'smoke.xml'), 'utf8')).toContain('failures="1"');
  });

  it('gives up at the overall timeout on a server that never answers', async () => {
    const before = Date.now();
    const result = await runBundledAction(actionDir, {
      inputs: { 'base-url': base, checks: '- path: /hang', timeout: '1500ms', 'request-timeout': '300ms' },
    });
    expect(result.main.exitCode).toBe(1);
    expect(Date.now() - before).toBeLessThan(10_000);
    expect(result.summary).toMatch(/no complete answer within \d+ ms/);
  });

  it('fails on a malformed checks list before sending anything', async () => {
    const count = Object.values(hits).reduce((sum, value) => sum + value, 0);
    const result = await runBundledAction(actionDir, {
      inputs: { 'base-url': base, checks: '- name: x\n  path: /health\n  expect: { json: { "$.a[": 1 } }' },
    });
    expect(result.main.exitCode).toBe(1);
    expect(result.annotations[0]?.message).toMatch(
      /^Input 'checks' check 'x': expect.json: '\$.a\[' is not a JSONPath/,
    );
    expect(Object.values(hits).reduce((sum, value) => sum + value, 0)).toBe(count);
  });
});

describe('smoke-test against the twin test listener during a deploy', () => {
  it('reaches the idle colour through the test listener before customers do', async () => {
    const twin = await startTwin({
      blueGreen: [
        { name: 'svc-portal', image: 'svc-portal:v1', idleImage: 'svc-portal:v2', desiredCount: 1 },
      ],
    });
    try {
      const portal = twin.resources['svc-portal']!;
      const result = await runBundledAction(actionDir, {
        inputs: {
          'base-url': portal.testUrl!,
          'wait-for': 'path: /version\nexpect: { body: { equals: v2 } }',
          checks:
            '- name: orders\n  path: /orders\n  expect: { json: { "$.version": v2 }, headers: { x-version: v2 } }',
        },
      });
      expect(result.main.exitCode).toBe(0);
      const production = await runBundledAction(actionDir, {
        inputs: {
          'base-url': portal.productionUrl,
          checks: '- path: /version\n  expect: { body: { equals: v2 } }',
          retries: '0',
        },
      });
      expect(production.main.exitCode).toBe(1);
      expect(production.summary).toContain('expected equal to &#39;v2&#39;, got v1');
    } finally {
      await twin.close();
    }
  });

  it('reaches a host-header rule with the host-header input', async () => {
    const twin = await startTwin({
      blueGreen: [{ name: 'svc-portal', image: 'svc-portal:v1', desiredCount: 1 }],
    });
    try {
      const portal = twin.resources['svc-portal']!;
      const { ElasticLoadBalancingV2Client, CreateRuleCommand } =
        await import('@aws-sdk/client-elastic-load-balancing-v2');
      const elbv2 = new ElasticLoadBalancingV2Client({
        region: 'eu-west-1',
        endpoint: twin.endpoint,
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      });
      await elbv2.send(
        new CreateRuleCommand({
          ListenerArn: portal.productionListenerArn,
          Priority: 1,
          Conditions: [{ Field: 'host-header', Values: ['admin.example.com'] }],
          Actions: [
            {
              Type: 'fixed-response',
              FixedResponseConfig: {
                StatusCode: '200',
                ContentType: 'text/plain',
                MessageBody: 'admin console',
              },
            },
          ],
        }),
      );
      const checks = '- path: /\n  expect: { body: { equals: admin console } }';
      const withHost = await runBundledAction(actionDir, {
        inputs: { 'base-url': portal.productionUrl, 'host-header': 'admin.example.com', checks },
      });
      expect(withHost.main.exitCode).toBe(0);
      const without = await runBundledAction(actionDir, {
        inputs: { 'base-url': portal.productionUrl, checks, retries: '0' },
      });
      expect(without.main.exitCode).toBe(1);
    } finally {
      await twin.close();
    }
  });

  it('gates a real deploy: prepare, smoke the new colour on the test listener, then shift', async () => {
    const twin = await startTwin({
      blueGreen: [{ name: 'svc-portal', image: 'svc-portal:v1', desiredCount: 1 }],
    });
    try {
      const portal = twin.resources['svc-portal']!;
      const taskDefinition = path.join(mkdtempSync(path.join(tmpdir(), 'td-')), 'td.json');
      writeFileSync(
        taskDefinition,
        JSON.stringify({
          family: 'svc-portal',
          containerDefinitions: [{ name: 'app', image: 'x', essential: true }],
        }),
      );
      const deploy = (phase: string) =>
        runBundledAction(path.join(actionDir, '..', 'blue-green-deploy'), {
          inputs: {
            cluster: portal.cluster,
            service: 'svc-portal',
            'listener-rule-arn': portal.productionRuleArn,
            'task-definition': taskDefinition,
            'container-name': 'app',
            image: 'svc-portal:v2',
            phase,
            'step-bake': '1s',
            'traffic-steps': '50,100',
            'metric-period': '1s',
            'metric-delay': '3s',
            'no-data': 'pass',
          },
          env: { ...twin.env, GITHUB_RUN_ID: '7', GITHUB_REPOSITORY: 'mpac/svc-portal' },
          runPost: false,
          cwd: path.dirname(taskDefinition),
        });
      expect((await deploy('prepare')).outputs.outcome).toBe('prepared');
      const smoke = await runBundledAction(actionDir, {
        inputs: {
          'base-url': portal.testUrl!,
          'wait-for': 'path: /version\nexpect: { body: { equals: v2 } }',
          checks: '- path: /orders\n  expect: { headers: { x-version: v2 } }',
        },
      });
      expect(smoke.main.exitCode).toBe(0);
      expect((await twin.traffic.send(`${portal.productionUrl}/orders`, 10)).byVersion).toEqual({ v1: 10 });
      expect((await deploy('shift')).outputs.outcome).toBe('promoted');
      expect((await twin.traffic.send(`${portal.productionUrl}/orders`, 10)).byVersion).toEqual({ v2: 10 });
    } finally {
      await twin.close();
    }
  });
});
