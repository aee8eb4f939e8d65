import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { UpdateServiceCommand } from '@aws-sdk/client-ecs';
import {
  CreateRuleCommand,
  CreateTargetGroupCommand,
  ModifyRuleCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTwin, type Twin } from '../src/index.js';
import { clientsFor } from './clients.js';

function weights(blueArn: string, greenArn: string, blue: number, green: number) {
  return [
    {
      Type: 'forward' as const,
      ForwardConfig: {
        TargetGroups: [
          { TargetGroupArn: blueArn, Weight: blue },
          { TargetGroupArn: greenArn, Weight: green },
        ],
      },
    },
  ];
}

function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, timeout: 5000 }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the data plane: real traffic through listeners to tasks', () => {
  let twin: Twin;
  let clients: ReturnType<typeof clientsFor>;
  let portal: Twin['resources'][string];

  beforeAll(async () => {
    twin = await startTwin({
      seed: 42,
      images: { 'svc-portal:v1': { version: 'v1' }, 'svc-portal:v2': { version: 'v2', errorRate: 0.1 } },
      blueGreen: [
        { name: 'svc-portal', image: 'svc-portal:v1', idleImage: 'svc-portal:v2', desiredCount: 2 },
      ],
    });
    clients = clientsFor(twin);
    portal = twin.resources['svc-portal']!;
  });
  afterAll(async () => {
    await twin.close();
  });

  it('splits 2,000 requests at weights 95/5 within ±2 percentage points', async () => {
    await clients.elbv2.send(
      new ModifyRuleCommand({
        RuleArn: portal.productionRuleArn,
        Actions: weights(portal.blueTargetGroupArn, portal.greenTargetGroupArn, 95, 5),
      }),
    );
    const tally = await twin.traffic.send(`${portal.productionUrl}/orders`, 2000, 32);
    expect(tally.completed).toBe(2000);
    const greenShare = (100 * (tally.byVersion.v2 ?? 0)) / 2000;
    expect(greenShare).toBeGreaterThanOrEqual(3);
    expect(greenShare).toBeLessThanOrEqual(7);
  });

  it('applies a weight change to the very next requests', async () => {
    await clients.elbv2.send(
      new ModifyRuleCommand({
        RuleArn: portal.productionRuleArn,
        Actions: weights(portal.blueTargetGroupArn, portal.greenTargetGroupArn, 0, 100),
      }),
    );
    const tally = await twin.traffic.send(`${portal.productionUrl}/orders`, 100);
    expect(tally.byVersion).toEqual({ v2: 100 });
  });

  it('shows a 10 % error image as ~10 % 5xx in GetMetricData for its target group and 0 % for the other', async () => {
    // Start on a fresh second so earlier tests' requests fall outside the window.
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));
    const start = new Date(Math.floor(Date.now() / 1000) * 1000);
    await clients.elbv2.send(
      new ModifyRuleCommand({
        RuleArn: portal.productionRuleArn,
        Actions: weights(portal.blueTargetGroupArn, portal.greenTargetGroupArn, 50, 50),
      }),
    );
    await twin.traffic.send(`${portal.productionUrl}/orders`, 2000, 32);
    const lb = portal.loadBalancerArn.slice(portal.loadBalancerArn.indexOf('app/'));
    const query = (id: string, metric: string, groupArn: string) => ({
      Id: id,
      ReturnData: false,
      MetricStat: {
        Metric: {
          Namespace: 'AWS/ApplicationELB',
          MetricName: metric,
          Dimensions: [
            { Name: 'LoadBalancer', Value: lb },
            { Name: 'TargetGroup', Value: groupArn.slice(groupArn.indexOf('targetgroup/')) },
          ],
        },
        Period: 1,
        Stat: 'Sum',
      },
    });
    const result = await clients.cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: start,
        EndTime: new Date(Date.now() + 2000),
        MetricDataQueries: [
          query('greenErrors', 'HTTPCode_Target_5XX_Count', portal.greenTargetGroupArn),
          query('greenRequests', 'RequestCount', portal.greenTargetGroupArn),
          query('blueErrors', 'HTTPCode_Target_5XX_Count', portal.blueTargetGroupArn),
          query('blueRequests', 'RequestCount', portal.blueTargetGroupArn),
        ].map((entry) => ({ ...entry, ReturnData: true })),
      }),
    );
    const total = (id: string) =>
      (result.MetricDataResults!.find((entry) => entry.Id === id)?.Values ?? []).reduce(
        (sum, value) => sum + value,
        0,
      );
    const greenRate = (100 * total('greenErrors')) / total('greenRequests');
    expect(total('greenRequests') + total('blueRequests')).toBe(2000);
    expect(greenRate).toBeGreaterThan(7);
    expect(greenRate).toBeLessThan(13);
    // HTTPCode series are published only when non-zero: blue has none at all
    expect(result.MetricDataResults!.find((entry) => entry.Id === 'blueErrors')?.Values).toEqual([]);
  });

  it('keeps every request answered while traffic moves and the old colour drains away', async () => {
    await clients.elbv2.send(
      new ModifyRuleCommand({
        RuleArn: portal.productionRuleArn,
        Actions: weights(portal.blueTargetGroupArn, portal.greenTargetGroupArn, 100, 0),
      }),
    );
    twin.faults.changeImage('svc-portal:v2', { errorRate: 0 });
    const run = twin.traffic.start({
      url: `${portal.productionUrl}/orders`,
      requestsPerSecond: 200,
      maxDurationMs: 5000,
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const [blue, green] of [
      [95, 5],
      [50, 50],
      [0, 100],
    ]) {
      await clients.elbv2.send(
        new ModifyRuleCommand({
          RuleArn: portal.productionRuleArn,
          Actions: weights(portal.blueTargetGroupArn, portal.greenTargetGroupArn, blue!, green!),
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    await clients.ecs.send(
      new UpdateServiceCommand({ cluster: portal.cluster, service: portal.blueService, desiredCount: 0 }),
    );
    await twin.waitFor(
      () => twin.services.elbv2.targetGroups.get(portal.blueTargetGroupArn)!.targets.size === 0,
      5000,
      'blue to drain',
    );
    const tally = await run.stop();
    expect(tally.sent).toBeGreaterThan(100);
    expect(tally.failed).toBe(0);
    expect(tally.byStatus).toEqual({ '200': tally.sent });
    expect(Object.keys(tally.byVersion).sort()).toEqual(['v1', 'v2']);
  });

  it('answers 503 when the chosen group has no registered target, and counts it as an ELB 5xx', async () => {
    const empty = (
      await clients.elbv2.send(
        new CreateTargetGroupCommand({
          Name: 'empty',
          Protocol: 'HTTP',
          Port: 8080,
          VpcId: 'vpc-1',
          TargetType: 'ip',
        }),
      )
    ).TargetGroups![0]!;
    await clients.elbv2.send(
      new CreateRuleCommand({
        ListenerArn: portal.productionListenerArn,
        Priority: 1,
        Conditions: [{ Field: 'path-pattern', Values: ['/empty/*'] }],
        Actions: [{ Type: 'forward', TargetGroupArn: empty.TargetGroupArn }],
      }),
    );
    expect((await get(`${portal.productionUrl}/empty/x`)).status).toBe(503);
    expect((await get(`${portal.productionUrl}/orders`)).status).toBe(200);
  });

  it('matches host-header rules before lower-priority ones and falls back to the default action', async () => {
    await clients.elbv2.send(
      new CreateRuleCommand({
        ListenerArn: portal.testListenerArn!,
        Priority: 1,
        Conditions: [{ Field: 'host-header', Values: ['admin.*.example.com'] }],
        Actions: [
          {
            Type: 'fixed-response',
            FixedResponseConfig: { StatusCode: '403', ContentType: 'text/plain', MessageBody: 'admins only' },
          },
        ],
      }),
    );
    const admin = await get(`${portal.testUrl}/anything`, { host: 'admin.eu.example.com' });
    expect([admin.status, admin.body]).toEqual([403, 'admins only']);
    expect((await get(`${portal.testUrl}/anything`, { host: 'portal.example.com' })).status).toBe(200);
  });

  it('answers 502 when a target drops the connection', async () => {
    twin.faults.changeImage('svc-portal:v2', { dropRate: 1 });
    await clients.elbv2.send(
      new ModifyRuleCommand({
        RuleArn: portal.productionRuleArn,
        Actions: weights(portal.blueTargetGroupArn, portal.greenTargetGroupArn, 0, 100),
      }),
    );
    const response = await get(`${portal.productionUrl}/orders`);
    expect(response.status).toBe(502);
    expect(response.body).toContain('502 Bad Gateway');
    twin.faults.changeImage('svc-portal:v2', { dropRate: 0 });
    expect((await get(`${portal.productionUrl}/orders`)).status).toBe(200);
  });

  it("answers with its own connection headers, not the target's (a client holds idle connections as the listener says)", async () => {
    const response = await get(`${portal.productionUrl}/orders`, { connection: 'keep-alive' });
    expect(response.status).toBe(200);
    expect(response.headers['x-version']).toBeDefined();
    // The task keeps idle connections 65 s, the listener 60 s: the customer must be told 60.
    expect(response.headers['keep-alive']).toBe('timeout=60');
  });
});

describe('stickiness', () => {
  let twin: Twin;
  beforeAll(async () => {
    twin = await startTwin({
      seed: 5,
      blueGreen: [
        { name: 'shop', image: 'shop:v1', idleImage: 'shop:v2', desiredCount: 1, stickinessSeconds: 600 },
      ],
    });
  });
  afterAll(async () => {
    await twin.close();
  });

  it('keeps a client with the AWSALBTG cookie on its target group whatever the weights', async () => {
    const shop = twin.resources.shop!;
    const { elbv2 } = clientsFor(twin);
    const first = await get(`${shop.productionUrl}/`);
    const cookie = String((first.headers['set-cookie'] as string[])[0]).split(';')[0]!;
    expect(first.headers['x-version']).toBe('v1');
    await elbv2.send(
      new ModifyRuleCommand({
        RuleArn: shop.productionRuleArn,
        Actions: [
          {
            Type: 'forward',
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: shop.blueTargetGroupArn, Weight: 0 },
                { TargetGroupArn: shop.greenTargetGroupArn, Weight: 100 },
              ],
              TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 600 },
            },
          },
        ],
      }),
    );
    expect((await get(`${shop.productionUrl}/`, { cookie })).headers['x-version']).toBe('v1');
    expect((await get(`${shop.productionUrl}/`)).headers['x-version']).toBe('v2');
  });
});

