import { describe, expect, it, jest } from '@jest/globals';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { roleSessionName, webIdentityCredentials } from '../src/credentials.js';

const ROLE = 'arn:aws:iam::123456789012:role/github-deploy';

function setUp(sessionMs = 3_600_000) {
  let clock = Date.parse('2026-11-22T10:00:00Z');
  let issued = 0;
  let tokens = 0;
  const sts = mockClient(STSClient);
  sts.on(AssumeRoleWithWebIdentityCommand).callsFake(() => {
    issued++;
    return {
      Credentials: {
        AccessKeyId: `ASIA${issued}`,
        SecretAccessKey: `secret-${issued}`,
        SessionToken: `session-${issued}`,
        Expiration: new Date(clock + sessionMs),
      },
    };
  });
  const masked: string[] = [];
  const provider = webIdentityCredentials({
    roleArn: ROLE,
    sessionName: 'mpac-test',
    durationSeconds: sessionMs / 1000,
    getIdToken: async () => `oidc-token-${++tokens}`,
    sts: new STSClient({ region: 'eu-west-1' }),
    maskSecret: (value) => masked.push(value),
    now: () => clock,
  });
  return {
    sts,
    provider,
    masked,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

describe('webIdentityCredentials', () => {
  it('assumes the role with a fresh OIDC token and masks every secret', async () => {
    const { sts, provider, masked } = setUp();
    const credentials = await provider();
    expect(credentials).toMatchObject({
      accessKeyId: 'ASIA1',
      secretAccessKey: 'secret-1',
      sessionToken: 'session-1',
    });
    const input = sts.commandCalls(AssumeRoleWithWebIdentityCommand)[0]!.args[0].input;
    expect(input).toEqual({
      RoleArn: ROLE,
      RoleSessionName: 'mpac-test',
      WebIdentityToken: 'oidc-token-1',
      DurationSeconds: 3600,
    });
    expect(masked).toEqual(expect.arrayContaining(['oidc-token-1', 'secret-1', 'session-1']));
    sts.restore();
  });

  it('reuses credentials while they are fresh and re-assumes five minutes before expiry', async () => {
    const { sts, provider, advance } = setUp();
    await provider();
    advance(54 * 60_000);
    expect((await provider()).accessKeyId).toBe('ASIA1');
    expect(sts.commandCalls(AssumeRoleWithWebIdentityCommand)).toHaveLength(1);

    advance(2 * 60_000); // 56 minutes in: inside the 5-minute refresh window
    const renewed = await provider();
    expect(renewed.accessKeyId).toBe('ASIA2');
    expect(sts.commandCalls(AssumeRoleWithWebIdentityCommand)).toHaveLength(2);
    expect(sts.commandCalls(AssumeRoleWithWebIdentityCommand)[1]!.args[0].input.WebIdentityToken).toBe(
      'oidc-token-2',
    );
    sts.restore();
  });

  it('keeps a two-hour monitor signed with 1 h sessions by renewing twice', async () => {
    const { sts, provider, advance } = setUp();
    const seen = new Set<string>();
    for (let minute = 0; minute <= 120; minute++) {
      seen.add((await provider()).accessKeyId);
      advance(60_000);
    }
    expect([...seen]).toEqual(['ASIA1', 'ASIA2', 'ASIA3']);
    expect(sts.commandCalls(AssumeRoleWithWebIdentityCommand)).toHaveLength(3);
    sts.restore();
  });

  it('shares one STS call between concurrent callers', async () => {
    const { sts, provider } = setUp();
    const results = await Promise.all([provider(), provider(), provider()]);
    expect(new Set(results.map((credentials) => credentials.accessKeyId)).size).toBe(1);
    expect(sts.commandCalls(AssumeRoleWithWebIdentityCommand)).toHaveLength(1);
    sts.restore();
  });

  it('fails clearly when STS returns no credentials, and tries again on the next call', async () => {
    const sts = mockClient(STSClient);
    sts
      .on(AssumeRoleWithWebIdentityCommand)
      .resolvesOnce({})
      .resolves({
        Credentials: {
          AccessKeyId: 'A',
          SecretAccessKey: 'S',
          SessionToken: 'T',
          Expiration: new Date(Date.now() + 3_600_000),
        },
      });
    const provider = webIdentityCredentials({
      roleArn: ROLE,
      sessionName: 's',
      durationSeconds: 3600,
      getIdToken: jest.fn(async () => 'token'),
      sts: new STSClient({ region: 'eu-west-1' }),
      maskSecret: () => undefined,
    });
    await expect(provider()).rejects.toThrow(`AssumeRoleWithWebIdentity for ${ROLE} returned no credentials`);
    await expect(provider()).resolves.toMatchObject({ accessKeyId: 'A' });
    sts.restore();
  });
});

describe('roleSessionName', () => {
  it('joins parts with characters AWS accepts, at most 64 long', () => {
    expect(roleSessionName(['mpac', 'svc portal', '123'])).toBe('mpac-svc-portal-123');
    expect(roleSessionName(['x'.repeat(100)])).toHaveLength(64);
    expect(roleSessionName([undefined])).toBe('mpac-actions');
  });
});
