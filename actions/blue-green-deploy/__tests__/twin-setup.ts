/** A blue/green svc-portal on the twin and a runner for the bundled action, for the end-to-end tests. */
import {
  DescribeRulesCommand,
  DescribeTagsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTwin, type Twin } from '../../../packages/aws-twin/src/index.js';
import type { BlueGreenSpec, ImageBehaviour, Scenario } from '../../../packages/aws-twin/src/scenario.js';
import { runBundledAction } from '../../../packages/shared/testing/run-bundled-action.js';

export const actionDir = path.join(import.meta.dirname, '..');
export const images = {
  'svc-portal:v1': { version: 'v1' },
  'svc-portal:v2': { version: 'v2' },
  'svc-portal:v3': { version: 'v3' },
  'svc-portal:migration-fails': { version: 'v2', exitCode: 3 },
  'svc-portal:bad': { version: 'bad', errorRate: 1 },
  'svc-portal:broken': {
    failToStart:
      'CannotPullContainerError: pull image manifest has been retried 1 time(s): svc-portal:broken not found',
  },
};

export interface RunExtra {
  killMainWhen?: RegExp;
  env?: Record<string, string>;
  runPost?: boolean;
}

export async function setUpTwin(
  spec: Partial<BlueGreenSpec> = {},
  moreImages: Record<string, ImageBehaviour> = {},
  scenario: Omit<Scenario, 'images' | 'blueGreen'> = {},
) {
  const twin: Twin = await startTwin({
    ...scenario,
    images: { ...images, ...moreImages },
    // CloudWatch as AWS publishes ALB metrics, scaled: 1-second periods, 2 seconds late.
    metrics: { periodSeconds: 1, publicationDelaySeconds: 2 },
    blueGreen: [{ name: 'svc-portal', image: 'svc-portal:v1', desiredCount: 2, ...spec }],
  });
  const portal = twin.resources['svc-portal']!;
  const dir = mkdtempSync(path.join(tmpdir(), 'bg-e2e-'));
  const taskDefinitionPath = path.join(dir, 'task-definition.json');
  writeFileSync(
    taskDefinitionPath,
    JSON.stringify({
      family: 'svc-portal',
      taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/svc-portal:1',
      revision: 1,
      status: 'ACTIVE',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [
        { name: 'app', image: 'placeholder', essential: true, portMappings: [{ containerPort: 8080 }] },
      ],
    }),
  );
  const elbv2 = new ElasticLoadBalancingV2Client({
    region: 'eu-west-1',
    endpoint: twin.endpoint,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' },
  });
  const weights = async () => {
    const rule = (await elbv2.send(new DescribeRulesCommand({ RuleArns: [portal.productionRuleArn] })))
      .Rules![0]!;
    return rule.Actions![0]!.ForwardConfig!.TargetGroups!.map((group) => group.Weight);
  };
  const tags = async () =>
    Object.fromEntries(
      (
        await elbv2.send(new DescribeTagsCommand({ ResourceArns: [portal.productionRuleArn] }))
      ).TagDescriptions![0]!.Tags!.map((tag) => [tag.Key!, tag.Value!]),
    );
  const service = (name: string) =>
    [...twin.services.ecs.services.values()].find((candidate) => candidate.name === name)!;
  const run = (inputs: Record<string, string>, extra: RunExtra = {}) =>
    runBundledAction(actionDir, {
      inputs: {
        cluster: portal.cluster,
        service: 'svc-portal',
        'listener-rule-arn': portal.productionRuleArn,
        'task-definition': taskDefinitionPath,
        'container-name': 'app',
        'step-bake': '1s',
        'wait-timeout': '20s',
        'metric-period': '1s',
        'metric-delay': '2s',
        // Tests about other things than the gates run without customer traffic.
        'no-data': 'pass',
        ...inputs,
      },
      env: {
        ...twin.env,
        GITHUB_RUN_ID: '1001',
        GITHUB_RUN_ATTEMPT: '1',
        GITHUB_REPOSITORY: 'mpac/svc-portal',
        ...extra.env,
      },
      timeoutMs: 60_000,
      killMainWhen: extra.killMainWhen,
      runPost: extra.runPost,
      // The workspace holds the task definition file, as a checkout does.
      cwd: dir,
    });
  /** Calls that change something other than the deploy lock's own tags. */
  const changes = () =>
    twin.calls
      .mutating()
      .filter(
        (call) =>
          !(
            (call.operation === 'AddTags' &&
              JSON.stringify(call.params).includes('mpac:lock:') &&
              !JSON.stringify(call.params).includes('mpac:live-color')) ||
            (call.operation === 'RemoveTags' && JSON.stringify(call.params).includes('mpac:lock:'))
          ),
      );
  return { twin, portal, elbv2, weights, tags, service, run, changes, taskDefinitionPath, workspace: dir };
}
