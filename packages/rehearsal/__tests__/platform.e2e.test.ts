/**
 * The example platform's workflow files (examples/workflows/) rehearsed end to end on the AWS
 * twin, through this suite's reusable workflows and bundled actions, under customer traffic: the
 * five paths a release can take, each ending with traffic on the right release and the right
 * notification.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { startPlatform, type Platform } from '../src/platform.js';
import { findJob, findStep, formatRehearsal } from '../src/report.js';

let platform: Platform | undefined;
afterEach(async () => {
  await platform?.close();
  platform = undefined;
});

const REGISTRY = '123456789012.dkr.ecr.ap-northeast-1.amazonaws.com';
const errorsOf = (tally: { byStatus: Record<string, number> }) =>
  Object.entries(tally.byStatus)
    .filter(([status]) => Number(status) >= 500)
    .reduce((sum, [, count]) => sum + count, 0);

async function setUp(): Promise<Platform> {
  platform = await startPlatform({ services: ['svc-portal'] });
  return platform;
}

/** A release through staging (develop), then merged into main with a commit that changes no file. */
async function throughStaging(platform: Platform, message: string): Promise<void> {
  platform.commit(message);
  const staging = await platform.run({ workflow: 'platform.yml', event: 'push', ref: 'refs/heads/develop' });
  expect(findJob(staging.record, 'staging (svc-portal)')?.outputs.outcome).toBe('promoted');
  platform.merge(`Merge develop: ${message}`);
}

