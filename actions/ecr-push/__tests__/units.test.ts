import { describe, expect, it, jest } from '@jest/globals';
import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  PutImageScanningConfigurationCommand,
  RepositoryNotFoundException,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { Docker, type Exec } from '../src/docker.js';
import { atOrAbove, ensureRepository, registryLogin } from '../src/ecr.js';
import { defaultTags, tagSafe } from '../src/tags.js';

describe('Docker', () => {
  it('logs in with the password on stdin and never as an argument', async () => {
    const exec = jest.fn<Exec>(async () => ({ exitCode: 0, stdout: 'Login Succeeded', stderr: '' }));
    await new Docker(exec).login('123.dkr.ecr.eu-west-1.amazonaws.com', 'AWS', 'pa55word');
    const [command, args, options] = exec.mock.calls[0]!;
    expect(command).toBe('docker');
    expect(args).toEqual([
      'login',
      '--username',
      'AWS',
      '--password-stdin',
      '123.dkr.ecr.eu-west-1.amazonaws.com',
    ]);
    expect(args.some((arg) => arg.includes('pa55word'))).toBe(false);
    expect(options?.input?.toString()).toBe('pa55word');
  });

  it('builds with buildx in a fixed argument order; build secrets go by name, never by value', () => {
    const args = Docker.buildArgs(
      {
        context: '.',
        dockerfile: 'Dockerfile.prod',
        target: 'production',
        buildArgs: new Map([['A', '1=2']]),
        platforms: ['linux/amd64', 'linux/arm64'],
        labels: new Map([['team', 'platform']]),
        refs: ['r/svc:sha', 'r/svc:main'],
        push: true,
        cache: 'gha',
        secrets: ['NPM_TOKEN'],
      },
      '/tmp/meta.json',
    );
    expect(args).toEqual([
      'buildx',
      'build',
      '--file',
      'Dockerfile.prod',
      '--target',
      'production',
      '--build-arg',
      'A=1=2',
      '--platform',
      'linux/amd64,linux/arm64',
      '--label',
      'team=platform',
      '--tag',
      'r/svc:sha',
      '--tag',
      'r/svc:main',
      '--cache-from',
      'type=gha',
      '--cache-to',
      'type=gha,mode=max',
      '--secret',
      'id=NPM_TOKEN,env=NPM_TOKEN',
      '--metadata-file',
      '/tmp/meta.json',
      '--push',
      '.',
    ]);
  });

  it('fails login with docker’s own last line', async () => {
    const exec = jest.fn<Exec>(async () => ({
      exitCode: 1,
      stdout: '',
      stderr: 'Error response from daemon: login attempt failed',
    }));
    await expect(new Docker(exec).login('r', 'AWS', 'p')).rejects.toThrow(
      'docker login to r failed: Error response from daemon: login attempt failed',
    );
  });
});

describe('ECR', () => {
  it('decodes the authorization token into registry, user and password', async () => {
    const ecr = mockClient(ECRClient);
    ecr.on(GetAuthorizationTokenCommand).resolves({
      authorizationData: [
        {
          authorizationToken: Buffer.from('AWS:s3cr:et').toString('base64'),
          proxyEndpoint: 'https://123.dkr.ecr.eu-west-1.amazonaws.com',
        },
      ],
    });
    expect(await registryLogin(new ECRClient({ region: 'eu-west-1' }))).toEqual({
      registry: '123.dkr.ecr.eu-west-1.amazonaws.com',
      username: 'AWS',
      password: 's3cr:et',
    });
    ecr.restore();
  });

  it('creates a missing repository with scanning, immutable tags and encryption', async () => {
    const ecr = mockClient(ECRClient);
    ecr
      .on(DescribeRepositoriesCommand)
      .rejects(new RepositoryNotFoundException({ message: 'missing', $metadata: {} }));
    ecr.on(CreateRepositoryCommand).resolves({ repository: { repositoryName: 'svc' } });
    await ensureRepository(
      new ECRClient({ region: 'eu-west-1' }),
      'svc',
      { create: true, update: false },
      () => undefined,
    );
    expect(ecr.commandCalls(CreateRepositoryCommand)[0]!.args[0].input).toEqual({
      repositoryName: 'svc',
      imageScanningConfiguration: { scanOnPush: true },
      imageTagMutability: 'IMMUTABLE',
      encryptionConfiguration: { encryptionType: 'AES256' },
    });
    ecr.restore();
  });

  it('leaves an existing repository alone without update-repository, saying what differs', async () => {
    const ecr = mockClient(ECRClient);
    ecr.on(DescribeRepositoriesCommand).resolves({
      repositories: [
        {
          repositoryName: 'svc',
          imageTagMutability: 'MUTABLE',
          imageScanningConfiguration: { scanOnPush: false },
        },
      ],
    });
    const notices: string[] = [];
    await ensureRepository(
      new ECRClient({ region: 'eu-west-1' }),
      'svc',
      { create: true, update: false },
      (text) => notices.push(text),
    );
    expect(ecr.commandCalls(PutImageScanningConfigurationCommand)).toHaveLength(0);
    expect(notices).toEqual([
      'ECR repository svc: scan on push is off, tags are mutable (left as is; update-repository: true would change it)',
    ]);
    ecr.restore();
  });

  it('orders findings by severity and keeps those at or above the threshold', () => {
    const findings = [
      { id: 'a', severity: 'LOW' },
      { id: 'b', severity: 'CRITICAL' },
      { id: 'c', severity: 'HIGH' },
    ];
    expect(atOrAbove(findings, 'HIGH').map((finding) => finding.id)).toEqual(['b', 'c']);
    expect(atOrAbove(findings, 'CRITICAL').map((finding) => finding.id)).toEqual(['b']);
  });
});

describe('tags', () => {
  it('makes branch names tag-safe and adds them only to mutable repositories', () => {
    expect(tagSafe('feature/JIRA-12_new checkout')).toBe('feature-JIRA-12_new-checkout');
    expect(tagSafe('-x')).toBe('x');
    const env = { GITHUB_SHA: 'abc', GITHUB_REF_TYPE: 'branch', GITHUB_REF_NAME: 'main' };
    expect(defaultTags(env, true)).toEqual({ tags: ['abc', 'main'], notice: undefined });
    expect(defaultTags(env, false).tags).toEqual(['abc']);
    expect(
      defaultTags({ GITHUB_SHA: 'abc', GITHUB_REF_TYPE: 'tag', GITHUB_REF_NAME: 'v1' }, true).tags,
    ).toEqual(['abc']);
  });
});
