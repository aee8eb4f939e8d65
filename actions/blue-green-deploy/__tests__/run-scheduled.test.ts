/**
 * The pure parts of `run-scheduled-now` and the standby's image: the RunTask request a scheduled
 * target makes (as EventBridge Scheduler or a rule would start it), and ECR image references.
 */
import { describe, expect, it } from '@jest/globals';
import { runNowFailure, runTaskRequestOf } from '../src/run-scheduled.js';
import { parseEcrImage } from '../src/standby-image.js';

const REVISION = 'arn:aws:ecs:ap-northeast-1:123456789012:task-definition/mpac-pgw:7';

describe('runTaskRequestOf', () => {
  it('starts one task of the given revision with the target cluster, network, platform and overrides', () => {
    const request = runTaskRequestOf(
      {
        clusterArn: 'arn:aws:ecs:ap-northeast-1:123456789012:cluster/mpac-production',
        ecsParameters: {
          TaskDefinitionArn: 'arn:aws:ecs:ap-northeast-1:123456789012:task-definition/mpac-pgw:6',
          TaskCount: 3,
          LaunchType: 'FARGATE',
          PlatformVersion: '1.4.0',
          Group: 'matcher',
          NetworkConfiguration: {
            awsvpcConfiguration: {
              Subnets: ['subnet-1'],
              SecurityGroups: ['sg-1'],
              AssignPublicIp: 'DISABLED',
            },
          },
        },
        input: JSON.stringify({
          containerOverrides: [{ name: 'app', command: ['reconcile', '--day=yesterday'] }],
        }),
      },
      REVISION,
    );
    expect(request).toEqual({
      cluster: 'arn:aws:ecs:ap-northeast-1:123456789012:cluster/mpac-production',
      taskDefinition: REVISION,
      count: 1,
      startedBy: 'mpac-run-scheduled-now',
      launchType: 'FARGATE',
      platformVersion: '1.4.0',
      group: 'matcher',
      networkConfiguration: {
        awsvpcConfiguration: { subnets: ['subnet-1'], securityGroups: ['sg-1'], assignPublicIp: 'DISABLED' },
      },
      overrides: { containerOverrides: [{ name: 'app', command: ['reconcile', '--day=yesterday'] }] },
    });
  });

  it('uses a capacity provider strategy instead of a launch type when the target has one', () => {
    const request = runTaskRequestOf(
      {
        clusterArn: 'arn:aws:ecs:ap-northeast-1:123456789012:cluster/c',
        ecsParameters: {
          TaskDefinitionArn: REVISION,
          CapacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
        },
      },
      REVISION,
    );
    expect(request.capacityProviderStrategy).toEqual([{ capacityProvider: 'FARGATE_SPOT', weight: 1 }]);
    expect(request.launchType).toBeUndefined();
    expect(request.overrides).toBeUndefined();
  });

  it('refuses a target whose Input is not JSON, quoting it', () => {
    expect(() =>
      runTaskRequestOf(
        { clusterArn: 'c', ecsParameters: { TaskDefinitionArn: REVISION }, input: 'reconcile' },
        REVISION,
      ),
    ).toThrow("its target's Input is not JSON (RunTask overrides): reconcile");
  });

  it('names every scheduled task that did not exit 0', () => {
    expect(
      runNowFailure([
        { label: 'schedule default/matcher', status: 'exited 0', taskArn: 't1' },
        { label: 'rule nightly', status: 'failed', error: 'The scheduled task exited with code 2' },
      ]),
    ).toBe('run-scheduled-now: rule nightly: The scheduled task exited with code 2');
    expect(runNowFailure([])).toBeUndefined();
  });
});

describe('parseEcrImage', () => {
  it('reads account, region, repository and tag or digest', () => {
    expect(parseEcrImage('123456789012.dkr.ecr.ap-northeast-3.amazonaws.com/mpac/pgw:tree-3f2c')).toEqual({
      host: '123456789012.dkr.ecr.ap-northeast-3.amazonaws.com',
      registryId: '123456789012',
      region: 'ap-northeast-3',
      repository: 'mpac/pgw',
      tag: 'tree-3f2c',
    });
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseEcrImage(`123456789012.dkr.ecr.eu-west-1.amazonaws.com/pgw@${digest}`)?.digest).toBe(digest);
  });

  it('is undefined for an image that is not in ECR or has neither tag nor digest', () => {
    expect(parseEcrImage('docker.io/library/nginx:1.27')).toBeUndefined();
    expect(parseEcrImage('123456789012.dkr.ecr.eu-west-1.amazonaws.com/pgw')).toBeUndefined();
    expect(parseEcrImage('pgw:v1')).toBeUndefined();
  });
});