describe('the example platform, rehearsed on the twin', () => {
  it('takes a good release through staging (develop) and, after a merge commit, production (main): one image, built once', async () => {
    const platform = await setUp();
    platform.commit('a good release');
    const tag = platform.tagOf('svc-portal');
    const staging = await platform.run({
      workflow: 'platform.yml',
      event: 'push',
      ref: 'refs/heads/develop',
    });
    expect(findJob(staging.record, 'staging (svc-portal)')?.outputs.outcome).toBe('promoted');
    expect(findJob(staging.record, 'production')?.result).toBe('skipped');
    expect(platform.live('staging', 'svc-portal').image).toBe(`${REGISTRY}/svc-portal:${tag}`);
    expect(staging.customers['svc-portal']!.failed).toBe(0);
    // No customer request failed, wherever it could have (the assertion names where one did).
    expect(staging.customers['svc-portal']!.failedBy).toEqual({
      application: 0,
      'load balancer': 0,
      'no answer': 0,
    });

    // A merge commit: a new commit on main with develop's files; the content tag is the same.
    platform.merge('Merge pull request #12 from mpac/develop');
    expect(platform.tagOf('svc-portal')).toBe(tag);
    const production = await platform.run({
      workflow: 'platform.yml',
      event: 'push',
      ref: 'refs/heads/main',
    });
    expect(findJob(production.record, 'production (svc-portal)')?.outputs).toMatchObject({
      outcome: 'promoted',
      'live-color': 'green',
      image: `${REGISTRY}/svc-portal:${tag}`,
    });
    // Build once: main found develop's image of the same files in ECR and pushed nothing new.
    const image = findStep(production.record, 'build/build/image')!;
    expect(image.log).toMatch(/already exists \(sha256:[0-9a-f]{64}\): reusing it, nothing was built/);
    expect(platform.live('production', 'svc-portal')).toEqual({
      image: `${REGISTRY}/svc-portal:${tag}`,
      weights: { blue: 0, green: 100 },
    });
    expect(findStep(production.record, 'production/deploy/passed')?.log).toMatch(
      new RegExp(`svc-portal:${tag} passed staging: deployment \\d+ of commit [0-9a-f]{7}\\.`),
    );
    const customers = production.customers['svc-portal']!;
    expect(customers.failed).toBe(0);
    expect(customers.failedBy).toEqual({ application: 0, 'load balancer': 0, 'no answer': 0 });
    expect(customers.byVersion[tag]).toBeGreaterThan(0);
    expect(production.notifications).toEqual([
      expect.stringMatching(
        /^✅ svc-portal promoted to production: all traffic on the new release, watched and healthy\ncommit [0-9a-f]{40}, image \S+svc-portal:tree-[0-9a-f]{40}\n/,
      ),
    ]);
    expect(
      production.deployments.map((deployment) => deployment.statuses.map((status) => status.state)),
    ).toEqual([['in_progress', 'success']]);
    // The rehearsal says what it did not run itself.
    const report = formatRehearsal(production.record).join('\n');
    expect(report).toContain(
      'Third-party actions not run (counted as success): actions/setup-python, docker/setup-buildx-action',
    );
    expect(report).toContain('python/test');
    expect(report).toMatch(/step-bake: 5m → 3s/);
  }, 240_000);

  it('rolls back a release that fails customers at 5 %, caught by the gate in staging, and says so', async () => {
    const platform = await setUp();
    platform.commit('a release whose orders endpoint answers 500');
    const run = await platform.run({
      workflow: 'platform.yml',
      event: 'push',
      ref: 'refs/heads/develop',
      story: 'bad-image',
    });
    const deploy = findJob(run.record, 'staging (svc-portal)')!;
    expect(deploy.outputs.outcome).toBe('rolled-back-by-gate');
    expect(deploy.outputs.reason).toMatch(/^Gate failed at 5 %: error rate 100\.00 % > 5 %/);
    // The smoke tests on the test listener passed: /health and /version were fine; customers were not.
    expect(findStep(run.record, 'staging/deploy/smoke-test-listener')?.conclusion).toBe('success');
    expect(platform.live('staging', 'svc-portal').image).toBe('svc-portal:v1');
    expect(platform.live('staging', 'svc-portal').weights).toEqual({ blue: 100, green: 0 });
    const customers = run.customers['svc-portal']!;
    expect(customers.failed).toBe(0);
    // Only the customers routed to the new release during the 5 % step saw an error.
    expect(errorsOf(customers) / customers.sent).toBeLessThan(0.05);
    expect(run.notifications).toEqual([
      expect.stringMatching(
        /^↩️ svc-portal rolled back in staging by a traffic gate: customers are on the previous release\n.*Why: Gate failed at 5 %/s,
      ),
    ]);
    expect(run.deployments.map((deployment) => deployment.statuses.at(-1)?.state)).toEqual(['failure']);
    // A failed deploy job brings the recovery job, which finds traffic settled and changes nothing.
    expect(findJob(run.record, 'staging/recovery')?.result).toBe('success');
  }, 240_000);

  it('lets the monitor roll back a release that breaks after the cutover, and marks its deployment failed', async () => {
    const platform = await setUp();
    await throughStaging(platform, 'a release that breaks under full load');
    const run = await platform.run({
      workflow: 'platform.yml',
      event: 'push',
      ref: 'refs/heads/main',
      story: 'breaks-after-cutover',
    });
    const deploy = findJob(run.record, 'production (svc-portal)')!;
    expect(deploy.outputs.outcome).toBe('rolled-back-by-monitor');
    expect(deploy.outputs.reason).toMatch(/checks in a row failed/);
    expect(findStep(run.record, 'production/deploy/rollback')?.outcome).toBe('skipped');
    expect(platform.live('production', 'svc-portal')).toEqual({
      image: 'svc-portal:v1',
      weights: { blue: 100, green: 0 },
    });
    expect(run.notifications).toEqual([
      expect.stringMatching(/^↩️ svc-portal rolled back in production by the monitor after the cutover/),
    ]);
    expect(run.deployments.map((deployment) => deployment.statuses.map((status) => status.state))).toEqual([
      ['in_progress', 'success', 'failure'],
    ]);
  }, 240_000);

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
    ]);
    // With the recovery role: it read and scaled, it registered and passed nothing.
    expect(twin.calls.of('ecs', 'ListTaskDefinitions').length).toBeGreaterThan(0);
    expect(twin.calls.of('ecs', 'RegisterTaskDefinition')).toEqual([]);
    expect(twin.calls.all().filter((call) => call.outcome !== 'ok')).toEqual([]);
  }, 240_000);
});
