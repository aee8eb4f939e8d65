/**
 * Every malformed input of the table (bad-inputs.ts), run through the action's bundle as a runner
 * runs it: the step fails, the message names the input and says what is wrong, and the twin's call
 * log shows that nothing in AWS changed.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTwin, type Twin } from '../../packages/aws-twin/src/index.js';
import { runBundledAction } from '../../packages/shared/testing/run-bundled-action.js';
import { BAD_INPUTS, type ActionName } from './bad-inputs.js';
import { PORTAL_TASK_DEFINITION } from '../../packages/shared/testing/task-definition.js';

const root = path.resolve(import.meta.dirname, '../..');
const fakeDocker = path.join(root, 'actions/ecr-push/__tests__/fake-docker');
const ACTIONS: ActionName[] = [
  'blue-green-deploy',
  'monitor-rollback',
  'smoke-test',
  'coverage-gate',
  'ecr-push',
];

let twin: Twin;
let top: string;
let workspace: string;

/** A repository checkout with what the valid base inputs point at, and the broken files the table names. */
function writeWorkspace(): void {
  top = mkdtempSync(path.join(tmpdir(), 'bad-inputs-'));
  workspace = path.join(top, 'repo');
  const write = (file: string, text: string | Buffer) => {
    mkdirSync(path.dirname(path.join(top, file)), { recursive: true });
    writeFileSync(path.join(top, file), text);
  };
  write('repo/deploy/task-definition.json', JSON.stringify(PORTAL_TASK_DEFINITION));
  write('repo/broken.json', '{ "family": "svc-portal", ');
  write('repo/src/app.ts', 'export const one = 1;\n');
  write('repo/coverage/lcov.info', 'TN:\nSF:src/app.ts\nDA:1,1\nend_of_record\n');
  write('repo/config-unknown.yml', 'component:\n  - name: portal\n');
  write('repo/config-broken.yml', 'components: [unclosed\n');
  write('repo/reports/empty-object.json', '{}');
  write('repo/reports/other.json', JSON.stringify({ name: 'svc-portal', version: '1.0.0' }));
  write('repo/reports/escape.info', 'TN:\nSF:../../../../../../../../etc/hostname\nDA:1,1\nend_of_record\n');
  write('repo/reports/empty.info', '');
  write('repo/reports/binary.info', Buffer.from([0x54, 0x4e, 0x3a, 0x00, 0x01, 0x02]));
  write('repo/reports/long-line.info', `TN:\nSF:${'a'.repeat((1 << 20) + 10)}\nend_of_record\n`);
  write('outside/lcov.info', 'TN:\nSF:src/app.ts\nDA:1,1\nend_of_record\n');
}

function base(action: ActionName): Record<string, string> {
  const portal = twin.resources['svc-portal']!;
  switch (action) {
    case 'blue-green-deploy':
      return {
        cluster: portal.cluster,
        service: 'svc-portal',
        'listener-rule-arn': portal.productionRuleArn,
        'task-definition': 'deploy/task-definition.json',
        'container-name': 'app',
        image: 'svc-portal:v2',
        'step-bake': '1s',
        'metric-period': '1s',
        'metric-delay': '3s',
        'no-data': 'pass',
      };
    case 'monitor-rollback':
      return {
        cluster: portal.cluster,
        service: 'svc-portal',
        'listener-rule-arn': portal.productionRuleArn,
        duration: '2s',
        interval: '1s',
        'metric-period': '1s',
        'metric-delay': '3s',
      };
    case 'smoke-test':
      return { url: 'http://127.0.0.1:9/health', timeout: '5s', retries: '0' };
    case 'coverage-gate':
      return { files: 'coverage/lcov.info', threshold: '0' };
    case 'ecr-push':
      return { repository: 'svc-portal', 'scan-timeout': '10s' };
  }
}

beforeAll(async () => {
  writeWorkspace();
  twin = await startTwin({ blueGreen: [{ name: 'svc-portal', image: 'svc-portal:v1', desiredCount: 1 }] });
});
afterAll(async () => {
  await twin.close();
  rmSync(top, { recursive: true, force: true });
});

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('bad inputs, through the bundles', () => {
  it('covers at least 120 cases across the five actions', () => {
    expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(120);
    for (const action of ACTIONS)
      expect(BAD_INPUTS.filter((entry) => entry.action === action).length).toBeGreaterThanOrEqual(15);
  });

  it.each(BAD_INPUTS.map((entry) => [entry.action, entry.what, entry] as const))(
    '%s refuses %s, naming the input, changing nothing',
    async (action, _what, entry) => {
      twin.calls.clear();
      const result = await runBundledAction(path.join(root, 'actions', action), {
        inputs: { ...base(action), ...entry.inputs },
        env: {
          ...twin.env,
          PATH: `${fakeDocker}:${process.env.PATH}`,
          GITHUB_RUN_ID: '4242',
          GITHUB_RUN_ATTEMPT: '1',
          GITHUB_REPOSITORY: 'mpac/svc-portal',
          GITHUB_SHA: '3f2c1ab4d5e6f708192a3b4c5d6e7f8091a2b3c4',
          GITHUB_REF_TYPE: 'branch',
          GITHUB_REF_NAME: 'main',
          ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:9/token',
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'never-asked',
        },
        cwd: workspace,
        timeoutMs: 30_000,
      });
      const error =
        result.annotations.find((annotation) => annotation.level === 'error')?.message ?? '(no error)';
      expect(result.main.exitCode).toBe(1);
      expect(error).toMatch(new RegExp(`'${escape(entry.names)}'|\\b${escape(entry.names)}\\b`));
      expect(error).toMatch(entry.says);
      // A stack trace is for bugs, not for a user's mistake.
      expect(result.log).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);
      expect(twin.calls.mutating()).toEqual([]);
    },
    40_000,
  );
});
