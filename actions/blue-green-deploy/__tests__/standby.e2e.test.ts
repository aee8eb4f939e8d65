/**
 * Phase `standby`, bundled, on a twin serving two regions: the DR standby (eu-central-1) is brought
 * to the release production runs, by the digest its own registry holds (replicated from the
 * primary's), at its own task count, with no weight moved; its scheduled matcher follows. A release
 * not replicated yet, an image from the primary's registry, or a release that cannot start leaves
 * the standby as it was and says what it still runs.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Twin } from '../../../packages/aws-twin/src/index.js';
import { setUpTwin } from './twin-setup.js';

const STANDBY = 'eu-central-1';
const STANDBY_REGISTRY = `123456789012.dkr.ecr.${STANDBY}.amazonaws.com`;

let twin: Twin | undefined;
afterEach(async () => {
  await twin?.close();
  twin = undefined;
});

async function setUp() {
  const setup = await setUpTwin(
    {},
    {},
    {
      ecr: { repositories: [{ name: 'svc-portal', scanOnPush: false }], replicateTo: [STANDBY] },
      regions: {
        [STANDBY]: {
          blueGreen: [
            { name: 'svc-portal', image: 'svc-portal:v1', desiredCount: 1, cluster: 'mpac-standby' },
          ],
          scheduledTasks: [{ name: 'matcher', service: 'svc-portal', schedule: 'cron(0 3 * * ? *)' }],
        },
      },
    },
  );
  twin = setup.twin;
  const standby = setup.twin.regions[STANDBY]!;
  const resources = standby.resources['svc-portal']!;
  /** Pushes a tag to the primary's registry; replication copies it to the standby's. */
  const push = async (tag: string) => {
    const pushed = setup.twin.services.ecr.handlers.PutImage!({
      repositoryName: 'svc-portal',
      imageTag: tag,
      imageManifest: JSON.stringify({ schemaVersion: 2, tag }),
    }) as { image: { imageId: { imageDigest: string } } };
    const digest = pushed.image.imageId.imageDigest;
    await setup.twin.waitFor(
      () => Boolean(standby.services.ecr.repositories.get('svc-portal')?.images.has(digest)),
      5000,
      'replication to the standby',
    );
    return digest;
  };
  const runStandby = (inputs: Record<string, string>) =>
    setup.run({
      phase: 'standby',
      cluster: resources.cluster,
      'listener-rule-arn': resources.productionRuleArn,
      'aws-region': STANDBY,
      ...inputs,
    });
  const standbyService = (name: string) =>
    [...standby.services.ecs.services.values()].find((service) => service.name === name)!;
  const standbyWeights = () => {
    const rule = standby.services.elbv2.rules.get(resources.productionRuleArn)!;
    const forward = rule.actions.find((action) => action.Type === 'forward') as unknown as {
      ForwardConfig: { TargetGroups: { Weight: number }[] };
    };
    return forward.ForwardConfig.TargetGroups.map((group) => group.Weight);
  };
  return { ...setup, standby, resources, push, runStandby, standbyService, standbyWeights };
}

