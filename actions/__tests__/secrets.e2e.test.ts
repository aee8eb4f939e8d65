/**
 * No held-in secret appears anywhere a person or a later step can read: distinct secrets are
 * planted in URL userinfo, query tokens, headers (marked secret, or secret only by name), response
 * bodies that echo them, the ECR password, the OIDC token and the credentials it buys, the GitHub
 * token, a build secret and a Prometheus token; every action runs through its bundle with step debug
 * on; then every log (as the runner shows it), summary, output, saved state, JSON report and JUnit
 * file is searched for each of them.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTwin, type Twin } from '../../packages/aws-twin/src/index.js';
import { startStandIns, type StandIns } from '../../packages/rehearsal/src/stand-ins.js';
import {
  runBundledAction,
  type BundledActionResult,
} from '../../packages/shared/testing/run-bundled-action.js';
import { PORTAL_TASK_DEFINITION } from '../../packages/shared/testing/task-definition.js';

const root = path.resolve(import.meta.dirname, '../..');
const fakeDocker = path.join(root, 'actions/ecr-push/__tests__/fake-docker');

/** The planted secrets, each distinct so a leak says where it came from. */
const PLANTED = {
  smokeUserinfo: 'SMOKE-URL-PASSWORD-7f3a',
  smokeQueryToken: 'SMOKE-QUERY-TOKEN-91bd',
  smokeAuthHeader: 'Bearer SMOKE-AUTH-HEADER-2c44',
  smokeNamedHeader: 'SMOKE-NAMED-HEADER-d0e1',
  waitForUserinfo: 'WAIT-FOR-PASSWORD-5a5a',
  deployProbeUserinfo: 'DEPLOY-PROBE-PASSWORD-0b0b',
  monitorProbeUserinfo: 'MONITOR-PROBE-PASSWORD-1c1c',
  monitorProbeHeader: 'MONITOR-PROBE-HEADER-2d2d',
  prometheusToken: 'PROMETHEUS-TOKEN-3e3e',
  githubToken: 'ghs_PLANTEDGITHUBTOKEN4f4f4f4f',
  buildSecret: 'NPM-BUILD-SECRET-5g5g',
};

let twin: Twin;
let standIns: StandIns;
let echo: Server;
let echoUrl: string;
let workspace: string;
const runs: { action: string; result: BundledActionResult; files: string[] }[] = [];

/** Answers every request with what it was sent: a secret in a header comes back in the body. */
async function startEcho(): Promise<void> {
  echo = createServer((request, response) => {
    const prometheus = {
      status: 'success',
      data: { resultType: 'vector', result: [{ metric: {}, value: [0, '0'] }] },
    };
    const body = JSON.stringify(
      request.url?.startsWith('/prom') ? prometheus : { path: request.url, headers: request.headers },
    );
    const status = request.url?.startsWith('/fail') ? 500 : 200;
    response.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  echoUrl = `127.0.0.1:${(echo.address() as AddressInfo).port}`;
}

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...twin.env,
    PATH: `${fakeDocker}:${process.env.PATH}`,
    RUNNER_DEBUG: '1',
    GITHUB_RUN_ID: '777',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_REPOSITORY: 'mpac/svc-portal',
    GITHUB_SHA: '3f2c1ab4d5e6f708192a3b4c5d6e7f8091a2b3c4',
    GITHUB_REF_TYPE: 'branch',
    GITHUB_REF_NAME: 'main',
    GITHUB_API_URL: standIns.githubApiUrl,
    ACTIONS_ID_TOKEN_REQUEST_URL: standIns.oidc.url,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: standIns.oidc.token,
    ...extra,
  };
}

async function run(
  action: string,
  inputs: Record<string, string>,
  files: string[] = [],
  extra: Record<string, string> = {},
) {
  const result = await runBundledAction(path.join(root, 'actions', action), {
    inputs,
    env: env(extra),
    cwd: workspace,
    timeoutMs: 90_000,
  });
  runs.push({ action, result, files });
  return result;
}

