import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { awsClientConfig, createAwsClients } from '../src/aws.js';
import { awsClientsFor } from '../src/aws-clients.js';
import { readAwsInputs, resolveRegion } from '../src/aws-inputs.js';
import { InputReader } from '../src/inputs.js';
import { SUITE_VERSION } from '../src/version.js';
import { readFileSync } from 'node:fs';

describe('resolveRegion', () => {
  it('prefers the input, then AWS_REGION, then AWS_DEFAULT_REGION', () => {
    expect(resolveRegion('eu-west-1', { AWS_REGION: 'us-east-1' })).toBe('eu-west-1');
    expect(resolveRegion(undefined, { AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'ap-northeast-1' })).toBe(
      'us-east-1',
    );
    expect(resolveRegion(undefined, { AWS_DEFAULT_REGION: 'ap-northeast-1' })).toBe('ap-northeast-1');
  });
  it('fails naming aws-region when nothing gives a region, or the region is garbage', () => {
    expect(() => resolveRegion(undefined, {})).toThrow(/Input 'aws-region' is empty and neither AWS_REGION/);
    expect(() => resolveRegion('Ireland', {})).toThrow(
      /Input 'aws-region' is not an AWS region name; got 'Ireland'/,
    );
  });
});

describe('awsClientConfig', () => {
  it('uses adaptive retries, the attempts asked for, and names the suite in the user agent', () => {
    const config = awsClientConfig({ region: 'eu-west-1', maxAttempts: 7 });
    expect(config).toMatchObject({ region: 'eu-west-1', retryMode: 'adaptive', maxAttempts: 7 });
    expect(config.customUserAgent).toEqual([['mpac-actions', SUITE_VERSION]]);
    expect('credentials' in config).toBe(false);
  });
  it('keeps the suite version equal to package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(SUITE_VERSION).toBe(pkg.version);
  });
});

describe('readAwsInputs', () => {
  const reader = (values: Record<string, string>) => new InputReader((name) => values[name] ?? '');
  it('reads defaults', () => {
    expect(readAwsInputs(reader({ 'aws-region': 'eu-west-1' }), {})).toEqual({
      'aws-region': 'eu-west-1',
      'role-to-assume': undefined,
      'role-duration': 3_600_000,
      'aws-max-attempts': 5,
    });
  });
  it('rejects a role that is not an IAM role ARN, and a role-duration AWS would refuse', () => {
    expect(() =>
      readAwsInputs(reader({ 'aws-region': 'eu-west-1', 'role-to-assume': 'deploy' }), {}),
    ).toThrow(/'role-to-assume' is not an ARN/);
    expect(() => readAwsInputs(reader({ 'aws-region': 'eu-west-1', 'role-duration': '5m' }), {})).toThrow(
      /'role-duration' must be at least 15m/,
    );
  });
  it('refuses role-to-assume when the job cannot request an OIDC token', () => {
    const inputs = readAwsInputs(
      reader({ 'aws-region': 'eu-west-1', 'role-to-assume': 'arn:aws:iam::123456789012:role/deploy' }),
      {},
    );
    expect(() => awsClientsFor(inputs, {}, {})).toThrow(/id-token: write/);
  });
});

