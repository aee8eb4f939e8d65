/**
 * The example platform's rollbacks rehearsed end to end on the AWS twin under customer traffic:
 * by the workflow when the production smoke test fails, and by hand from the Actions tab, to the
 * release live before or to an earlier one named by its image.
 */
import { describe, expect, it } from '@jest/globals';
import { findJob, findStep } from '../src/report.js';
import { platformPerTest, REGISTRY, throughStaging } from './platform-stories.js';

const setUp = platformPerTest();

describe('the example platform, rolled back on the twin', () => {
  it('rolls back in the workflow when the production smoke test fails after the cutover', async () => {
    const platform = await setUp();
    await throughStaging(platform, 'a release whose health check fails on production');
    const run = await platform.run({
      workflow: 'platform.yml',
      event: 'push',
      ref: 'refs/heads/main',
      story: 'fails-production-smoke',
    });
    const deploy = findJob(run.record, 'production (svc-portal)')!;
    expect(deploy.outputs.outcome).toBe('rolled-back-by-workflow');
    expect(findStep(run.record, 'production/deploy/smoke-production')?.conclusion).toBe('failure');
    expect(findStep(run.record, 'production/deploy/monitor')?.outcome).toBe('skipped');
    expect(findStep(run.record, 'production/deploy/rollback')?.outputs.outcome).toBe('rolled-back');
    expect(platform.live('production', 'svc-portal')).toEqual({
      image: 'svc-portal:v1',
      weights: { blue: 100, green: 0 },
    });
    expect(run.notifications).toEqual([
      expect.stringMatching(
        /^↩️ svc-portal rolled back in production by the workflow.*Why: the smoke tests on production failed after the cutover/s,
      ),
    ]);
    // The release taken off is marked failed; the rollback made no deployment of its own.
    expect(run.deployments.map((deployment) => deployment.statuses.map((status) => status.state))).toEqual([
      ['in_progress', 'success', 'failure'],
    ]);
  }, 240_000);

  it('rolls back by hand from the Actions tab, to the release live before, and notifies', async () => {
    const platform = await setUp();
    await throughStaging(platform, 'a release the on-call takes off');
    await platform.run({ workflow: 'platform.yml', event: 'push', ref: 'refs/heads/main' });
    expect(platform.live('production', 'svc-portal').image).toBe(
      `${REGISTRY}/svc-portal:${platform.tagOf('svc-portal')}`,
    );
    const run = await platform.run({
      workflow: 'rollback.yml',
      event: 'workflow_dispatch',
      inputs: {
        environment: 'production',
        service: 'svc-portal',
        target: 'previous',
        reason: 'receipts print twice on T-1001',
      },
    });
    expect(findJob(run.record, 'rollback/rollback')?.result).toBe('success');
    expect(platform.live('production', 'svc-portal')).toEqual({
      image: 'svc-portal:v1',
      weights: { blue: 100, green: 0 },
    });
    expect(run.customers['svc-portal']!.failed).toBe(0);
    expect(run.customers['svc-portal']!.failedBy).toEqual({
      application: 0,
      'load balancer': 0,
      'no answer': 0,
    });
    expect(run.notifications).toEqual([
      expect.stringMatching(
        /^↩️ svc-portal rolled back in production by hand: customers are on the previous release\n.*Why: receipts print twice on T-1001/s,
      ),
      expect.stringMatching(
        /^🗄️ svc-portal's DR standby \(production-standby \(ap-northeast-3\)\) runs the release/,
      ),
    ]);
    // The deployment of the release taken off (the newest of production) is marked failed.
    expect(platform.standIns.deployments.at(-1)!.statuses.at(-1)?.state).toBe('failure');
    // A second on-call rollback does not put the rolled-back release back: it is refused, and says so.
    const again = await platform.run({
      workflow: 'rollback.yml',
      event: 'workflow_dispatch',
      inputs: {
        environment: 'production',
        service: 'svc-portal',
        target: 'previous',
        reason: 'clicked twice',
      },
    });
    expect(findJob(again.record, 'rollback/rollback')?.result).toBe('failure');
    expect(again.notifications).toEqual([
      expect.stringMatching(
        /^❌ Rollback of svc-portal in production did not complete.*clicked twice; not done: .*was rolled back/s,
      ),
    ]);
    expect(platform.live('production', 'svc-portal').image).toBe('svc-portal:v1');
  }, 240_000);

  it('rolls back by hand to an earlier release neither colour runs, named by its image, health-checked first', async () => {
    const platform = await setUp();
    // Two releases since v1 (as earlier runs left them): blue runs svc-portal:2, green svc-portal:3 with all traffic.
    const twin = platform.twins.production;
    const resources = twin.resources['svc-portal']!;
    const ecs = twin.services.ecs.handlers;
    const { taskDefinition: first } = ecs.DescribeTaskDefinition!({ taskDefinition: 'svc-portal' }) as {
      taskDefinition: Record<string, unknown> & { containerDefinitions: { image: string }[] };
    };
    // A new revision of v1's definition with another image (what RegisterTaskDefinition takes of it).
    const register = (image: string) =>
      (
        ecs.RegisterTaskDefinition!({
          family: first.family,
          networkMode: first.networkMode,
          requiresCompatibilities: first.requiresCompatibilities,
          cpu: first.cpu,
          memory: first.memory,
          containerDefinitions: first.containerDefinitions.map((container) => ({ ...container, image })),
        }) as { taskDefinition: { taskDefinitionArn: string } }
      ).taskDefinition.taskDefinitionArn;
    const [two, three] = [register('svc-portal:v2'), register('svc-portal:v3')];
    ecs.UpdateService!({
      cluster: 'mpac-production',
      service: resources.greenService,
      taskDefinition: three,
      desiredCount: 2,
    });
    // Customers go to green once its tasks are healthy; blue then runs svc-portal:2, scaled to zero (cleanup).
    const healthy = () =>
      (
        twin.services.elbv2.handlers.DescribeTargetHealth!({
          TargetGroupArn: resources.greenTargetGroupArn,
        }) as {
          TargetHealthDescriptions: { TargetHealth: { State: string } }[];
        }
      ).TargetHealthDescriptions.filter((target) => target.TargetHealth.State === 'healthy').length;
    const deadline = Date.now() + 60_000;
    while (healthy() < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(healthy()).toBe(2);
    twin.services.elbv2.handlers.ModifyRule!({
      RuleArn: resources.productionRuleArn,
      Actions: [
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: resources.blueTargetGroupArn, Weight: 0 },
              { TargetGroupArn: resources.greenTargetGroupArn, Weight: 100 },
            ],
          },
        },
      ],
    });
    ecs.UpdateService!({
      cluster: 'mpac-production',
      service: resources.blueService,
      taskDefinition: two,
      desiredCount: 0,
    });

    const run = await platform.run({
      workflow: 'rollback.yml',
      event: 'workflow_dispatch',
      inputs: {
        environment: 'production',
        service: 'svc-portal',
        target: 'svc-portal:v1',
        reason: 'v2 and v3 both double-charge; back to v1',
      },
    });
    const step = findStep(run.record, 'rollback/rollback/rollback')!;
    expect(step.outputs).toMatchObject({ outcome: 'rolled-back', 'live-color': 'blue' });
    expect(step.log).toMatch(/svc-portal:v1 is arn:aws:ecs:\S+:task-definition\/svc-portal:1\b/);
    expect(step.log).toMatch(
      /svc-portal:1 is an earlier release; neither colour runs it, so blue \(idle\) starts it first/,
    );
    expect(platform.live('production', 'svc-portal')).toEqual({
      image: 'svc-portal:v1',
      weights: { blue: 100, green: 0 },
    });
    // Customers moved only once blue's v1 tasks were healthy: none failed.
    expect(run.customers['svc-portal']!.failedBy).toEqual({
      application: 0,
      'load balancer': 0,
      'no answer': 0,
    });
    expect(run.notifications).toEqual([
      expect.stringMatching(
        /^↩️ svc-portal rolled back in production by hand.*Why: v2 and v3 both double-charge; back to v1/s,
      ),
      expect.stringMatching(
        /^🗄️ svc-portal's DR standby \(production-standby \(ap-northeast-3\)\) runs the release/,
      ),
    ]);
    // The DR standby followed the release brought back.
    expect(platform.standby('svc-portal').image).toBe('svc-portal:v1');
    // With the recovery role: it read and scaled, it registered and passed nothing.
    expect(twin.calls.of('ecs', 'ListTaskDefinitions').length).toBeGreaterThan(0);
    expect(twin.calls.of('ecs', 'RegisterTaskDefinition')).toEqual([]);
    expect(twin.calls.all().filter((call) => call.outcome !== 'ok')).toEqual([]);
  }, 240_000);
});
