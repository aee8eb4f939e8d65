/** An ECS native blue/green svc-portal on the twin and a runner for the bundled action (strategy ecs-native). */
import { DescribeServiceDeploymentsCommand, ECSClient } from '@aws-sdk/client-ecs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTwin } from '../../../packages/aws-twin/src/index.js';
import type { AlarmSpec, EcsNativeSpec, ScheduledTaskSpec } from '../../../packages/aws-twin/src/scenario.js';
import { PORTAL_TASK_DEFINITION } from '../../../packages/shared/testing/task-definition.js';
import { runBundledAction } from '../../../packages/shared/testing/run-bundled-action.js';
import { actionDir, images } from './twin-setup.js';

/** One twin minute: long enough that a pause's timeout (its window plus two minutes) outlasts a scaled judgement. */
export const MINUTE_MS = 4000;

export async function setUpNative(
  spec: Partial<EcsNativeSpec> = {},
  alarms: AlarmSpec[] = [],
  scheduledTasks: ScheduledTaskSpec[] = [],
) {
  const twin = await startTwin({
    alarms,
    scheduledTasks,
    images: { ...images, 'svc-portal:slow': { version: 'slow', latencyMs: 400 } },
    metrics: { periodSeconds: 1, publicationDelaySeconds: 3 },
    timing: { minuteMs: MINUTE_MS },
    ecsNative: [{ name: 'svc-portal', image: 'svc-portal:v1', desiredCount: 2, ...spec }],
  });
  const portal = twin.native['svc-portal']!;
  const dir = mkdtempSync(path.join(tmpdir(), 'native-e2e-'));
  const taskDefinitionPath = path.join(dir, 'task-definition.json');
  writeFileSync(taskDefinitionPath, JSON.stringify(PORTAL_TASK_DEFINITION));
  const ecs = new ECSClient({
    region: 'eu-west-1',
    endpoint: twin.endpoint,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' },
  });
  const run = (
    inputs: Record<string, string>,
    extra: { killMainWhen?: RegExp; runPost?: boolean; runId?: string } = {},
  ) =>
    runBundledAction(actionDir, {
      inputs: {
        strategy: 'ecs-native',
        cluster: portal.cluster,
        service: 'svc-portal',
        'task-definition': taskDefinitionPath,
        'container-name': 'app',
        'step-bake': '2s',
        'wait-timeout': '20s',
        'metric-period': '1s',
        'metric-delay': '3s',
        'bake-time': '0m',
        ...inputs,
      },
      env: {
        ...twin.env,
        GITHUB_RUN_ID: extra.runId ?? '2001',
        GITHUB_RUN_ATTEMPT: '1',
        GITHUB_REPOSITORY: 'mpac/svc-portal',
      },
      timeoutMs: 90_000,
      killMainWhen: extra.killMainWhen,
      runPost: extra.runPost,
      cwd: dir,
    });
  const version = async () =>
    (await fetch(portal.productionUrl, { signal: AbortSignal.timeout(5000) })).headers.get('x-version');
  const deployment = async (arn: string) =>
    (await ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] })))
      .serviceDeployments![0]!;
  const traffic = () =>
    twin.traffic.start({ url: portal.productionUrl, requestsPerSecond: 100, maxDurationMs: 80_000 });
  return { twin, portal, run, version, deployment, traffic };
}
