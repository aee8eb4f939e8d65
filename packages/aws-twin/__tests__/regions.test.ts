/**
 * A twin serving two regions at once (a primary and its DR standby), through real SDK v3 clients:
 * each client is served by the region it signs for, resources of one region are not found in the
 * other, ARNs carry their region, and the call log says where each call went.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  DescribeServicesCommand,
  ListClustersCommand,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { DescribeImagesCommand, DescribeRepositoriesCommand, PutImageCommand } from '@aws-sdk/client-ecr';
import { GetScheduleCommand } from '@aws-sdk/client-scheduler';
import { startTwin, type Twin } from '../src/index.js';
import { clientsFor } from './clients.js';

let twin: Twin;
beforeAll(async () => {
  twin = await startTwin({
    region: 'ap-northeast-1',
    blueGreen: [{ name: 'mpac-pgw', image: 'pgw:v1', cluster: 'mpac-production', desiredCount: 2 }],
    ecr: { repositories: [{ name: 'mpac-pgw' }] },
    regions: {
      'ap-northeast-3': {
        blueGreen: [{ name: 'mpac-pgw', image: 'pgw:v0', cluster: 'mpac-standby', desiredCount: 1 }],
        scheduledTasks: [{ name: 'matcher', service: 'mpac-pgw', schedule: 'cron(0 3 * * ? *)' }],
      },
    },
  });
});
afterAll(() => twin.close());

describe('two regions', () => {
  it('serves each client from the region it signs for, with that region in every ARN', async () => {
    const primary = clientsFor(twin).ecs;
    const standby = clientsFor(twin, { region: 'ap-northeast-3' }).ecs;
    const primaryClusters = await primary.send(new ListClustersCommand({}));
    const standbyClusters = await standby.send(new ListClustersCommand({}));
    expect(primaryClusters.clusterArns).toEqual([
      'arn:aws:ecs:ap-northeast-1:123456789012:cluster/mpac-production',
    ]);
    expect(standbyClusters.clusterArns).toEqual([
      'arn:aws:ecs:ap-northeast-3:123456789012:cluster/mpac-standby',
    ]);

    const described = await standby.send(
      new DescribeServicesCommand({ cluster: 'mpac-standby', services: ['mpac-pgw-blue'] }),
    );
    expect(described.services?.[0]?.desiredCount).toBe(1);
    expect(described.services?.[0]?.serviceArn).toContain(':ap-northeast-3:');
    // The standby's cluster does not exist in the primary region.
    await expect(
      primary.send(new DescribeServicesCommand({ cluster: 'mpac-standby', services: ['mpac-pgw-blue'] })),
    ).rejects.toThrow(/Cluster not found/i);

    const registered = await standby.send(
      new RegisterTaskDefinitionCommand({
        family: 'mpac-pgw',
        containerDefinitions: [{ name: 'app', image: 'pgw:v2' }],
      }),
    );
    expect(registered.taskDefinition?.taskDefinitionArn).toMatch(
      /^arn:aws:ecs:ap-northeast-3:.*:task-definition\/mpac-pgw:\d+$/,
    );
    expect(twin.regions['ap-northeast-3']!.services.ecs.taskDefinitions.size).toBeGreaterThan(0);
    const calls = twin.calls.of('ecs', 'RegisterTaskDefinition');
    expect(calls.at(-1)?.region).toBe('ap-northeast-3');
  });

  it('keeps registries and schedules apart: each region has only its own', async () => {
    const primaryEcr = clientsFor(twin).ecr;
    const standbyEcr = clientsFor(twin, { region: 'ap-northeast-3' }).ecr;
    expect(
      (await primaryEcr.send(new DescribeRepositoriesCommand({}))).repositories?.map((r) => r.repositoryName),
    ).toEqual(['mpac-pgw']);
    await expect(
      standbyEcr.send(new DescribeRepositoriesCommand({ repositoryNames: ['mpac-pgw'] })),
    ).rejects.toThrow(/does not exist/);
    const standbySchedule = await clientsFor(twin, { region: 'ap-northeast-3' }).scheduler.send(
      new GetScheduleCommand({ Name: 'matcher' }),
    );
    expect(standbySchedule.Target?.EcsParameters?.TaskDefinitionArn).toContain(':ap-northeast-3:');
    await expect(
      clientsFor(twin).scheduler.send(new GetScheduleCommand({ Name: 'matcher' })),
    ).rejects.toThrow(/not exist|not found/i);
  });

  it("runs each region's tasks and listeners on their own data plane", async () => {
    const standby = twin.regions['ap-northeast-3']!;
    const tally = await twin.traffic.send(`${standby.resources['mpac-pgw']!.productionUrl}/version`, 5);
    expect(tally.byStatus['200']).toBe(5);
    const primary = await twin.traffic.send(`${twin.resources['mpac-pgw']!.productionUrl}/version`, 5);
    expect(primary.byStatus['200']).toBe(5);
    expect(standby.runSchedule('matcher')[0]?.taskDefinitionArn).toContain(':ap-northeast-3:');
  });

  it('replicates every image pushed to a registry to the regions its ecr.replicateTo names, same digest and tags', async () => {
    const replicating = await startTwin({
      region: 'ap-northeast-1',
      ecr: { repositories: [{ name: 'mpac-pgw' }], replicateTo: ['ap-northeast-3'], replicationDelayMs: 20 },
      regions: { 'ap-northeast-3': {} },
    });
    try {
      const pushed = await clientsFor(replicating).ecr.send(
        new PutImageCommand({
          repositoryName: 'mpac-pgw',
          imageTag: 'tree-1',
          imageManifest: '{"schemaVersion":2}',
        }),
      );
      const digest = pushed.image!.imageId!.imageDigest!;
      const standbyEcr = clientsFor(replicating, { region: 'ap-northeast-3' }).ecr;
      await replicating.waitFor(
        () => replicating.regions['ap-northeast-3']!.services.ecr.repositories.has('mpac-pgw'),
        5000,
        'replication',
      );
      const found = await standbyEcr.send(
        new DescribeImagesCommand({ repositoryName: 'mpac-pgw', imageIds: [{ imageTag: 'tree-1' }] }),
      );
      expect(found.imageDetails?.[0]?.imageDigest).toBe(digest);
      // Created by replication as AWS creates it: tags mutable.
      const repository = (await standbyEcr.send(new DescribeRepositoriesCommand({}))).repositories?.[0];
      expect(repository?.repositoryArn).toBe('arn:aws:ecr:ap-northeast-3:123456789012:repository/mpac-pgw');
      expect(repository?.imageTagMutability).toBe('MUTABLE');
    } finally {
      await replicating.close();
    }
    await expect(startTwin({ ecr: { replicateTo: ['ap-northeast-3'] } })).rejects.toThrow(
      'ecr.replicateTo names "ap-northeast-3", which is not another region of this twin (eu-west-1)',
    );
  });

  it('refuses a scenario whose extra region is no region name or is its own', async () => {
    await expect(startTwin({ regions: { standby: {} } })).rejects.toThrow(
      "regions: 'standby' is not a region name such as 'ap-northeast-3'",
    );
    await expect(startTwin({ region: 'ap-northeast-1', regions: { 'ap-northeast-1': {} } })).rejects.toThrow(
      /own region/,
    );
    await expect(
      startTwin({ regions: { 'ap-northeast-3': { blueGreen: [{ name: 'x' } as never] } } }),
    ).rejects.toThrow("regions['ap-northeast-3'].blueGreen[0] (x) has no image");
  });
});
