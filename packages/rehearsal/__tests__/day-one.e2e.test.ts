/**
 * The two day-one defects of the example platform as it was, reproduced on the strict stand-ins
 * with GitHub's and AWS's own messages: per-service variables with hyphens in their names (GitHub
 * refuses to create them), and task definitions naming an execution role docs/iam-policy.json does
 * not let the deploy role pass. The example as it is now avoids both (platform.e2e.test.ts).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startPlatform, type Platform } from '../src/platform.js';
import { findJob } from '../src/report.js';
import type { JobRecord } from '../src/rehearse.js';

let platform: Platform | undefined;
afterEach(async () => {
  await platform?.close();
  platform = undefined;
});

const allSteps = (jobs: JobRecord[]): JobRecord['steps'] =>
  jobs.flatMap((job) => [...job.steps, ...allSteps(job.legs ?? []), ...allSteps(job.called?.jobs ?? [])]);

describe('the example as it was, on stand-ins as strict as GitHub and AWS', () => {
  it("refuses the per-service variables GitHub would not let anyone create: 'STAGING_RULE_svc-portal'", async () => {
    platform = await startPlatform({ services: ['svc-portal'] });
    platform.commit('a release');
    await expect(
      platform.run({
        workflow: 'platform.yml',
        event: 'push',
        ref: 'refs/heads/develop',
        vars: {
          'STAGING_RULE_svc-portal': platform.twins.staging.resources['svc-portal']!.productionRuleArn,
        },
      }),
    ).rejects.toThrow(
      "GitHub refuses the variable name 'STAGING_RULE_svc-portal': variable names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or underscores (_)",
    );
  }, 60_000);

  it('fails RegisterTaskDefinition as AWS would: the deploy role may not pass role/ecs-task-execution', async () => {
    platform = await startPlatform({ services: ['svc-portal'] });
    const file = path.join(platform.workspace, 'services/svc-portal/deploy/task-definition.json');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(/role\/mpac-svc-portal-task-execution/, 'role/ecs-task-execution'),
    );
    platform.commit('the execution role the example used to name');
    const staging = await platform.run({
      workflow: 'platform.yml',
      event: 'push',
      ref: 'refs/heads/develop',
    });
    expect(findJob(staging.record, 'staging (svc-portal)')?.result).toBe('failure');
    const errors = allSteps(staging.record.jobs).flatMap((step) =>
      step.annotations
        .filter((annotation) => annotation.level === 'error')
        .map((annotation) => annotation.message),
    );
    expect(errors.join('\n')).toMatch(
      /User: arn:aws:sts::123456789012:assumed-role\/deploy-staging\/\S+ is not authorized to perform: iam:PassRole on resource: arn:aws:iam::123456789012:role\/ecs-task-execution because no identity-based policy allows the iam:PassRole action/,
    );
    // Nothing moved: staging customers still get the release they had.
    expect(platform.live('staging', 'svc-portal').weights).toEqual({ blue: 100, green: 0 });
  }, 240_000);
});
