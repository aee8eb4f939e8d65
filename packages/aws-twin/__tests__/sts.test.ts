import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DescribeClustersCommand, ListClustersCommand } from '@aws-sdk/client-ecs';
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { startTwin, type Twin } from '../src/index.js';
import { clientsFor, sleep } from './clients.js';

describe('STS through the real SDK client', () => {
  let twin: Twin;
  beforeAll(async () => {
    twin = await startTwin({ credentialLifetimeMs: 300 });
  });
  afterAll(async () => {
    await twin.close();
  });

  it('answers GetCallerIdentity', async () => {
    const identity = await clientsFor(twin).sts.send(new GetCallerIdentityCommand({}));
    expect(identity).toMatchObject({ Account: '123456789012', Arn: 'arn:aws:iam::123456789012:user/twin' });
  });

  it('issues web-identity credentials that work until the scenario expiry, then get ExpiredTokenException', async () => {
    const sts = new STSClient({ region: 'eu-west-1', endpoint: twin.endpoint, maxAttempts: 1 });
    const assumed = await sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: 'arn:aws:iam::123456789012:role/deploy',
        RoleSessionName: 'mpac-test',
        WebIdentityToken: 'header.payload.signature',
        DurationSeconds: 3600,
      }),
    );
    const issued = assumed.Credentials!;
    expect(issued.Expiration!.getTime() - Date.now()).toBeLessThanOrEqual(300);
    const credentials = {
      accessKeyId: issued.AccessKeyId!,
      secretAccessKey: issued.SecretAccessKey!,
      sessionToken: issued.SessionToken!,
    };
    const { ecs, elbv2 } = clientsFor(twin, { credentials });
    await expect(ecs.send(new ListClustersCommand({}))).resolves.toMatchObject({ clusterArns: [] });
    const identity = await clientsFor(twin, { credentials }).sts.send(new GetCallerIdentityCommand({}));
    expect(identity.Arn).toBe('arn:aws:sts::123456789012:assumed-role/deploy/mpac-test');
    await sleep(320);
    const expired = await elbv2
      .send(new DescribeLoadBalancersCommand({}))
      .catch((error: { name: string }) => error);
    expect((expired as { name: string }).name).toBe('ExpiredToken');
    const expiredEcs = await ecs
      .send(new DescribeClustersCommand({}))
      .catch((error: { name: string }) => error);
    expect((expiredEcs as { name: string }).name).toBe('ExpiredTokenException');
  });

  it('refuses an empty web identity token and a malformed role', async () => {
    const sts = new STSClient({ region: 'eu-west-1', endpoint: twin.endpoint, maxAttempts: 1 });
    await expect(
      sts.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: 'arn:aws:iam::123456789012:role/deploy',
          RoleSessionName: 'ab',
          WebIdentityToken: 'x',
        }),
      ),
    ).rejects.toThrow(
      "1 validation error detected: Value with length 1 at 'webIdentityToken' failed to satisfy constraint: Member must have length greater than or equal to 4",
    );

    await expect(
      sts.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: 'deploy',
          RoleSessionName: 'ab',
          WebIdentityToken: 'token',
        }),
      ),
    ).rejects.toThrow(/roleArn/);
  });
});
