/**
 * Requests AWS refuses, refused by the twin with the code the service declares, before any lookup:
 * the ten invalid requests the twin used to accept, and requests missing a required member that
 * used to get a NotFound. Through the real SDK clients, which do not validate on their own.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BatchGetImageCommand, PutImageScanningConfigurationCommand } from '@aws-sdk/client-ecr';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import {
  AddTagsCommand,
  DescribeTagsCommand,
  DescribeTargetHealthCommand,
  ModifyRuleCommand,
  RemoveTagsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { startTwin, type Twin } from '../src/index.js';
import { clientsFor } from './clients.js';

let twin: Twin;
let clients: ReturnType<typeof clientsFor>;
beforeAll(async () => {
  twin = await startTwin({
    blueGreen: [{ name: 'svc-portal', image: 'svc-portal:v1' }],
    ecr: { repositories: [{ name: 'svc-portal' }] },
  });
  clients = clientsFor(twin);
});
afterAll(() => twin.close());

/** What a refused call rejected with: the SDK's error name and message. */
async function refusal(call: Promise<unknown>): Promise<{ name: string; message: string }> {
  const error = (await call.then(
    () => undefined,
    (caught: unknown) => caught,
  )) as { name: string; message: string } | undefined;
  if (!error) throw new Error('AWS would refuse this request, and the twin answered it');
  return { name: error.name, message: error.message };
}

// The SDK types make required members required; these requests leave them out on purpose.
const loose = <T>(input: unknown) => input as T;

describe('the twin refuses what AWS refuses, with the declared code', () => {
  const portal = () => twin.resources['svc-portal']!;
  const rows: [string, () => Promise<unknown>, string, RegExp][] = [
    [
      'DescribeServices without services',
      () => clients.ecs.send(new DescribeServicesCommand(loose({ cluster: portal().cluster }))),
      'InvalidParameterException',
      /Value null at 'services' failed to satisfy constraint: Member must not be null/,
    ],
    [
      'DescribeTasks without tasks',
      () => clients.ecs.send(new DescribeTasksCommand(loose({ cluster: portal().cluster }))),
      'InvalidParameterException',
      /Value null at 'tasks'/,
    ],
    [
      'ListTasks with desiredStatus SLEEPING',
      () =>
        clients.ecs.send(
          new ListTasksCommand(loose({ cluster: portal().cluster, desiredStatus: 'SLEEPING' })),
        ),
      'InvalidParameterException',
      /Value 'SLEEPING' at 'desiredStatus' failed to satisfy constraint: Member must satisfy enum value set: \[RUNNING, PENDING, STOPPED\]/,
    ],
    [
      'BatchGetImage without imageIds',
      () => clients.ecr.send(new BatchGetImageCommand(loose({ repositoryName: 'svc-portal' }))),
      'InvalidParameterException',
      /Value null at 'imageIds'/,
    ],
    [
      'PutImageScanningConfiguration without its configuration',
      () =>
        clients.ecr.send(new PutImageScanningConfigurationCommand(loose({ repositoryName: 'svc-portal' }))),
      'InvalidParameterException',
      /Value null at 'imageScanningConfiguration'/,
    ],
    [
      'AddTags without ResourceArns',
      () => clients.elbv2.send(new AddTagsCommand(loose({ Tags: [{ Key: 'a', Value: 'b' }] }))),
      'ValidationError',
      /Value null at 'resourceArns'/,
    ],
    [
      'AddTags without Tags',
      () => clients.elbv2.send(new AddTagsCommand(loose({ ResourceArns: [portal().productionRuleArn] }))),
      'ValidationError',
      /Value null at 'tags'/,
    ],
    [
      'RemoveTags without ResourceArns',
      () => clients.elbv2.send(new RemoveTagsCommand(loose({ TagKeys: ['a'] }))),
      'ValidationError',
      /Value null at 'resourceArns'/,
    ],
    [
      'RemoveTags without TagKeys',
      () => clients.elbv2.send(new RemoveTagsCommand(loose({ ResourceArns: [portal().productionRuleArn] }))),
      'ValidationError',
      /Value null at 'tagKeys'/,
    ],
    [
      'DescribeTags without ResourceArns',
      () => clients.elbv2.send(new DescribeTagsCommand(loose({}))),
      'ValidationError',
      /Value null at 'resourceArns'/,
    ],
    [
      'UpdateService without service (was ServiceNotFoundException)',
      () => clients.ecs.send(new UpdateServiceCommand(loose({ cluster: portal().cluster, desiredCount: 1 }))),
      'InvalidParameterException',
      /Value null at 'service'/,
    ],
    [
      'DescribeTaskDefinition without taskDefinition (was ClientException)',
      () => clients.ecs.send(new DescribeTaskDefinitionCommand(loose({}))),
      'InvalidParameterException',
      /Value null at 'taskDefinition'/,
    ],
    [
      'ModifyRule without RuleArn (was RuleNotFound)',
      () => clients.elbv2.send(new ModifyRuleCommand(loose({ Actions: [] }))),
      'ValidationError',
      /Value null at 'ruleArn'/,
    ],
    [
      'DescribeTargetHealth without TargetGroupArn (was TargetGroupNotFound)',
      () => clients.elbv2.send(new DescribeTargetHealthCommand(loose({}))),
      'ValidationError',
      /Value null at 'targetGroupArn'/,
    ],
    [
      'ModifyRule with a weight over 999',
      () =>
        clients.elbv2.send(
          new ModifyRuleCommand({
            RuleArn: portal().productionRuleArn,
            Actions: [
              {
                Type: 'forward',
                ForwardConfig: {
                  TargetGroups: [{ TargetGroupArn: portal().blueTargetGroupArn, Weight: 1000 }],
                },
              },
            ],
          }),
        ),
      'ValidationError',
      /weight must be an integer between 0 and 999; got 1000/,
    ],
    [
      'GetMetricData without MetricDataQueries',
      () =>
        clients.cloudwatch.send(
          new GetMetricDataCommand(loose({ StartTime: new Date(0), EndTime: new Date() })),
        ),
      'InvalidParameterValueException',
      /Value null at 'metricDataQueries'/,
    ],
  ];
  it.each(rows)('%s', async (_name, call, code, message) => {
    const changes = () => twin.calls.mutating().filter((entry) => entry.outcome === 'ok').length;
    const before = changes();
    const error = await refusal(call());
    expect(error).toEqual({ name: code, message: expect.stringMatching(message) });
    // Nothing changed, and the call log says why.
    expect(changes()).toBe(before);
    expect(twin.calls.all().at(-1)?.outcome).toBe(
      code === 'InvalidParameterValueException' ? 'InvalidParameterValue' : code,
    );
  });
});
