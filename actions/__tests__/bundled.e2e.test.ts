import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runBundledAction } from '../../packages/shared/testing/run-bundled-action.js';

const actionDir = (name: string) => path.join(import.meta.dirname, '..', name);
const AWS_ENV = {
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIDFAKE',
  AWS_SECRET_ACCESS_KEY: 'fake-secret',
};

describe('bundled actions run as a runner runs them', () => {
  it('load the AWS SDK only after the inputs are read: no entry chunk holds it, a later chunk does', () => {
    // `x-amz-user-agent` is the SDK's own header name, in its user-agent middleware.
    const marker = 'x-amz-user-agent';
    for (const action of [
      'blue-green-deploy',
      'monitor-rollback',
      'ecr-push',
      'smoke-test',
      'coverage-gate',
    ]) {
      const dist = path.join(actionDir(action), 'dist');
      expect({
        action,
        sdkInEntry: readFileSync(path.join(dist, 'index.js'), 'utf8').includes(marker),
      }).toEqual({
        action,
        sdkInEntry: false,
      });
    }
    for (const action of ['blue-green-deploy', 'monitor-rollback', 'ecr-push']) {
      const dist = path.join(actionDir(action), 'dist');
      const chunks = readdirSync(dist).filter((file) => file.endsWith('.js') && file !== 'index.js');
      expect(chunks.some((file) => readFileSync(path.join(dist, file), 'utf8').includes(marker))).toBe(true);
    }
  });

  it('coverage-gate fails naming the empty required input, as an error annotation', async () => {
    const result = await runBundledAction(actionDir('coverage-gate'));
    expect(result.main.exitCode).toBe(1);
    expect(result.annotations).toEqual([
      expect.objectContaining({
        level: 'error',
        message: "Input 'files' is required but was empty. A valid value looks like: coverage/lcov.info",
      }),
    ]);
    expect(result.state).toEqual({ isPost: 'true' });
  });

  it('coverage-gate rejects a threshold above 100 before doing anything', async () => {
    const result = await runBundledAction(actionDir('coverage-gate'), {
      inputs: { files: 'lcov.info', threshold: '180' },
    });
    expect(result.main.exitCode).toBe(1);
    expect(result.log).toContain("::error::Input 'threshold' must be at most 100; got 180");
  });

  it('blue-green-deploy rejects bad traffic steps, then its post step runs and passes', async () => {
    const result = await runBundledAction(actionDir('blue-green-deploy'), {
      inputs: {
        cluster: 'prod',
        service: 'svc-portal',
        'listener-rule-arn':
          'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/1/2/3',
        'task-definition': 'td.json',
        'traffic-steps': '50,5,100',
      },
      env: AWS_ENV,
    });
    expect(result.main.exitCode).toBe(1);
    expect(result.annotations[0]?.message).toBe(
      "Input 'traffic-steps' must increase step by step and end at 100; got 50,5,100. A valid value looks like: 5,50,100",
    );
    expect(result.post?.exitCode).toBe(0);
  });

  it('ecr-push says clearly when the runner has no docker, before calling AWS', async () => {
    const result = await runBundledAction(actionDir('ecr-push'), {
      inputs: { repository: 'svc-portal' },
      env: { ...AWS_ENV, PATH: '/nonexistent' },
    });
    expect(result.main.exitCode).toBe(1);
    expect(result.annotations[0]?.message).toMatch(/^No docker on this runner/);
    expect(result.outputs).toEqual({});
  });

  it('smoke-test needs something to check', async () => {
    const result = await runBundledAction(actionDir('smoke-test'));
    expect(result.main.exitCode).toBe(1);
    expect(result.annotations[0]?.message).toMatch(/^Input 'url' \(or checks, checks-file\) is needed/);
  });

  it('monitor-rollback names a missing region', async () => {
    const result = await runBundledAction(actionDir('monitor-rollback'), {
      inputs: {
        cluster: 'prod',
        service: 'svc-portal',
        'listener-rule-arn':
          'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/1/2/3',
      },
    });
    expect(result.main.exitCode).toBe(1);
    expect(result.annotations[0]?.message).toMatch(
      /^Input 'aws-region' is empty and neither AWS_REGION nor AWS_DEFAULT_REGION is set/,
    );
  });
});