describe('phase standby', () => {
  it('brings the standby to the release by digest at its own count, moves no weight, and its matcher follows', async () => {
    const { twin, standby, push, runStandby, standbyService, standbyWeights, service } = await setUp();
    const digest = await push('v2');
    const primaryBefore = service('svc-portal-blue').taskDefinition;

    const result = await runStandby({
      image: `${STANDBY_REGISTRY}/svc-portal:v2`,
      'scheduled-tasks': 'matcher',
    });
    expect(result.main.exitCode).toBe(0);
    expect(result.outputs.outcome).toBe('standby-updated');
    const live = standbyService('svc-portal-blue');
    expect(live.taskDefinition).toBe(result.outputs['task-definition-arn']);
    expect(live.taskDefinition).toMatch(
      new RegExp(`^arn:aws:ecs:${STANDBY}:123456789012:task-definition/svc-portal:\\d+$`),
    );
    expect(live.desiredCount).toBe(1);
    const definition = standby.services.ecs.taskDefinitions.get(live.taskDefinition)!;
    expect((definition.body.containerDefinitions as { image: string }[])[0]!.image).toBe(
      `${STANDBY_REGISTRY}/svc-portal@${digest}`,
    );
    // Nothing moved: all of the standby's (absent) traffic stays on its colour; the primary is untouched.
    expect(standbyWeights()).toEqual([100, 0]);
    expect(service('svc-portal-blue').taskDefinition).toBe(primaryBefore);
    expect(twin.calls.mutating().filter((call) => call.region !== STANDBY && call.service !== 'sts')).toEqual(
      [],
    );
    // The standby answers with the new release.
    const tally = await twin.traffic.send(`${standby.resources['svc-portal']!.productionUrl}/orders`, 4);
    expect(tally.byVersion).toEqual({ v2: 4 });
    // Its scheduled matcher runs the release now.
    expect(standby.runSchedule('matcher')[0]!.task!.image).toBe(`${STANDBY_REGISTRY}/svc-portal@${digest}`);
    const summary = result.summary;
    expect(summary).toContain('### Standby');
    expect(summary).toMatch(
      /\| eu-central-1 \| svc-portal-blue \| `svc-portal:\d+` \| .*@sha256:[0-9a-f]{64}` \| 1\/1 \|/,
    );
    expect(summary).toContain('### Scheduled tasks');

    // Again: nothing to do, and it says so.
    const again = await runStandby({
      image: `${STANDBY_REGISTRY}/svc-portal:v2`,
      'scheduled-tasks': 'matcher',
    });
    expect(again.main.exitCode).toBe(0);
    expect(again.outputs.outcome).toBe('unchanged');
  });

  it("follows production's revision from the primary region: the same definition, its image and awslogs-region moved", async () => {
    const { twin, standby, push, runStandby, standbyService } = await setUp();
    const digest = await push('v3');
    const production = twin.services.ecs.handlers.RegisterTaskDefinition!({
      family: 'svc-portal',
      cpu: '512',
      memory: '1024',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      executionRoleArn: 'arn:aws:iam::123456789012:role/mpac-svc-portal-task-execution',
      containerDefinitions: [
        {
          name: 'app',
          image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/svc-portal:v3',
          essential: true,
          portMappings: [{ containerPort: 8080 }],
          environment: [{ name: 'SERVICE', value: 'svc-portal' }],
          logConfiguration: {
            logDriver: 'awslogs',
            options: { 'awslogs-group': '/mpac/svc-portal', 'awslogs-region': 'eu-west-1' },
          },
        },
      ],
    }) as { taskDefinition: { taskDefinitionArn: string } };
    const result = await runStandby({
      'task-definition': '',
      'task-definition-arn': production.taskDefinition.taskDefinitionArn,
    });
    expect(result.main.exitCode).toBe(0);
    expect(result.outputs.outcome).toBe('standby-updated');
    const body = standby.services.ecs.taskDefinitions.get(standbyService('svc-portal-blue').taskDefinition)!
      .body as {
      cpu: string;
      executionRoleArn: string;
      containerDefinitions: {
        image: string;
        environment: unknown;
        logConfiguration: { options: Record<string, string> };
      }[];
    };
    expect(body.cpu).toBe('512');
    expect(body.executionRoleArn).toBe('arn:aws:iam::123456789012:role/mpac-svc-portal-task-execution');
    const container = body.containerDefinitions[0]!;
    expect(container.image).toBe(`${STANDBY_REGISTRY}/svc-portal@${digest}`);
    expect(container.environment).toEqual([{ name: 'SERVICE', value: 'svc-portal' }]);
    expect(container.logConfiguration.options).toEqual({
      'awslogs-group': '/mpac/svc-portal',
      'awslogs-region': STANDBY,
    });
  });

  it('waits for replication, then refuses a release the standby registry does not hold, changing nothing', async () => {
    const { twin, runStandby, standbyService } = await setUp();
    const before = standbyService('svc-portal-blue').taskDefinition;
    const result = await runStandby({ image: `${STANDBY_REGISTRY}/svc-portal:v9`, 'wait-timeout': '3s' });
    expect(result.main.exitCode).not.toBe(0);
    expect(result.log).toContain(
      `The standby's registry in ${STANDBY} does not hold ${STANDBY_REGISTRY}/svc-portal:v9`,
    );
    expect(result.log).toContain('Nothing was changed in the standby');
    expect(twin.calls.mutating().filter((call) => call.service !== 'sts')).toEqual([]);
    expect(standbyService('svc-portal-blue').taskDefinition).toBe(before);
  });

  it('refuses an image from the primary region and a migration before any AWS call', async () => {
    const { twin, runStandby } = await setUp();
    const primaryImage = await runStandby({
      image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/svc-portal:v2',
    });
    expect(primaryImage.main.exitCode).not.toBe(0);
    expect(primaryImage.log).toContain(
      "Input 'image' is in the eu-west-1 registry, but the standby is in eu-central-1: a standby must pull from its own region's registry",
    );
    const migration = await runStandby({
      image: `${STANDBY_REGISTRY}/svc-portal:v2`,
      'migration-command': 'alembic upgrade head',
    });
    expect(migration.main.exitCode).not.toBe(0);
    expect(migration.log).toContain("Input 'migration-command' does not apply to phase: standby");
    expect(twin.calls.all()).toEqual([]);
  });

  it('fails loudly when the release cannot start in the standby, naming what it ran before', async () => {
    const { runStandby, push, standbyWeights } = await setUp();
    await push('broken');
    const result = await runStandby({ image: `${STANDBY_REGISTRY}/svc-portal:broken`, 'wait-timeout': '8s' });
    expect(result.main.exitCode).not.toBe(0);
    expect(result.outputs.outcome).toBe('failed');
    expect(result.log).toMatch(
      /The standby in eu-central-1 was not updated: svc-portal-blue was not deployed/,
    );
    expect(result.log).toMatch(
      /still ran arn:aws:ecs:eu-central-1:123456789012:task-definition\/svc-portal:1 before this run/,
    );
    expect(standbyWeights()).toEqual([100, 0]);
  });
});
