import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ClientException,
  ClusterNotFoundException,
  CreateClusterCommand,
  CreateServiceCommand,
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListTagsForResourceCommand,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  ServiceNotFoundException,
  StopTaskCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateServiceCommand,
  type Service,
} from '@aws-sdk/client-ecs';
import { startTwin, type Twin } from '../src/index.js';
import { clientsFor } from './clients.js';

const images = {
  'svc-portal:v1': { version: 'v1' },
  'svc-portal:v2': { version: 'v2' },
  'svc-portal:broken': { failToStart: 'CannotPullContainerError: manifest for svc-portal:broken not found' },
  'svc-portal:crashy': { crashAfterMs: 150 },
  'svc-portal:sick': { healthStatus: 500 },
  'migrate:ok': { exitCode: 0, runMs: 30 },
  'migrate:fails': { exitCode: 3, runMs: 30 },
};

describe('ECS through the real SDK client', () => {
  let twin: Twin;
  let ecs: ReturnType<typeof clientsFor>['ecs'];
  let cluster: string;

  const register = async (image: string, family = 'svc-portal') =>
    (
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family,
          networkMode: 'awsvpc',
          requiresCompatibilities: ['FARGATE'],
          cpu: '256',
          memory: '512',
          containerDefinitions: [{ name: 'app', image, essential: true }],
        }),
      )
    ).taskDefinition!.taskDefinitionArn!;

  const describeService = async (name: string): Promise<Service> =>
    (await ecs.send(new DescribeServicesCommand({ cluster, services: [name] }))).services![0]!;

  const waitForRollout = async (name: string, state: 'COMPLETED' | 'FAILED') =>
    twin.waitFor(
      () =>
        [...twin.services.ecs.services.values()].find((s) => s.name === name)?.deployments[0]
          ?.rolloutState === state,
      10_000,
      `${name} ${state}`,
    );

  beforeAll(async () => {
    twin = await startTwin({
      seed: 1,
      images,
      blueGreen: [{ name: 'svc-portal', image: 'svc-portal:v1', desiredCount: 2 }],
    });
    ({ ecs } = clientsFor(twin));
    cluster = twin.resources['svc-portal']!.cluster;
  });
  afterAll(async () => {
    await twin.close();
  });

  it('creates and describes clusters, reporting unknown ones as MISSING failures', async () => {
    const created = await ecs.send(new CreateClusterCommand({ clusterName: 'staging' }));
    expect(created.cluster?.clusterArn).toBe('arn:aws:ecs:eu-west-1:123456789012:cluster/staging');
    const described = await ecs.send(new DescribeClustersCommand({ clusters: ['staging', 'nope'] }));
    expect(described.clusters?.map((c) => c.clusterName)).toEqual(['staging']);
    expect(described.failures).toEqual([
      { arn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/nope', reason: 'MISSING' },
    ]);
  });

  it('registers revisions, describes, lists and deregisters task definitions', async () => {
    const first = await register('worker:v1', 'worker');
    const second = await register('worker:v2', 'worker');
    expect([first, second]).toEqual([
      'arn:aws:ecs:eu-west-1:123456789012:task-definition/worker:1',
      'arn:aws:ecs:eu-west-1:123456789012:task-definition/worker:2',
    ]);
    const latest = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'worker' }));
    expect(latest.taskDefinition).toMatchObject({
      revision: 2,
      status: 'ACTIVE',
      compatibilities: ['EC2', 'FARGATE'],
    });
    expect(latest.taskDefinition?.registeredAt).toBeInstanceOf(Date);
    expect(
      (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'worker:1' }))).taskDefinition
        ?.containerDefinitions?.[0]?.image,
    ).toBe('worker:v1');

    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: second }));
    const listed = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'worker', sort: 'DESC' }));
    expect(listed.taskDefinitionArns).toEqual([first]);
    expect(
      (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'worker' }))).taskDefinition
        ?.revision,
    ).toBe(1);
    // A deregistered revision runs no new task and backs no new or updated service.
    const before = twin.calls.all().length;
    for (const attempt of [
      () => ecs.send(new RunTaskCommand({ cluster, taskDefinition: second })),
      () => ecs.send(new CreateServiceCommand({ cluster, serviceName: 'worker-2', taskDefinition: second })),
    ])
      await expect(attempt()).rejects.toThrow(
        new ClientException({ message: 'TaskDefinition is inactive', $metadata: {} }),
      );
    expect(
      twin.calls
        .all()
        .slice(before)
        .map((call) => `${call.operation} ${call.outcome}`),
    ).toEqual(['RunTask ClientException', 'CreateService ClientException']);
    expect([...twin.services.ecs.services.values()].some((service) => service.name === 'worker-2')).toBe(
      false,
    );
  });

  it('raises typed exceptions: ClientException, ClusterNotFoundException, ServiceNotFoundException', async () => {
    await expect(
      ecs.send(new RegisterTaskDefinitionCommand({ family: 'x', containerDefinitions: [{ name: 'app' }] })),
    ).rejects.toThrow(ClientException);
    await expect(
      ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'no-such-family' })),
    ).rejects.toBeInstanceOf(ClientException);
    await expect(
      ecs.send(new DescribeServicesCommand({ cluster: 'ghost', services: ['a'] })),
    ).rejects.toBeInstanceOf(ClusterNotFoundException);
    const error = await ecs
      .send(new UpdateServiceCommand({ cluster, service: 'nope', desiredCount: 1 }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceNotFoundException);
    expect((error as Error).message).toBe('Service not found.');
  });

  it('reports unknown services as MISSING in DescribeServices, not as an error', async () => {
    const described = await ecs.send(
      new DescribeServicesCommand({ cluster, services: ['svc-portal-blue', 'ghost'] }),
    );
    expect(described.services?.map((s) => s.serviceName)).toEqual(['svc-portal-blue']);
    expect(described.failures?.[0]?.reason).toBe('MISSING');
  });

  it('rolls a service to a new task definition: tasks start, register, turn healthy, old ones drain and stop', async () => {
    const before = await describeService('svc-portal-green');
    expect(before.desiredCount).toBe(0);
    const v2 = await register('svc-portal:v2');
    await ecs.send(
      new UpdateServiceCommand({ cluster, service: 'svc-portal-green', taskDefinition: v2, desiredCount: 2 }),
    );
    expect((await describeService('svc-portal-green')).deployments?.[0]).toMatchObject({
      status: 'PRIMARY',
      rolloutState: 'IN_PROGRESS',
      taskDefinition: v2,
    });
    await waitForRollout('svc-portal-green', 'COMPLETED');
    const after = await describeService('svc-portal-green');
    expect(after).toMatchObject({ runningCount: 2, pendingCount: 0, taskDefinition: v2 });
    expect(after.events?.map((event) => event.message)).toEqual(
      expect.arrayContaining([
        '(service svc-portal-green) has reached a steady state.',
        expect.stringMatching(/has started 2 tasks/),
      ]),
    );
    const taskArns = (await ecs.send(new ListTasksCommand({ cluster, serviceName: 'svc-portal-green' })))
      .taskArns!;
    expect(taskArns).toHaveLength(2);
    const tasks = (await ecs.send(new DescribeTasksCommand({ cluster, tasks: taskArns }))).tasks!;
    expect(
      tasks.every((task) => task.lastStatus === 'RUNNING' && task.containers?.[0]?.image === 'svc-portal:v2'),
    ).toBe(true);
  });

  it('fails a deployment whose image cannot start, with the stopped reason on the tasks (circuit breaker)', async () => {
    const broken = await register('svc-portal:broken');
    await ecs.send(
      new UpdateServiceCommand({ cluster, service: 'svc-portal-green', taskDefinition: broken }),
    );
    await waitForRollout('svc-portal-green', 'FAILED');
    const service = await describeService('svc-portal-green');
    expect(service.deployments?.[0]?.rolloutState).toBe('FAILED');
    expect(service.deployments?.[0]?.failedTasks).toBeGreaterThanOrEqual(3);
    const stopped = (
      await ecs.send(
        new ListTasksCommand({ cluster, serviceName: 'svc-portal-green', desiredStatus: 'STOPPED' }),
      )
    ).taskArns!;
    const reasons = (await ecs.send(new DescribeTasksCommand({ cluster, tasks: stopped }))).tasks!.map(
      (task) => task.stoppedReason,
    );
    expect(reasons).toContain('CannotPullContainerError: manifest for svc-portal:broken not found');
    // the v2 tasks of the previous deployment keep serving
    expect(service.runningCount).toBe(2);
  });

  it('stops tasks whose container crashes and those that fail ELB health checks, saying why', async () => {
    const crashy = await register('svc-portal:crashy');
    await ecs.send(
      new UpdateServiceCommand({ cluster, service: 'svc-portal-green', taskDefinition: crashy }),
    );
    await twin.waitFor(
      () =>
        [...twin.services.ecs.tasks.values()].some(
          (task) => task.image === 'svc-portal:crashy' && task.lastStatus === 'STOPPED',
        ),
      10_000,
      'a crashed task',
    );
    const crashed = [...twin.services.ecs.tasks.values()].find(
      (task) => task.image === 'svc-portal:crashy' && task.lastStatus === 'STOPPED',
    )!;
    expect(crashed.stoppedReason).toBe('Essential container in task exited');

    const sick = await register('svc-portal:sick');
    await ecs.send(new UpdateServiceCommand({ cluster, service: 'svc-portal-green', taskDefinition: sick }));
    await twin.waitFor(
      () =>
        [...twin.services.ecs.tasks.values()].some(
          (task) =>
            task.image === 'svc-portal:sick' &&
            task.stoppedReason?.startsWith('Task failed ELB health checks'),
        ),
      10_000,
      'a task stopped for failing health checks',
    );
  });

  it('runs a one-off task with a command override and reports its exit code', async () => {
    const ok = await register('migrate:ok', 'migrate');
    const run = await ecs.send(
      new RunTaskCommand({
        cluster,
        taskDefinition: ok,
        overrides: { containerOverrides: [{ name: 'app', command: ['alembic', 'upgrade', 'head'] }] },
      }),
    );
    const taskArn = run.tasks![0]!.taskArn!;
    await twin.waitFor(
      () => twin.services.ecs.tasks.get(taskArn)?.lastStatus === 'STOPPED',
      5000,
      'the migration',
    );
    const described = (await ecs.send(new DescribeTasksCommand({ cluster, tasks: [taskArn] }))).tasks![0]!;
    expect(described.containers?.[0]?.exitCode).toBe(0);
    expect(described.overrides?.containerOverrides?.[0]?.command).toEqual(['alembic', 'upgrade', 'head']);

    const failing = await register('migrate:fails', 'migrate');
    const failed = (await ecs.send(new RunTaskCommand({ cluster, taskDefinition: failing }))).tasks![0]!
      .taskArn!;
    await twin.waitFor(
      () => twin.services.ecs.tasks.get(failed)?.lastStatus === 'STOPPED',
      5000,
      'the failing migration',
    );
    expect(
      (await ecs.send(new DescribeTasksCommand({ cluster, tasks: [failed] }))).tasks![0]!.containers?.[0]
        ?.exitCode,
    ).toBe(3);
  });

  it('stops a task on request', async () => {
    const definition = await register('migrate:ok', 'sleeper');
    const taskArn = (await ecs.send(new RunTaskCommand({ cluster, taskDefinition: definition }))).tasks![0]!
      .taskArn!;
    const stopped = await ecs.send(
      new StopTaskCommand({ cluster, task: taskArn, reason: 'no longer needed' }),
    );
    expect(stopped.task?.desiredStatus).toBe('STOPPED');
    expect(stopped.task?.stoppedReason).toBe('no longer needed');
  });

  it('creates a service and tags, untags and lists tags of it', async () => {
    const definition = await register('svc-portal:v1', 'tagged');
    const created = await ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: 'tagged',
        taskDefinition: definition,
        desiredCount: 0,
      }),
    );
    const serviceArn = created.service!.serviceArn!;
    await ecs.send(
      new TagResourceCommand({
        resourceArn: serviceArn,
        tags: [
          { key: 'live-color', value: 'green' },
          { key: 'team', value: 'platform' },
        ],
      }),
    );
    await ecs.send(new UntagResourceCommand({ resourceArn: serviceArn, tagKeys: ['team'] }));
    expect((await ecs.send(new ListTagsForResourceCommand({ resourceArn: serviceArn }))).tags).toEqual([
      { key: 'live-color', value: 'green' },
    ]);
  });
});
