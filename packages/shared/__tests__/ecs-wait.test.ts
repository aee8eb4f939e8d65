/**
 * Waiting for a colour to come up: prompt once its tasks run, frugal while they start, and never
 * done before ECS and the target group both say healthy.
 */
import { describe, expect, it } from '@jest/globals';
import { DescribeServicesCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { STABLE_POLL_MS, waitForHealthyService } from '../src/ecs.js';
import { fakeClock } from '../testing/fake-clock.js';

const TASK_DEFINITION = 'arn:aws:ecs:ap-northeast-1:123456789012:task-definition/svc:7';
const GROUP =
  'arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:targetgroup/svc-green/1111111111111111';

interface Moment {
  rollout: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  running: number;
  healthy: number;
}

/** ECS and ELB as they answer at each read of the wait, the last answer repeating. */
function world(moments: Moment[]) {
  const ecs = mockClient(ECSClient);
  const elbv2 = mockClient(ElasticLoadBalancingV2Client);
  let read = 0;
  ecs.on(DescribeServicesCommand).callsFake(() => {
    const moment = moments[Math.min(read++, moments.length - 1)]!;
    return {
      services: [
        {
          runningCount: moment.running,
          deployments: [
            {
              status: 'PRIMARY',
              taskDefinition: TASK_DEFINITION,
              rolloutState: moment.rollout,
              rolloutStateReason: moment.rollout === 'FAILED' ? 'tasks failed to start' : undefined,
            },
          ],
          events: [],
        },
      ],
    };
  });
  ecs.on(ListTasksCommand).resolves({ taskArns: [] });
  elbv2.on(DescribeTargetHealthCommand).callsFake(() => {
    const moment = moments[Math.min(read - 1, moments.length - 1)]!;
    return {
      TargetHealthDescriptions: [0, 1].map((index) => ({
        Target: { Id: `10.0.0.${index}`, Port: 8080 },
        TargetHealth: { State: index < moment.healthy ? 'healthy' : 'initial' },
      })),
    };
  });
  return { ecs, elbv2 };
}

async function wait(moments: Moment[]) {
  const { ecs, elbv2 } = world(moments);
  const clock = fakeClock();
  const log: string[] = [];
  const outcome = await waitForHealthyService(
    ecs as unknown as ECSClient,
    elbv2 as unknown as ElasticLoadBalancingV2Client,
    {
      cluster: 'mpac',
      service: 'svc-green',
      targetGroupArn: GROUP,
      taskDefinitionArn: TASK_DEFINITION,
      desiredCount: 2,
      timeoutMs: 60_000,
      clock,
      log: (line) => log.push(line),
    },
  ).then(
    () => 'healthy',
    (error: Error) => error.message,
  );
  return {
    outcome,
    log,
    sleeps: clock.sleeps,
    describeServices: ecs.commandCalls(DescribeServicesCommand).length,
    describeTargetHealth: elbv2.commandCalls(DescribeTargetHealthCommand).length,
  };
}

describe('waitForHealthyService', () => {
  it('reads the service once a second, the target group only to confirm what ECS says', async () => {
    const starting: Moment = { rollout: 'IN_PROGRESS', running: 0, healthy: 0 };
    const oneUp: Moment = { rollout: 'IN_PROGRESS', running: 1, healthy: 0 };
    const allUp: Moment = { rollout: 'IN_PROGRESS', running: 2, healthy: 0 };
    const completed: Moment = { rollout: 'COMPLETED', running: 2, healthy: 2 };
    const result = await wait([
      starting,
      starting,
      starting,
      starting,
      starting,
      oneUp,
      allUp,
      allUp,
      allUp,
      completed,
    ]);
    expect(result.outcome).toBe('healthy');
    expect(result.sleeps).toEqual(Array(9).fill(STABLE_POLL_MS));
    expect(result.describeServices).toBe(10);
    expect(result.describeTargetHealth).toBe(1);
    // One call a second while waiting, besides the first read and the confirmation.
    const waitedSeconds = result.sleeps.reduce((sum, ms) => sum + ms, 0) / 1000;
    expect(result.describeServices + result.describeTargetHealth).toBe(waitedSeconds + 2);
    expect(result.log).toEqual([
      'svc-green: IN_PROGRESS, 0/2 running',
      'svc-green: IN_PROGRESS, 1/2 running',
      'svc-green: IN_PROGRESS, 2/2 running',
      'svc-green: COMPLETED, 2/2 running, 2/2 targets healthy',
    ]);
  });

  it('is not done while ECS says COMPLETED but a target is not yet healthy', async () => {
    const result = await wait([
      { rollout: 'COMPLETED', running: 2, healthy: 1 },
      { rollout: 'COMPLETED', running: 2, healthy: 1 },
      { rollout: 'COMPLETED', running: 2, healthy: 2 },
    ]);
    expect(result.outcome).toBe('healthy');
    expect(result.describeTargetHealth).toBe(3);
    expect(result.log).toEqual([
      'svc-green: COMPLETED, 2/2 running, 1/2 targets healthy',
      'svc-green: COMPLETED, 2/2 running, 2/2 targets healthy',
    ]);
  });

  it('fails at once when the deployment FAILED, with ECS’s reason', async () => {
    const result = await wait([
      { rollout: 'IN_PROGRESS', running: 0, healthy: 0 },
      { rollout: 'FAILED', running: 0, healthy: 0 },
    ]);
    expect(result.outcome).toBe('svc-green was not deployed: its deployment failed (tasks failed to start)');
    expect(result.describeServices).toBe(3); // two reads, then the diagnostics
  });

  it('gives up at the timeout, saying where it stood', async () => {
    const result = await wait([{ rollout: 'IN_PROGRESS', running: 1, healthy: 0 }]);
    expect(result.outcome).toBe(
      'svc-green was not deployed: it did not become stable and healthy within 60 s (IN_PROGRESS, 1/2 running)',
    );
    expect(result.sleeps.reduce((sum, ms) => sum + ms, 0)).toBe(60_000);
  });
});
