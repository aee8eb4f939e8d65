import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTwin, type Twin } from '../../../packages/aws-twin/src/index.js';
import { runBundledAction } from '../../../packages/shared/testing/run-bundled-action.js';

const actionDir = path.join(import.meta.dirname, '..');
const fakeDockerDir = path.join(import.meta.dirname, 'fake-docker');

let twin: Twin | undefined;
afterEach(async () => {
  await twin?.close();
  twin = undefined;
});

async function push(
  inputs: Record<string, string>,
  scenario: Parameters<typeof startTwin>[0] = {},
  env: Record<string, string> = {},
) {
  twin ??= await startTwin({ ecr: { scanDelayMs: 300, ...scenario.ecr }, ...scenario });
  const log = path.join(mkdtempSync(path.join(tmpdir(), 'fake-docker-')), 'calls.jsonl');
  const result = await runBundledAction(actionDir, {
    inputs: { repository: 'svc-portal', 'scan-timeout': '20s', ...inputs },
    timeoutMs: 25_000,
    env: {
      ...twin.env,
      PATH: `${fakeDockerDir}:${process.env.PATH}`,
      FAKE_DOCKER_LOG: log,
      GITHUB_SHA: '3f2c1ab4d5e6f708192a3b4c5d6e7f8091a2b3c4',
      GITHUB_REF_TYPE: 'branch',
      GITHUB_REF_NAME: 'feature/new-checkout',
      GITHUB_REPOSITORY: 'mpac/svc-portal',
      ...env,
    },
  });
  const calls = existsSync(log)
    ? readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { args: string[]; stdin: string })
    : [];
  return { result, calls, twin };
}