beforeAll(async () => {
  workspace = mkdtempSync(path.join(tmpdir(), 'secrets-'));
  mkdirSync(path.join(workspace, 'deploy'));
  writeFileSync(path.join(workspace, 'deploy/task-definition.json'), JSON.stringify(PORTAL_TASK_DEFINITION));
  writeFileSync(path.join(workspace, 'Dockerfile'), 'FROM scratch\n');
  await startEcho();
  [twin, standIns] = await Promise.all([
    startTwin({
      blueGreen: [{ name: 'svc-portal', image: 'svc-portal:v1', desiredCount: 1 }],
      metrics: { periodSeconds: 1, publicationDelaySeconds: 3 },
      ecr: { scanDelayMs: 100 },
    }),
    startStandIns(),
  ]);
  // The planted token is the job's GITHUB_TOKEN, with the scopes the deploy workflow grants.
  standIns.githubTokenFor(
    { contents: 'read', deployments: 'write', 'id-token': 'write' },
    PLANTED.githubToken,
  );
  const portal = twin.resources['svc-portal']!;
  const role = 'arn:aws:iam::123456789012:role/deploy';

  // smoke-test: userinfo in url, base-url and wait-for, a query token, an always-secret header and
  // one secret only by its name, all echoed back in the failing check's response body.
  await run(
    'smoke-test',
    {
      'base-url': `http://tester:${PLANTED.smokeUserinfo}@${echoUrl}`,
      'wait-for': `url: http://waiter:${PLANTED.waitForUserinfo}@${echoUrl}/ready`,
      checks: [
        `- name: echo with a query token`,
        `  path: /fail?access_token=${PLANTED.smokeQueryToken}&page=1`,
        `  headers: { Authorization: "${PLANTED.smokeAuthHeader}", X-Auth-Token: "${PLANTED.smokeNamedHeader}" }`,
        `  expect: { status: 200 }`,
      ].join('\n'),
      junit: 'reports/smoke.xml',
      retries: '0',
    },
    ['reports/smoke.xml'],
  );

  // blue-green-deploy: a probe with userinfo, a GitHub token, credentials from OIDC.
  await run('blue-green-deploy', {
    cluster: portal.cluster,
    service: 'svc-portal',
    'listener-rule-arn': portal.productionRuleArn,
    'task-definition': 'deploy/task-definition.json',
    'container-name': 'app',
    image: 'svc-portal:v2',
    'traffic-steps': '100',
    'step-bake': '1s',
    'metric-period': '1s',
    'metric-delay': '3s',
    'probe-url': `http://prober:${PLANTED.deployProbeUserinfo}@${echoUrl}/health`,
    'github-token': PLANTED.githubToken,
    environment: 'production',
    'role-to-assume': role,
  });

  // monitor-rollback: probe userinfo and a probe header secret only by its name, a Prometheus token.
  await run('monitor-rollback', {
    cluster: portal.cluster,
    service: 'svc-portal',
    'listener-rule-arn': portal.productionRuleArn,
    duration: '4s',
    interval: '2s',
    'probe-interval': '1s',
    'metric-period': '1s',
    'metric-delay': '3s',
    'no-data': 'pass',
    'probe-url': `http://watcher:${PLANTED.monitorProbeUserinfo}@${echoUrl}/health`,
    'probe-checks': `- url: http://${echoUrl}/status\n  headers: { X-Session-Key: "${PLANTED.monitorProbeHeader}" }\n  expect: { status: 200 }`,
    'prometheus-url': `http://${echoUrl}/prom`,
    'prometheus-queries':
      '- name: errors\n  query: sum(rate(errors{color="{{color}}"}[1m]))\n  threshold: 1000\n  direction: above',
    'prometheus-token': PLANTED.prometheusToken,
    'github-token': PLANTED.githubToken,
    environment: 'production',
    'role-to-assume': role,
  });

  // ecr-push: the ECR password goes to docker on stdin; a build secret by name.
  await run(
    'ecr-push',
    { repository: 'svc-portal', 'scan-timeout': '20s', 'build-secrets': 'NPM_TOKEN', 'role-to-assume': role },
    [],
    { NPM_TOKEN: PLANTED.buildSecret, FAKE_DOCKER_LOG: path.join(workspace, 'docker-calls.jsonl') },
  );

  // coverage-gate: the token for the comment.
  mkdirSync(path.join(workspace, 'coverage'));
  writeFileSync(path.join(workspace, 'src.ts'), 'export const one = 1;\n');
  writeFileSync(path.join(workspace, 'coverage/lcov.info'), 'TN:\nSF:src.ts\nDA:1,1\nend_of_record\n');
  await run(
    'coverage-gate',
    {
      files: 'coverage/lcov.info',
      'github-token': PLANTED.githubToken,
      'merged-output': 'coverage/merged.xml',
    },
    ['coverage/merged.xml'],
  );
}, 240_000);

