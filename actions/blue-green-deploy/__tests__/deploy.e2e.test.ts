import { afterEach, describe, expect, it } from '@jest/globals';
import {
  AddTagsCommand,
  DescribeTagsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Twin } from '../../../packages/aws-twin/src/index.js';
import { formatLockValue, lockTagKey } from '../../../packages/shared/src/blue-green/lease.js';
import { setUpTwin } from './twin-setup.js';

let twin: Twin | undefined;
afterEach(async () => {
  await twin?.close();
  twin = undefined;
});

async function setUp() {
  const setup = await setUpTwin();
  twin = setup.twin;
  return setup;
}

describe('blue-green-deploy, bundled, on the twin', () => {
  it('promotes a good release through 5/50/100 with no failed customer request', async () => {
    const { twin, portal, weights, run } = await setUp();
    const traffic = twin.traffic.start({
      url: `${portal.productionUrl}/orders`,
      requestsPerSecond: 100,
      maxDurationMs: 60_000,
    });
    // The gates' defaults: a step without evidence would not pass.
    const result = await run({ image: 'svc-portal:v2', 'step-bake': '3s', 'no-data': '' });
    const tally = await traffic.stop();
    expect(result.main.exitCode).toBe(0);
    expect(result.outputs).toMatchObject({
      outcome: 'promoted',
      'live-color': 'green',
      'previous-color': 'blue',
      'task-definition-arn': 'arn:aws:ecs:eu-west-1:123456789012:task-definition/svc-portal:2',
    });
    expect(result.outputs['previous-task-definition-arn']).toBe(
      'arn:aws:ecs:eu-west-1:123456789012:task-definition/svc-portal:1',
    );
    expect(await weights()).toEqual([0, 100]);
    expect(tally.failed).toBe(0);
    expect(tally.byStatus).toEqual({ '200': tally.sent });
    expect(tally.byVersion.v2).toBeGreaterThan(0);
    expect(result.summary).toContain('Blue/green deploy of svc-portal: promoted');
    expect(result.summary).toContain('xychart-beta');
    expect(result.summary).toMatch(/<td>5 %<\/td>.*✅ passed/);
    expect(result.annotations.map((annotation) => annotation.message)).toContain(
      'Dropped describe-only fields the ECS API refuses: taskDefinitionArn, revision, status',
    );
    // the lock was released, the outcome recorded
    const tags = (
      await new ElasticLoadBalancingV2Client({
        region: 'eu-west-1',
        endpoint: twin.endpoint,
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      }).send(new DescribeTagsCommand({ ResourceArns: [portal.productionRuleArn] }))
    ).TagDescriptions![0]!.Tags!;
    expect(Object.fromEntries(tags.map((tag) => [tag.Key, tag.Value]))).toMatchObject({
      'mpac:live-color': 'green',
      'mpac:outcome': 'promoted',
    });
    expect(tags.some((tag) => tag.Key!.startsWith('mpac:lock:'))).toBe(false);
    // the old colour keeps running for a fast rollback
    const blue = [...twin.services.ecs.services.values()].find(
      (service) => service.name === 'svc-portal-blue',
    )!;
    expect(blue.desiredCount).toBe(2);
  }, 60_000);

  it('keeps a GitHub deployment true: in progress, then success, without printing the token', async () => {
    const { run } = await setUp();
    const requests: { method: string; url: string; body: Record<string, unknown>; authorization?: string }[] =
      [];
    const api = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        requests.push({
          method: request.method!,
          url: request.url!,
          body: JSON.parse(body || '{}') as Record<string, unknown>,
          authorization: request.headers.authorization,
        });
        const isStatus = request.url!.endsWith('/statuses');
        response
          .writeHead(201, { 'content-type': 'application/json' })
          .end(JSON.stringify(isStatus ? { id: requests.length } : { id: 4242 }));
      });
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    try {
      const token = 'ghs_fakeTokenThatMustNeverBePrinted123';
      const result = await run(
        {
          image: 'svc-portal:v2',
          'traffic-steps': '100',
          'github-token': token,
          environment: 'production',
          'environment-url': 'https://portal.example.com',
        },
        {
          env: {
            GITHUB_API_URL: `http://127.0.0.1:${(api.address() as AddressInfo).port}`,
            GITHUB_SHA: 'abc123',
          },
        },
      );
      expect(result.main.exitCode).toBe(0);
      expect(result.outputs['deployment-id']).toBe('4242');
      expect(
        requests.map(
          (request) =>
            `${request.method} ${request.url} ${String(request.body.state ?? request.body.environment)}`,
        ),
      ).toEqual([
        'POST /repos/mpac/svc-portal/deployments production',
        'POST /repos/mpac/svc-portal/deployments/4242/statuses in_progress',
        'POST /repos/mpac/svc-portal/deployments/4242/statuses success',
      ]);
      expect(requests[0]!.body.ref).toBe('abc123');
      expect(requests[2]!.body.environment_url).toBe('https://portal.example.com');
      expect(requests[0]!.authorization).toBe(`Bearer ${token}`);
      expect(result.masks).toContain(token);
      expect(result.unmaskedLog).not.toContain(token);
    } finally {
      await new Promise((resolve) => api.close(resolve));
    }
  });

  it('catches a 5xx release at 5 %, restores 100 % to blue and fails the step', async () => {
    const { twin, portal, weights, run } = await setUp();
    const traffic = twin.traffic.start({
      url: `${portal.productionUrl}/orders`,
      requestsPerSecond: 100,
      maxDurationMs: 40_000,
    });
    const result = await run({ image: 'svc-portal:bad' });
    const tally = await traffic.stop();
    expect(result.main.exitCode).toBe(1);
    expect(result.outputs).toMatchObject({ outcome: 'rolled-back', 'live-color': 'blue' });
    expect(await weights()).toEqual([100, 0]);
    expect(result.annotations[0]?.message).toMatch(
      /^Gate failed at 5 %: error rate 100\.00 % > 5 %.*all traffic is back on blue/,
    );
    expect(result.summary).toContain('Why it failed');
    expect(result.summary).not.toMatch(/<td>50 %<\/td>/);
    // customers saw only the 5 % share of one bake
    expect((tally.byStatus['500'] ?? 0) / tally.sent).toBeLessThan(0.1);
  });

  it('never touches live traffic when the new colour never gets healthy, and says why', async () => {
    const { twin, weights, run } = await setUp();
    twin.calls.clear();
    const result = await run({ image: 'svc-portal:broken' });
    expect(result.main.exitCode).toBe(1);
    expect(await weights()).toEqual([100, 0]);
    expect(twin.calls.of('elbv2', 'ModifyRule')).toEqual([]);
    expect(result.annotations[0]?.message).toMatch(
      /svc-portal-green was not deployed: its deployment failed.*customer traffic was not touched/,
    );
    expect(result.summary).toContain(
      'CannotPullContainerError: pull image manifest has been retried 1 time(s): svc-portal:broken not found',
    );
    expect(result.summary).toContain('Newest service events');
    expect(result.outputs.outcome).toBe('failed');
  });

  it('puts all traffic back on blue in the post step when the job is killed mid-cutover', async () => {
    const { weights, run } = await setUp();
    const result = await run(
      { image: 'svc-portal:v2', 'step-bake': '3s' },
      { killMainWhen: /Traffic: 50 % on green/ },
    );
    expect(result.main.killed).toBe(true);
    expect(result.post?.exitCode).toBe(0);
    expect(result.log).toContain(
      'The run stopped during the cutover from blue to green: putting all traffic on blue',
    );
    expect(result.log).toContain('Released the deploy lock');
    expect(await weights()).toEqual([100, 0]);
  });

  it('refuses a second deploy while another run holds the lock, naming the holder, changing nothing', async () => {
    const { twin, portal, elbv2, run } = await setUp();
    const expiresAt = Date.now() + 3_600_000;
    const expires = new Date(expiresAt).toISOString();
    const holder = 'run-999-1@mpac/svc-portal';
    await elbv2.send(
      new AddTagsCommand({
        ResourceArns: [portal.productionRuleArn],
        Tags: [{ Key: lockTagKey(holder), Value: formatLockValue({ holder, expiresAt, state: 'held' }) }],
      }),
    );
    twin.calls.clear();
    const result = await run({ image: 'svc-portal:v2' });
    expect(result.main.exitCode).toBe(1);
    expect(result.annotations[0]?.message).toContain(
      `Another deploy holds the lock on ${portal.productionRuleArn}: run-999-1@mpac/svc-portal, until ${expires}`,
    );
    expect(twin.calls.mutating()).toEqual([]);
  });

  it('rolls back in seconds with the rollback phase after a promote', async () => {
    const { weights, run } = await setUp();
    expect((await run({ image: 'svc-portal:v2', 'traffic-steps': '100' })).main.exitCode).toBe(0);
    const started = Date.now();
    const result = await run({ phase: 'rollback', 'task-definition': '' });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.main.exitCode).toBe(0);
    expect(result.outputs).toMatchObject({
      outcome: 'rolled-back',
      'live-color': 'blue',
      'previous-color': 'green',
    });
    expect(await weights()).toEqual([100, 0]);
  });

  it('prepares the idle colour without touching traffic, then shifts it in a second step', async () => {
    const { twin, elbv2, portal, weights, run } = await setUp();
    // The job goes on to the shift step: post steps run only at the end of the job.
    const prepared = await run({ image: 'svc-portal:v2', phase: 'prepare' }, { runPost: false });
    expect(prepared.main.exitCode).toBe(0);
    expect(prepared.outputs.outcome).toBe('prepared');
    expect(await weights()).toEqual([100, 0]);
    expect((await twin.traffic.send(`${portal.testUrl}/`, 10)).byVersion).toEqual({ v2: 10 });
    const lockAfterPrepare = (
      await elbv2.send(new DescribeTagsCommand({ ResourceArns: [portal.productionRuleArn] }))
    ).TagDescriptions![0]!.Tags!;
    expect(lockAfterPrepare.find((tag) => tag.Key!.startsWith('mpac:lock:'))?.Value).toMatch(
      /^run-1001-1@mpac\/svc-portal .* held ttl=\d+$/,
    );

    const shifted = await run({ phase: 'shift', 'task-definition': '', 'traffic-steps': '100' });
    expect(shifted.main.exitCode).toBe(0);
    expect(shifted.outputs).toMatchObject({ outcome: 'promoted', 'live-color': 'green' });
    expect(await weights()).toEqual([0, 100]);
    const tags = (await elbv2.send(new DescribeTagsCommand({ ResourceArns: [portal.productionRuleArn] })))
      .TagDescriptions![0]!.Tags!;
    expect(tags.some((tag) => tag.Key!.startsWith('mpac:lock:'))).toBe(false);
  });

  it('stops before any traffic moves when the migration task exits non-zero', async () => {
    const { twin, weights, run } = await setUp();
    twin.calls.clear();
    const result = await run({
      image: 'svc-portal:migration-fails',
      'migration-command': 'alembic upgrade head',
    });
    expect(result.main.exitCode).toBe(1);
    expect(result.annotations[0]?.message).toMatch(
      /^The migration task exited with code 3 .*no traffic was moved/,
    );
    expect(twin.calls.of('ecs', 'RunTask')[0]?.params).toMatchObject({
      overrides: { containerOverrides: [{ name: 'app', command: ['alembic', 'upgrade', 'head'] }] },
    });
    expect(twin.calls.of('ecs', 'UpdateService')).toEqual([]);
    expect(twin.calls.of('elbv2', 'ModifyRule')).toEqual([]);
    expect(await weights()).toEqual([100, 0]);
  });

  it('cleans up the previous colour, and a later rollback brings it back up before moving traffic', async () => {
    const { twin, weights, run } = await setUp();
    expect((await run({ image: 'svc-portal:v2', 'traffic-steps': '100' })).outputs.outcome).toBe('promoted');
    const cleaned = await run({ phase: 'cleanup', 'task-definition': '' });
    expect(cleaned.outputs).toMatchObject({ outcome: 'cleaned-up', 'live-color': 'green' });
    const blue = () =>
      [...twin.services.ecs.services.values()].find((service) => service.name === 'svc-portal-blue')!;
    expect(blue().desiredCount).toBe(0);
    const rolledBack = await run({ phase: 'rollback', 'task-definition': '' });
    expect(rolledBack.main.exitCode).toBe(0);
    expect(rolledBack.log).toMatch(/svc-portal-blue \(blue\) was scaled down; bringing 2 tasks back first/);
    expect(blue().desiredCount).toBe(2);
    expect(await weights()).toEqual([100, 0]);
  });

  it('deploys an existing task definition ARN as is, registering nothing', async () => {
    const { twin, run } = await setUp();
    const { ECSClient, RegisterTaskDefinitionCommand } = await import('@aws-sdk/client-ecs');
    const ecs = new ECSClient({
      region: 'eu-west-1',
      endpoint: twin.endpoint,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    const registered = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'svc-portal',
        networkMode: 'awsvpc',
        containerDefinitions: [{ name: 'app', image: 'svc-portal:v2', essential: true }],
      }),
    );
    const arn = registered.taskDefinition!.taskDefinitionArn!;
    twin.calls.clear();
    const result = await run({
      'task-definition': '',
      'container-name': '',
      'task-definition-arn': arn,
      'traffic-steps': '100',
    });
    expect(result.main.exitCode).toBe(0);
    expect(result.outputs).toMatchObject({ outcome: 'promoted', 'task-definition-arn': arn });
    expect(twin.calls.of('ecs', 'RegisterTaskDefinition')).toEqual([]);
  });

  it('reports unchanged when the live colour already runs the requested revision', async () => {
    const { twin, portal, run, changes } = await setUp();
    twin.calls.clear();
    const result = await run({
      'task-definition': '',
      'container-name': '',
      'task-definition-arn': portal.taskDefinitionArn,
    });
    expect(result.main.exitCode).toBe(0);
    expect(result.outputs.outcome).toBe('unchanged');
    expect(changes()).toEqual([]);
  });

  it.each([
    [
      { 'container-name': 'web', image: 'svc-portal:v2' },
      /'container-name' names 'web', but the task definition has no such container \(it has app\)/,
    ],
    [{ 'traffic-steps': '50,5,100' }, /'traffic-steps' must increase step by step and end at 100/],
    [{ 'step-bake': '-5s' }, /'step-bake' is negative/],
    [
      { 'task-definition': 'deploy/missing.json' },
      /'task-definition' points to \S+\/deploy\/missing.json, which cannot be read/,
    ],
    [
      { 'task-definition': '/nonexistent/td.json' },
      /'task-definition' '\/nonexistent\/td.json' resolves to \/nonexistent\/td.json, outside the workspace/,
    ],
    [
      { 'listener-arn': 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/x/1/2' },
      /both given; give exactly one/,
    ],
    [
      { 'task-definition-arn': 'arn:aws:iam::123456789012:role/x', 'task-definition': '' },
      /'task-definition-arn' must be an ARN of the ecs service/,
    ],
  ])('fails on bad input %j before any change in AWS', async (inputs, message) => {
    const { twin, run } = await setUp();
    twin.calls.clear();
    const result = await run(inputs as Record<string, string>);
    expect(result.main.exitCode).toBe(1);
    expect(result.annotations[0]?.message).toMatch(message);
    expect(twin.calls.mutating()).toEqual([]);
  });
});