describe('an ALB whose targets are all unhealthy', () => {
  it('fails open: routes to every unhealthy target rather than answering 503', async () => {
    // A target the twin does not run: it answers requests, and fails every health check.
    const sick = createServer((request, response) =>
      response.writeHead(request.url === '/health' ? 500 : 200).end('from the sick target'),
    );
    await new Promise<void>((resolve) => sick.listen(0, '127.0.0.1', resolve));
    const twin = await startTwin({ blueGreen: [{ name: 'svc-portal', image: 'svc-portal:v1' }] });
    try {
      const clients = clientsFor(twin);
      const portal = twin.resources['svc-portal']!;
      const group = (
        await clients.elbv2.send(
          new CreateTargetGroupCommand({
            Name: 'sick',
            Protocol: 'HTTP',
            Port: 8080,
            VpcId: 'vpc-1',
            TargetType: 'ip',
            HealthCheckPath: '/health',
          }),
        )
      ).TargetGroups![0]!;
      await clients.elbv2.send(
        new RegisterTargetsCommand({
          TargetGroupArn: group.TargetGroupArn,
          Targets: [{ Id: '127.0.0.1', Port: (sick.address() as AddressInfo).port }],
        }),
      );
      await clients.elbv2.send(
        new CreateRuleCommand({
          ListenerArn: portal.productionListenerArn,
          Priority: 2,
          Conditions: [{ Field: 'path-pattern', Values: ['/sick/*'] }],
          Actions: [{ Type: 'forward', TargetGroupArn: group.TargetGroupArn }],
        }),
      );
      await twin.waitFor(
        () =>
          [...twin.services.elbv2.targetGroups.get(group.TargetGroupArn!)!.targets.values()].every(
            (target) => target.state === 'unhealthy',
          ),
        10_000,
        'the target to fail its health checks',
      );
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => get(`${portal.productionUrl}/sick/x`)),
      );
      expect(answers.map((answer) => `${answer.status} ${answer.body}`)).toEqual(
        Array(10).fill('200 from the sick target'),
      );
    } finally {
      await twin.close();
      sick.closeAllConnections();
      await new Promise((resolve) => sick.close(resolve));
    }
  });
});