describe('ecr-push, bundled, on the twin with a recording fake docker', () => {
  it('creates the repository, logs in through stdin, builds and pushes by commit, and confirms the digest', async () => {
    const { result, calls, twin } = await push({
      target: 'production',
      'build-args': 'GO_VERSION=1.23\nLDFLAGS=-s -w',
      platforms: 'linux/amd64,linux/arm64',
    });
    expect(result.main.exitCode).toBe(0);
    const registry = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
    expect(result.outputs).toMatchObject({
      registry,
      image: `${registry}/svc-portal:3f2c1ab4d5e6f708192a3b4c5d6e7f8091a2b3c4`,
      tags: '3f2c1ab4d5e6f708192a3b4c5d6e7f8091a2b3c4',
    });
    expect(result.outputs['image-uri']).toBe(`${registry}/svc-portal@${result.outputs.digest}`);
    expect(result.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);

    const [login, build, logout] = calls;
    expect(login!.args).toEqual(['login', '--username', 'AWS', '--password-stdin', registry]);
    const password = twin.services.ecr.issuedPasswords.at(-1)!;
    expect(login!.stdin).toBe(password);
    expect(build!.args.slice(0, 2)).toEqual(['buildx', 'build']);
    expect(build!.args).toEqual(
      expect.arrayContaining([
        '--target',
        'production',
        '--build-arg',
        'GO_VERSION=1.23',
        '--build-arg',
        'LDFLAGS=-s -w',
        '--platform',
        'linux/amd64,linux/arm64',
        '--push',
      ]),
    );
    expect(build!.args).toEqual(
      expect.arrayContaining([
        '--label',
        'org.opencontainers.image.revision=3f2c1ab4d5e6f708192a3b4c5d6e7f8091a2b3c4',
        '--label',
        'org.opencontainers.image.source=https://github.com/mpac/svc-portal',
      ]),
    );
    expect(logout!.args).toEqual(['logout', registry]);
    // the password is never an argument, never printed, and masked
    expect(calls.every((call) => !call.args.some((arg) => arg.includes(password)))).toBe(true);
    expect(result.unmaskedLog).not.toContain(password);
    expect(result.summary).not.toContain(password);
    expect(result.masks).toContain(password);

    const repository = twin.services.ecr.repositories.get('svc-portal')!;
    expect(repository).toMatchObject({ scanOnPush: true, tagMutability: 'IMMUTABLE' });
    expect(result.annotations.map((annotation) => annotation.message)).toContain(
      "The repository has immutable tags, so the moving branch tag 'feature-new-checkout' was not added",
    );
    expect(result.summary).toContain('✅ Image pushed');
  });

  it('fails the scan gate on a CRITICAL finding an ENHANCED (Inspector) scan reports, listing it with its fix', async () => {
    const { result } = await push(
      {},
      {
        ecr: {
          // ENHANCED scanning never ends COMPLETE: ACTIVE, with enhancedFindings only.
          scanType: 'ENHANCED',
          scanDelayMs: 300,
          findings: {
            'svc-portal': [
              {
                name: 'CVE-2026-4242',
                severity: 'CRITICAL',
                package: 'openssl',
                packageVersion: '3.0.1',
                fixedVersion: '3.0.15',
              },
              { name: 'CVE-2026-0007', severity: 'LOW', package: 'zlib' },
            ],
          },
        },
      },
    );
    expect(result.main.exitCode).toBe(1);
    expect(result.annotations.at(-1)?.message).toBe(
      'The scan found 1 finding(s) at or above CRITICAL: CVE-2026-4242 (CRITICAL, openssl)',
    );
    expect(result.summary).toContain(
      '<td>CVE-2026-4242</td><td>CRITICAL</td><td>openssl</td><td>3.0.1</td><td>3.0.15</td>',
    );
    expect(result.summary).not.toContain('CVE-2026-0007');
    expect(result.outputs.digest).toMatch(/^sha256:/);
  });

  it('passes the gate with threshold none, and says when the scan never completes', async () => {
    const noGate = await push({ 'scan-severity-threshold': 'none' }, { ecr: { scanDelayMs: 'never' } });
    expect(noGate.result.main.exitCode).toBe(0);
    const stuck = await push({ 'scan-timeout': '2s', tags: 'rerun' }, { ecr: { scanDelayMs: 'never' } });
    expect(stuck.result.main.exitCode).toBe(1);
    expect(stuck.result.annotations.at(-1)?.message).toMatch(
      /did not complete within 2 s \(last status: IN_PROGRESS\)/,
    );
  });

  it('refuses to move an immutable tag that points at another image, naming it', async () => {
    const first = await push({ tags: 'release-1', 'scan-severity-threshold': 'none' });
    expect(first.result.main.exitCode).toBe(0);
    const second = await push(
      { tags: 'release-1', 'scan-severity-threshold': 'none', 'reuse-existing': 'false' },
      {},
      { FAKE_DOCKER_SEED: 'different source' },
    );
    expect(second.result.main.exitCode).toBe(1);
    expect(second.result.annotations.at(-1)?.message).toBe(
      `The repository has immutable tags and 'release-1' already points at ${first.result.outputs.digest}; push under a new tag (the commit SHA) instead of moving it`,
    );
  });

  it('fails when the repository is missing and create-repository is false, changing nothing', async () => {
    const { result, calls, twin } = await push({ 'create-repository': 'false' });
    expect(result.main.exitCode).toBe(1);
    expect(result.annotations[0]?.message).toBe(
      "ECR repository 'svc-portal' does not exist and create-repository is false; create it or set create-repository: true",
    );
    expect(twin.calls.mutating()).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('pushes an image built earlier in the job and keeps the login with skip-logout', async () => {
    const { result, calls } = await push({
      image: 'svc-portal:local',
      tags: 'v1.2.3',
      'skip-logout': 'true',
      'scan-severity-threshold': 'none',
    });
    expect(result.main.exitCode).toBe(0);
    expect(calls.map((call) => call.args[0])).toEqual(['login', 'tag', 'push']);
    expect(calls[1]!.args).toEqual([
      'tag',
      'svc-portal:local',
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/svc-portal:v1.2.3',
    ]);
    expect(result.outputs.digest).toMatch(/^sha256:/);
  });

  it('builds without pushing when push is false', async () => {
    const { result, calls, twin } = await push({ push: 'false', 'scan-severity-threshold': 'none' });
    expect(result.main.exitCode).toBe(0);
    const build = calls.find((call) => call.args[0] === 'buildx')!;
    expect(build.args).toContain('--load');
    expect(build.args).not.toContain('--push');
    expect(result.outputs.digest).toMatch(/^sha256:/);
    expect(twin.calls.of('ecr', 'PutImage')).toEqual([]);
    expect(result.summary).toContain('Image built (not pushed)');
  });

  it('rejects a bad tag before calling AWS', async () => {
    const { result, twin } = await push({ tags: 'ok, bad tag!' });
    expect(result.main.exitCode).toBe(1);
    expect(result.annotations[0]?.message).toMatch(/^Input 'tags' has 'bad tag!', which is not an image tag/);
    expect(twin.calls.all()).toEqual([]);
  });
  it('builds once: a second run for the same commit reuses the digest and builds nothing', async () => {
    const first = await push({});
    expect(first.result.main.exitCode).toBe(0);
    const second = await push({});
    expect(second.result.main.exitCode).toBe(0);
    expect(second.result.outputs.digest).toBe(first.result.outputs.digest);
    expect(second.calls.some((call) => call.args[0] === 'buildx')).toBe(false);
    expect(second.result.annotations.map((annotation) => annotation.message)).toContain(
      `svc-portal:3f2c1ab4d5e6f708192a3b4c5d6e7f8091a2b3c4 already exists (${first.result.outputs.digest}): reusing it, nothing was built`,
    );
  });

  it('passes build secrets by name from the environment, never their values, and labels with the commit time', async () => {
    const token = 'npm_secretTokenValue123';
    const { result, calls } = await push(
      { 'build-secrets': 'NPM_TOKEN', cache: 'gha' },
      {},
      { NPM_TOKEN: token, SOURCE_DATE_EPOCH: '1790000000' },
    );
    expect(result.main.exitCode).toBe(0);
    const build = calls.find((call) => call.args[0] === 'buildx')!;
    expect(build.args).toEqual(
      expect.arrayContaining([
        '--secret',
        'id=NPM_TOKEN,env=NPM_TOKEN',
        '--cache-from',
        'type=gha',
        '--build-arg',
        'SOURCE_DATE_EPOCH=1790000000',
        '--label',
        'org.opencontainers.image.created=2026-09-21T14:13:20.000Z',
      ]),
    );
    expect(JSON.stringify(calls)).not.toContain(token);
    expect(result.masks).toContain(token);
  });

  it('refuses a build secret whose variable is not set, naming it, before touching ECR', async () => {
    const { result, twin } = await push({ 'build-secrets': 'NPM_TOKEN' });
    expect(result.main.exitCode).toBe(1);
    expect(result.annotations[0]?.message).toMatch(
      /Input 'build-secrets' names NPM_TOKEN, but the step's environment has no NPM_TOKEN/,
    );
    expect(twin.calls.mutating()).toEqual([]);
  });
  it('reads every page of scan findings: a CRITICAL on the last page of one-finding pages still fails the gate', async () => {
    const { result } = await push(
      {},
      {
        pageSize: 1,
        ecr: {
          scanDelayMs: 300,
          findings: {
            'svc-portal': [
              { name: 'CVE-2026-0001', severity: 'LOW', package: 'zlib' },
              { name: 'CVE-2026-0002', severity: 'MEDIUM', package: 'curl' },
              { name: 'CVE-2026-4242', severity: 'CRITICAL', package: 'openssl' },
            ],
          },
        },
      },
    );
    expect(result.main.exitCode).toBe(1);
    expect(result.annotations.at(-1)?.message).toBe(
      'The scan found 1 finding(s) at or above CRITICAL: CVE-2026-4242 (CRITICAL, openssl)',
    );
  });
});
