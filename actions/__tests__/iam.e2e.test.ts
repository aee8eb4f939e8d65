/**
 * docs/iam-policy.json against what the actions really call: every operation the twin records while
 * the bundles push an image, deploy (migration, test listener, alarms), roll back, clean up and
 * monitor is allowed; every allowed action is either called here or justified below.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runBundledAction } from '../../packages/shared/testing/run-bundled-action.js';
import { setUpNative } from '../blue-green-deploy/__tests__/native-setup.js';
import { setUpTwin } from '../blue-green-deploy/__tests__/twin-setup.js';

const root = path.resolve(import.meta.dirname, '../..');
interface Statement {
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}
const statementsOf = (file: string) =>
  (JSON.parse(readFileSync(path.join(root, 'docs/iam', file), 'utf8')) as { Statement: Statement[] })
    .Statement;
const actionsOf = (file: string) => statementsOf(file).flatMap((statement) => [statement.Action].flat());
const allowed = new Set([...actionsOf('deploy.json'), ...actionsOf('ecr-push.json')]);
const recoveryAllowed = new Set(actionsOf('recovery.json'));

/** The roles a policy may pass, and to which services. */
const passedBy = (file: string) =>
  statementsOf(file)
    .filter((statement) => [statement.Action].flat().includes('iam:PassRole'))
    .map((statement) => ({
      roles: [statement.Resource].flat(),
      to: [statement.Condition?.StringEquals?.['iam:PassedToService'] ?? '*'].flat(),
    }));

/** Allowed but not seen on the twin, and why. */
const JUSTIFIED: Record<string, string> = {
  'iam:PassRole':
    'RegisterTaskDefinition passes the task and execution roles, UpdateSchedule and PutTargets the scheduled task’s role (seen by the twin as part of them)',
  'ecs:TagResource': 'RegisterTaskDefinition with tags (mpac:run) needs it on AWS',
  'elasticloadbalancing:ModifyListener':
    'when the production split is a listener default action (listener-arn)',
  'elasticloadbalancing:DescribeListeners':
    'when the production split is a listener default action (listener-arn)',
  'ecr:PutImageScanningConfiguration': 'update-repository: true',
  'ecr:PutImageTagMutability': 'update-repository: true',
  'ecr:BatchGetImage': 'docker pulls the image it tags and pushes (image input)',
  'ecr:BatchCheckLayerAvailability': 'docker push (the registry API, not the twin)',
  'ecr:InitiateLayerUpload': 'docker push',
  'ecr:UploadLayerPart': 'docker push',
  'ecr:CompleteLayerUpload': 'docker push',
  'ecs:StopServiceDeployment':
    'ecs-native: a rollback of a deployment that is not at a pause (a bake, a stalled stage), and the post step',
};

const IAM_PREFIX: Record<string, string> = {
  ecs: 'ecs',
  elbv2: 'elasticloadbalancing',
  ecr: 'ecr',
  cloudwatch: 'cloudwatch',
  sts: 'sts',
  scheduler: 'scheduler',
  events: 'events',
};

let close: (() => Promise<void>) | undefined;
afterAll(async () => close?.());