describe("TargetResponseTime: the target's latency, not the host's", () => {
  it('records the latency the image has even when the twin process stalls, and keeps its report header from customers', async () => {
    const twin = await startTwin({
      images: { 'svc-portal:v1': { version: 'v1', latencyMs: 120 } },
      blueGreen: [{ name: 'svc-portal', image: 'svc-portal:v1', desiredCount: 1 }],
    });
    try {
      const portal = twin.resources['svc-portal']!;
      const start = new Date(Math.floor(Date.now() / 1000) * 1000);
      const answers = Array.from({ length: 10 }, () => get(`${portal.productionUrl}/orders`));
      // A busy machine: this process does nothing else for 400 ms while the requests are in flight.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const stalledUntil = Date.now() + 400;
      while (Date.now() < stalledUntil);
      const responses = await Promise.all(answers);
      expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
      expect(responses.every((response) => !('x-twin-target-latency-ms' in response.headers))).toBe(true);
      const lb = portal.loadBalancerArn.slice(portal.loadBalancerArn.indexOf('app/'));
      const group = portal.blueTargetGroupArn.slice(portal.blueTargetGroupArn.indexOf('targetgroup/'));
      const result = await clientsFor(twin).cloudwatch.send(
        new GetMetricDataCommand({
          StartTime: start,
          EndTime: new Date(Date.now() + 2000),
          MetricDataQueries: ['Maximum', 'Minimum', 'SampleCount'].map((stat) => ({
            Id: stat.toLowerCase(),
            MetricStat: {
              Metric: {
                Namespace: 'AWS/ApplicationELB',
                MetricName: 'TargetResponseTime',
                Dimensions: [
                  { Name: 'LoadBalancer', Value: lb },
                  { Name: 'TargetGroup', Value: group },
                ],
              },
              Period: 60,
              Stat: stat,
            },
          })),
        }),
      );
      const values = (id: string) => result.MetricDataResults!.find((entry) => entry.Id === id)?.Values ?? [];
      expect(values('samplecount').reduce((sum, value) => sum + value, 0)).toBe(10);
      expect(values('maximum')).toEqual(values('maximum').map(() => 0.12));
      expect(values('minimum')).toEqual(values('minimum').map(() => 0.12));
    } finally {
      await twin.close();
    }
  });
});