afterAll(async () => {
  await Promise.all([twin?.close(), standIns?.close(), new Promise((resolve) => echo?.close(resolve))]);
  rmSync(workspace, { recursive: true, force: true });
});

/** Every secret the run held: planted, and those AWS and the OIDC stand-in handed out. */
function heldSecrets(): Record<string, string> {
  const held: Record<string, string> = { ...PLANTED };
  standIns.issuedTokens.forEach((token, index) => (held[`oidc token ${index}`] = token));
  [...twin.services.sts.issued.values()].forEach((credentials, index) => {
    held[`secret access key ${index}`] = credentials.secretAccessKey;
    held[`session token ${index}`] = credentials.sessionToken;
  });
  twin.services.ecr.issuedPasswords.forEach((password, index) => (held[`ECR password ${index}`] = password));
  return held;
}

describe('secrets, planted everywhere, found nowhere', () => {
  it('ran every action with step debug on, and the secrets really were used', () => {
    expect(runs.map((entry) => entry.action)).toEqual([
      'smoke-test',
      'blue-green-deploy',
      'monitor-rollback',
      'ecr-push',
      'coverage-gate',
    ]);
    // They did their work: a check failed on the echo, a deploy promoted, a monitor watched, an image was pushed.
    const ended = (index: number) => ({
      outputs: runs[index]!.result.outputs,
      errors: runs[index]!.result.annotations.filter((annotation) => annotation.level === 'error'),
    });
    expect(ended(0)).toMatchObject({ outputs: { failed: '1' } });
    expect(ended(1)).toMatchObject({ outputs: { outcome: 'promoted' }, errors: [] });
    expect(ended(2)).toMatchObject({ outputs: { outcome: 'healthy' }, errors: [] });
    expect(ended(3)).toMatchObject({ outputs: { digest: expect.stringMatching(/^sha256:/) }, errors: [] });
    expect(standIns.issuedTokens.length).toBeGreaterThanOrEqual(3);
    expect(twin.services.ecr.issuedPasswords.length).toBeGreaterThanOrEqual(1);
    // The docker stand-in got the ECR password on stdin, never in its arguments.
    const dockerCalls = readFileSync(path.join(workspace, 'docker-calls.jsonl'), 'utf8');
    const password = twin.services.ecr.issuedPasswords.at(-1)!;
    expect(dockerCalls).toContain(`"stdin":"${password}`);
    expect(
      dockerCalls
        .split('\n')
        .some(
          (line) =>
            line.includes(password) &&
            line.includes('"args"') &&
            JSON.parse(line).args.join(' ').includes(password),
        ),
    ).toBe(false);
  });

  it('appears in no log, summary, output, state, report or JUnit file', () => {
    const places: { where: string; text: string }[] = [];
    for (const { action, result, files } of runs) {
      places.push({ where: `${action} log`, text: result.log });
      places.push({ where: `${action} summary`, text: result.summary });
      for (const [name, value] of Object.entries(result.outputs)) {
        places.push({ where: `${action} output ${name}`, text: value });
        if (name === 'report' && existsSync(value))
          places.push({ where: `${action} report ${value}`, text: readFileSync(value, 'utf8') });
      }
      for (const [name, value] of Object.entries(result.state))
        places.push({ where: `${action} state ${name}`, text: value });
      for (const annotation of result.annotations)
        places.push({ where: `${action} annotation`, text: annotation.message });
      for (const file of files)
        places.push({ where: `${action} ${file}`, text: readFileSync(path.join(workspace, file), 'utf8') });
    }
    const leaks: string[] = [];
    for (const [name, secret] of Object.entries(heldSecrets()))
      for (const place of places) if (place.text.includes(secret)) leaks.push(`${name} in ${place.where}`);
    expect(leaks).toEqual([]);
    // The summaries still say what happened, with the secrets shown as ***.
    expect(runs[0]!.result.summary).toContain('echo with a query token');
    expect(runs[0]!.result.summary).toContain('access_token=***');
    expect(readFileSync(path.join(workspace, 'reports/smoke.xml'), 'utf8')).toContain('failures="1"');
  });
});