describe('docs/iam/', () => {
  it('allows everything the actions call on the twin, and nothing unexplained', async () => {
    const setup = await setUpTwin(
      {},
      { 'svc-portal:v1': { version: 'v1' } },
      {
        scheduledTasks: [
          { name: 'portal-report', service: 'svc-portal', schedule: 'cron(0 3 * * ? *)' },
          { name: 'portal-report-rule', service: 'svc-portal', schedule: 'rate(1 day)', via: 'events' },
        ],
      },
    );
    close = () => setup.twin.close();
    const { twin, portal, run } = setup;
    twin.services.cloudwatch.handlers.PutMetricAlarm!({
      AlarmName: 'svc-portal-5xx',
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'HTTPCode_Target_5XX_Count',
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1000,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    twin.calls.clear();

    const fakeDocker = path.join(root, 'actions/ecr-push/__tests__/fake-docker');
    const pushed = await runBundledAction(path.join(root, 'actions/ecr-push'), {
      inputs: { repository: 'svc-portal', 'scan-timeout': '20s' },
      env: {
        ...twin.env,
        PATH: `${fakeDocker}:${process.env.PATH}`,
        FAKE_DOCKER_LOG: path.join(mkdtempSync(path.join(tmpdir(), 'iam-docker-')), 'calls.jsonl'),
        GITHUB_SHA: '3f2c1ab4d5e6f708192a3b4c5d6e7f8091a2b3c4',
        GITHUB_REPOSITORY: 'mpac/svc-portal',
      },
    });
    expect(pushed.main.exitCode).toBe(0);
    const deployed = await run({
      image: 'svc-portal:v2',
      'traffic-steps': '50,100',
      'migration-command': 'alembic upgrade head',
      'test-listener-rule-arn': portal.testRuleArn!,
      alarms: 'svc-portal-5xx',
      'scheduled-tasks': 'auto',
    });
    expect(deployed.outputs.outcome).toBe('promoted');
    expect(deployed.outputs['scheduled-tasks']).toContain('"status":"updated"');
    const monitored = await runBundledAction(path.join(root, 'actions/monitor-rollback'), {
      inputs: {
        cluster: portal.cluster,
        service: 'svc-portal',
        'listener-rule-arn': portal.productionRuleArn,
        duration: '3s',
        interval: '1s',
        'metric-period': '1s',
        'metric-delay': '3s',
        'failures-before-rollback': '1',
        'no-data': 'fail',
      },
      env: { ...twin.env, GITHUB_RUN_ID: '4004' },
    });
    expect(monitored.outputs.outcome).toBe('rolled-back');
    expect(
      (await run({ phase: 'cleanup', 'task-definition': '' }, { env: { GITHUB_RUN_ID: '4005' } })).outputs
        .outcome,
    ).toBe('cleaned-up');
    const beforeRollback = twin.calls.actions();
    twin.calls.clear();
    expect(
      (
        await run(
          // Named by its image (the recovery role lists the family's revisions), forced: a rollback took it off.
          {
            phase: 'rollback',
            'task-definition': '',
            'to-image': 'svc-portal:v2',
            force: 'true',
            'scheduled-tasks': 'auto',
          },
          { env: { GITHUB_RUN_ID: '4006' } },
        )
      ).outputs.outcome,
    ).toBe('rolled-back');

    const asIam = (action: string) => {
      const [service, operation] = action.split(':');
      return `${IAM_PREFIX[service!]}:${operation}`;
    };
    // A rollback after cleanup (the old colour scaled up first) is what a recovery role does.
    const rollbackCalls = twin.calls.actions().map(asIam);
    expect(rollbackCalls.filter((action) => !recoveryAllowed.has(action))).toEqual([]);
    expect(
      ['ecs:RegisterTaskDefinition', 'ecs:RunTask', 'ecs:TagResource'].filter((action) =>
        recoveryAllowed.has(action),
      ),
    ).toEqual([]);
    // The recovery role passes no role but the scheduled tasks' own, to Scheduler and EventBridge only.
    expect(passedBy('recovery.json')).toEqual([
      {
        roles: ['arn:aws:iam::${Account}:role/mpac-*-scheduler'],
        to: ['scheduler.amazonaws.com', 'events.amazonaws.com'],
      },
    ]);
    // strategy ecs-native: a deploy through its pauses, then a rollback after the bake (a new deployment).
    const native = await setUpNative();
    let nativeCalls: string[];
    try {
      const nativeRun = (inputs: Record<string, string>, runId: string) =>
        native.run({ 'no-data': 'pass', ...inputs }, { runId });
      // monitor-rollback mode: in-aws arms the release alarms, the deploy hands them to ECS, the verdict reads the end.
      const watch = (inputs: Record<string, string>) =>
        runBundledAction(path.join(root, 'actions/monitor-rollback'), {
          inputs: {
            mode: 'in-aws',
            cluster: native.portal.cluster,
            service: 'svc-portal',
            'metric-period': '10s',
            'no-data': 'pass',
            ...inputs,
          },
          env: { ...native.twin.env, GITHUB_RUN_ID: '4009' },
        });
      const armed = await watch({});
      expect(armed.outputs.outcome).toBe('armed');
      const nativeDeploy = await nativeRun({ image: 'svc-portal:v2', alarms: armed.outputs.alarms! }, '4007');
      expect(nativeDeploy.outputs.outcome).toBe('promoted');
      expect(
        (await watch({ 'service-deployment-arn': nativeDeploy.outputs['service-deployment-arn']! })).main
          .exitCode,
      ).toBe(0);
      const nativeRollback = await nativeRun({ phase: 'rollback', 'task-definition': '' }, '4008');
      expect(nativeRollback.outputs.outcome).toBe('rolled-back');
      nativeCalls = native.twin.calls.actions().map(asIam);
    } finally {
      await native.twin.close();
    }
    const called = [...beforeRollback.map(asIam), ...rollbackCalls, ...nativeCalls];
    expect(called.filter((action) => !allowed.has(action))).toEqual([]);
    const unexplained = [...allowed].filter((action) => !called.includes(action) && !JUSTIFIED[action]);
    expect(unexplained).toEqual([]);
    // A justification must be for something allowed and not already shown to be used.
    expect(
      Object.keys(JUSTIFIED).filter((action) => !allowed.has(action) || called.includes(action)),
    ).toEqual([]);
  }, 240_000);
});