describe('clients pointed at a local endpoint through AWS_ENDPOINT_URL', () => {
  let server: Server;
  let endpoint: string;
  const seen: { url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const saved = { ...process.env };

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        seen.push({ url: request.url ?? '', headers: request.headers, body });
        if (String(request.headers['x-amz-target'] ?? '').startsWith('AmazonEC2ContainerServiceV20141113.')) {
          response
            .writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
            .end(JSON.stringify({ clusterArns: ['arn:aws:ecs:eu-west-1:123456789012:cluster/c'] }));
          return;
        }
        response
          .writeHead(200, { 'content-type': 'text/xml' })
          .end(
            '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/twin</Arn><UserId>AIDA</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></GetCallerIdentityResponse>',
          );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(() => {
    process.env = { ...saved };
    seen.length = 0;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends STS calls to AWS_ENDPOINT_URL with the suite user agent and the environment credentials', async () => {
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: 'AKIDTWIN',
      AWS_SECRET_ACCESS_KEY: 'twin-secret',
    });
    const clients = createAwsClients({ region: 'eu-west-1', maxAttempts: 1 }, { sts: STSClient });
    const identity = await clients.sts.send(new GetCallerIdentityCommand({}));
    expect(identity.Account).toBe('123456789012');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.body).toContain('Action=GetCallerIdentity');
    expect(String(seen[0]!.headers['user-agent'])).toContain(`mpac-actions/${SUITE_VERSION}`);
    expect(String(seen[0]!.headers.authorization)).toContain('Credential=AKIDTWIN/');
  });

  it('honours a service-specific AWS_ENDPOINT_URL_ECS', async () => {
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_ECS: endpoint,
      AWS_ACCESS_KEY_ID: 'AKIDTWIN',
      AWS_SECRET_ACCESS_KEY: 'twin-secret',
    });
    delete process.env.AWS_ENDPOINT_URL;
    const clients = createAwsClients({ region: 'eu-west-1', maxAttempts: 1 }, { ecs: ECSClient });
    const clusters = await clients.ecs.send(new ListClustersCommand({}));
    expect(clusters.clusterArns).toEqual(['arn:aws:ecs:eu-west-1:123456789012:cluster/c']);
    expect(seen[0]!.headers['x-amz-target']).toBe('AmazonEC2ContainerServiceV20141113.ListClusters');
  });

  it('creates each client once, on first use', () => {
    const clients = createAwsClients(
      { region: 'eu-west-1', maxAttempts: 1 },
      { ecs: ECSClient, elbv2: ElasticLoadBalancingV2Client },
    );
    expect(clients.ecs).toBe(clients.ecs);
    expect(clients.elbv2).not.toBe(clients.ecs);
    expect(clients.ecsSingleAttempt).not.toBe(clients.ecs);
  });

  it('refuses a client the action did not bundle, naming it', () => {
    const clients = createAwsClients({ region: 'eu-west-1', maxAttempts: 1 }, { ecs: ECSClient });
    expect(() => clients.ecr).toThrow("the ecr client is not among this action's AWS clients");
  });
});

describe('a session AWS cuts short', () => {
  it('is renewed at once: the refused request goes again with fresh credentials, and the run carries on', async () => {
    const { startTwin } = await import('../../aws-twin/src/index.js');
    const { STSClient } = await import('@aws-sdk/client-sts');
    const { webIdentityCredentials } = await import('../src/credentials.js');
    const twin = await startTwin({ blueGreen: [{ name: 'a', image: 'a:v1', desiredCount: 1 }] });
    try {
      const unsigned = new STSClient({
        region: 'eu-west-1',
        endpoint: twin.endpoint,
        credentials: { accessKeyId: 'AKIDNONE', secretAccessKey: 'none' },
      });
      const credentials = webIdentityCredentials({
        roleArn: 'arn:aws:iam::123456789012:role/monitor',
        sessionName: 'renewal-test',
        durationSeconds: 3600,
        getIdToken: async () => 'oidc-token-for-the-test',
        sts: unsigned,
        maskSecret: () => {},
      });
      const clients = createAwsClients(
        { region: 'eu-west-1', maxAttempts: 1, credentials },
        { ecs: ECSClient },
      );
      const saved = process.env.AWS_ENDPOINT_URL;
      process.env.AWS_ENDPOINT_URL = twin.endpoint;
      try {
        await clients.ecs.send(new ListClustersCommand({}));
        twin.faults.expireCredentials();
        await expect(clients.ecs.send(new ListClustersCommand({}))).resolves.toMatchObject({
          clusterArns: [expect.stringContaining(':cluster/mpac')],
        });
      } finally {
        if (saved === undefined) delete process.env.AWS_ENDPOINT_URL;
        else process.env.AWS_ENDPOINT_URL = saved;
      }
      expect(twin.calls.of('sts', 'AssumeRoleWithWebIdentity')).toHaveLength(2);
      const refused = twin.calls.of('ecs', 'ListClusters').filter((call) => call.outcome !== 'ok');
      expect(refused).toHaveLength(1);
    } finally {
      await twin.close();
    }
  });
});
