/**
 * What real AWS clients trip on (found with the AWS CLI, boto3 and a third-party deploy action),
 * driven here through the SDK v3 the same way: paging on pages of one, AWS's validation, the
 * unregistered-target state, every container of a task, the client's region in ARNs, and the
 * scenario files themselves.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  ListMetricsCommand,
  paginateDescribeAlarms,
  paginateGetMetricData,
} from '@aws-sdk/client-cloudwatch';
import { CreateRepositoryCommand, paginateDescribeRepositories } from '@aws-sdk/client-ecr';
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListServicesCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  paginateListClusters,
  paginateListServices,
  paginateListTaskDefinitions,
  paginateListTasks,
} from '@aws-sdk/client-ecs';
import {
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
  ModifyRuleCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runCli, startTwin, type Twin } from '../src/index.js';
import { clientsFor } from './clients.js';

let twin: Twin | undefined;
afterEach(async () => {
  await twin?.close();
  twin = undefined;
});

const collect = async <T>(pages: AsyncIterable<T>): Promise<T[]> => {
  const all: T[] = [];
  for await (const page of pages) all.push(page);
  return all;
};

describe('the twin as AWS clients see it', () => {
  it('pages every list and describe with tokens, down to pages of one, as the SDK paginators follow them', async () => {
    twin = await startTwin({
      pageSize: 1,
      blueGreen: [
        { name: 'a', image: 'a:v1', desiredCount: 2 },
        { name: 'b', image: 'b:v1', desiredCount: 1, cluster: 'other' },
      ],
      alarms: [
        { name: 'x', metricName: 'RequestCount', threshold: 1 },
        { name: 'y', metricName: 'RequestCount', threshold: 1 },
      ],
    });
    const { ecs, ecr, cloudwatch, elbv2 } = clientsFor(twin);
    const clusters = await collect(paginateListClusters({ client: ecs }, {}));
    expect(clusters.length).toBe(2);
    expect(clusters.flatMap((page) => page.clusterArns)).toHaveLength(2);
    const services = await collect(paginateListServices({ client: ecs }, { cluster: 'mpac' }));
    expect(services.flatMap((page) => page.serviceArns)).toEqual([
      expect.stringMatching(/service\/mpac\/a-blue$/),
      expect.stringMatching(/service\/mpac\/a-green$/),
    ]);
    const definitions = await collect(paginateListTaskDefinitions({ client: ecs }, {}));
    expect(definitions.flatMap((page) => page.taskDefinitionArns)).toHaveLength(2);
    const tasks = await collect(
      paginateListTasks({ client: ecs }, { cluster: 'mpac', serviceName: 'a-blue' }),
    );
    expect(tasks.flatMap((page) => page.taskArns)).toHaveLength(2);

    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'r1' }));
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'r2' }));
    const repositories = await collect(paginateDescribeRepositories({ client: ecr }, {}));
    expect(
      repositories.flatMap((page) => page.repositories!.map((repository) => repository.repositoryName)),
    ).toEqual(['r1', 'r2']);

    const alarms = await collect(paginateDescribeAlarms({ client: cloudwatch }, {}));
    expect(alarms.length).toBe(2);
    expect(alarms.flatMap((page) => page.MetricAlarms!.map((alarm) => alarm.AlarmName))).toEqual(['x', 'y']);

    const listener = twin.resources.a!.productionListenerArn;
    const rules = [];
    let marker: string | undefined;
    do {
      const page = await elbv2.send(new DescribeRulesCommand({ ListenerArn: listener, Marker: marker }));
      rules.push(...page.Rules!);
      marker = page.NextMarker;
    } while (marker);
    expect(rules.map((rule) => rule.IsDefault)).toEqual([false, true]);

    const lb = twin.resources.a!.loadBalancerArn.split('loadbalancer/')[1]!;
    for (let second = 0; second < 3; second++)
      twin.metrics.put(
        'AWS/ApplicationELB',
        'RequestCount',
        [{ Name: 'LoadBalancer', Value: lb }],
        1,
        Date.now() - 10_000 + second * 1000,
      );
    const metricPages = await collect(
      paginateGetMetricData(
        { client: cloudwatch },
        {
          StartTime: new Date(Date.now() - 60_000),
          EndTime: new Date(),
          MetricDataQueries: [
            {
              Id: 'requests',
              MetricStat: {
                Metric: {
                  Namespace: 'AWS/ApplicationELB',
                  MetricName: 'RequestCount',
                  Dimensions: [{ Name: 'LoadBalancer', Value: lb }],
                },
                Period: 1,
                Stat: 'Sum',
              },
            },
          ],
        },
      ),
    );
    expect(metricPages.length).toBe(3);
    expect(metricPages.flatMap((page) => page.MetricDataResults![0]!.Values)).toEqual([1, 1, 1]);
    await expect(
      cloudwatch.send(new DescribeAlarmsCommand({ NextToken: 'not-a-token' })),
    ).rejects.toMatchObject({ name: 'InvalidNextToken' });
  });

  it('says an unregistered target is unused with Target.NotRegistered, as the AWS docs and boto3 waiters expect', async () => {
    twin = await startTwin({ blueGreen: [{ name: 'a', image: 'a:v1', desiredCount: 1 }] });
    const { elbv2 } = clientsFor(twin);
    const health = await elbv2.send(
      new DescribeTargetHealthCommand({
        TargetGroupArn: twin.resources.a!.blueTargetGroupArn,
        Targets: [{ Id: '10.9.9.9', Port: 8080 }],
      }),
    );
    expect(health.TargetHealthDescriptions![0]!.TargetHealth).toMatchObject({
      State: 'unused',
      Reason: 'Target.NotRegistered',
    });
  });

  it('lists every container of a task with its own exit code: a failing sidecar shows', async () => {
    twin = await startTwin({
      images: { 'app:migrate': { exitCode: 0, runMs: 50 }, 'proxy:bad': { exitCode: 3 } },
      blueGreen: [{ name: 'a', image: 'a:v1', desiredCount: 1 }],
    });
    const { ecs } = clientsFor(twin);
    const definition = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'migrate',
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        containerDefinitions: [
          { name: 'app', image: 'app:migrate', essential: true },
          { name: 'proxy', image: 'proxy:bad', essential: false },
        ],
      }),
    );
    const started = await ecs.send(
      new RunTaskCommand({ cluster: 'mpac', taskDefinition: definition.taskDefinition!.taskDefinitionArn! }),
    );
    const taskArn = started.tasks![0]!.taskArn!;
    await twin.waitFor(
      () =>
        [...twin!.services.ecs.tasks.values()].some(
          (task) => task.arn === taskArn && task.lastStatus === 'STOPPED',
        ),
      5000,
      'the task to stop',
    );
    const described = await ecs.send(new DescribeTasksCommand({ cluster: 'mpac', tasks: [taskArn] }));
    expect(described.tasks![0]!.containers!.map((container) => [container.name, container.exitCode])).toEqual(
      [
        ['app', 0],
        ['proxy', 3],
      ],
    );
  });

  it('validates as AWS does: Fargate needs awsvpc and task cpu/memory, at most 10 services, no ModifyRule on a default rule', async () => {
    twin = await startTwin({ blueGreen: [{ name: 'a', image: 'a:v1', desiredCount: 1 }] });
    const { ecs, elbv2 } = clientsFor(twin);
    const fargate = {
      family: 'f',
      requiresCompatibilities: ['FARGATE' as const],
      containerDefinitions: [{ name: 'c', image: 'i' }],
    };
    await expect(
      ecs.send(new RegisterTaskDefinitionCommand({ ...fargate, cpu: '256', memory: '512' })),
    ).rejects.toThrow(/Fargate only supports network mode ‘awsvpc’/);
    await expect(
      ecs.send(new RegisterTaskDefinitionCommand({ ...fargate, networkMode: 'awsvpc', memory: '512' })),
    ).rejects.toThrow("Fargate requires that 'cpu' be defined at the task level.");
    await expect(
      ecs.send(
        new DescribeServicesCommand({
          cluster: 'mpac',
          services: Array.from({ length: 11 }, (_, index) => `s${index}`),
        }),
      ),
    ).rejects.toThrow(/at most 10/);
    const rules = await elbv2.send(
      new DescribeRulesCommand({ ListenerArn: twin.resources.a!.productionListenerArn }),
    );
    const defaultRule = rules.Rules!.find((rule) => rule.IsDefault)!;
    await expect(
      elbv2.send(
        new ModifyRuleCommand({
          RuleArn: defaultRule.RuleArn!,
          Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } }],
        }),
      ),
    ).rejects.toMatchObject({ name: 'OperationNotPermittedException' });
  });

  it('puts the client region in the ARNs it creates, and lists services and metrics', async () => {
    twin = await startTwin({ blueGreen: [{ name: 'a', image: 'a:v1', desiredCount: 1 }] });
    const useast = new ECSClient({
      region: 'us-east-1',
      endpoint: twin.endpoint,
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIDTWINEXAMPLE', secretAccessKey: 'x' },
    });
    const registered = await useast.send(
      new RegisterTaskDefinitionCommand({
        family: 'east',
        containerDefinitions: [{ name: 'c', image: 'i' }],
      }),
    );
    expect(registered.taskDefinition!.taskDefinitionArn).toMatch(
      /^arn:aws:ecs:us-east-1:123456789012:task-definition\/east:1$/,
    );
    expect((await useast.send(new ListServicesCommand({ cluster: 'mpac' }))).serviceArns).toHaveLength(2);
    await twin.traffic.send(`${twin.resources.a!.productionUrl}/`, 3);
    const { cloudwatch } = clientsFor(twin);
    const metrics = await cloudwatch.send(
      new ListMetricsCommand({ Namespace: 'AWS/ApplicationELB', MetricName: 'RequestCount' }),
    );
    expect(
      metrics.Metrics!.some((metric) =>
        metric.Dimensions!.some((dimension) => dimension.Name === 'TargetGroup'),
      ),
    ).toBe(true);
    const data = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(Date.now() - 60_000),
        EndTime: new Date(Date.now() + 1000),
        MetricDataQueries: [{ Id: 'r', MetricStat: { Metric: metrics.Metrics![0], Period: 1, Stat: 'Sum' } }],
      }),
    );
    expect(data.MetricDataResults![0]!.Values!.reduce((sum, value) => sum + value, 0)).toBeGreaterThan(0);
  });
});

describe('scenario files', () => {
  it('refuses an unknown key, naming it, instead of starting an empty twin', async () => {
    await expect(startTwin({ blueGren: [] } as never)).rejects.toThrow(
      "scenario: unknown key 'blueGren' in the scenario (known: accountId, region, seed",
    );
    await expect(
      startTwin({ blueGreen: [{ name: 'a', image: 'a:v1', replicas: 2 }] } as never),
    ).rejects.toThrow("scenario: unknown key 'replicas' in blueGreen[0]");
  });

  it('fails the CLI with one line, never a stack, and documents the format in --help', async () => {
    const lines: string[] = [];
    const file = path.join(import.meta.dirname, '..', 'package.json');
    expect(await runCli(['--scenario', file], (line) => lines.push(line))).toBe(2);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^aws-twin: cannot read scenario .*package\.json: scenario: unknown key 'name'/);
    const help: string[] = [];
    await runCli(['--help'], (line) => help.push(line));
    expect(help.join('\n')).toMatch(/blueGreen[\s\S]*metrics[\s\S]*pageSize/);
  });

  const examples = path.join(import.meta.dirname, '..', 'examples');
  it.each(readdirSync(examples).filter((file) => file.endsWith('.json')))(
    'starts the ready scenario %s',
    async (file) => {
      const scenario = JSON.parse(readFileSync(path.join(examples, file), 'utf8')) as Parameters<
        typeof startTwin
      >[0];
      twin = await startTwin(scenario);
      const names = (scenario!.blueGreen ?? []).map((spec) => spec.name);
      expect(Object.keys(twin.resources)).toEqual(names);
      for (const name of names) {
        const tally = await twin.traffic.send(`${twin.resources[name]!.productionUrl}/`, 5);
        expect(tally.failed).toBe(0);
      }
    },
  );
});
