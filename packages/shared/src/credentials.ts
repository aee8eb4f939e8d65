import { AssumeRoleWithWebIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import { ActionError } from './errors.js';

export interface WebIdentityOptions {
  roleArn: string;
  sessionName: string;
  /** Requested session length in seconds (AWS allows 900–43200, capped by the role). */
  durationSeconds: number;
  /** Fetches a fresh OIDC token (on a runner: `core.getIDToken('sts.amazonaws.com')`). */
  getIdToken: () => Promise<string>;
  /** An STS client that needs no credentials of its own (the call is unsigned). */
  sts: Pick<STSClient, 'send'>;
  /** Called with every secret as soon as it exists, before anything can throw. */
  maskSecret: (value: string) => void;
  now?: () => number;
  /** Refresh this long before expiry, so a long run never sends an expired signature. */
  refreshBeforeMs?: number;
}

export interface CredentialProvider {
  (): Promise<AwsCredentialIdentity>;
  /** Forgets the cached set: AWS refused it as expired (a session revoked or cut short). */
  invalidate?: () => void;
}

/**
 * Credentials from AssumeRoleWithWebIdentity that renew themselves: each call returns the cached
 * set until it is within `refreshBeforeMs` of expiry, then fetches a new token and assumes again.
 * Concurrent callers during a refresh share one STS call.
 */
export function webIdentityCredentials(options: WebIdentityOptions): CredentialProvider {
  const now = options.now ?? Date.now;
  const refreshBeforeMs = options.refreshBeforeMs ?? 5 * 60_000;
  let current: AwsCredentialIdentity | undefined;
  let pending: Promise<AwsCredentialIdentity> | undefined;

  const assume = async (): Promise<AwsCredentialIdentity> => {
    const token = await options.getIdToken();
    options.maskSecret(token);
    const response = await options.sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: options.roleArn,
        RoleSessionName: options.sessionName,
        WebIdentityToken: token,
        DurationSeconds: options.durationSeconds,
      }),
    );
    const issued = response.Credentials;
    if (!issued?.AccessKeyId || !issued.SecretAccessKey || !issued.SessionToken) {
      throw new ActionError(`AssumeRoleWithWebIdentity for ${options.roleArn} returned no credentials`);
    }
    options.maskSecret(issued.SecretAccessKey);
    options.maskSecret(issued.SessionToken);
    options.maskSecret(issued.AccessKeyId);
    return {
      accessKeyId: issued.AccessKeyId,
      secretAccessKey: issued.SecretAccessKey,
      sessionToken: issued.SessionToken,
      expiration: issued.Expiration ? new Date(issued.Expiration) : undefined,
    };
  };

  const isFresh = (credentials: AwsCredentialIdentity | undefined): credentials is AwsCredentialIdentity =>
    credentials !== undefined &&
    (credentials.expiration === undefined || credentials.expiration.getTime() - refreshBeforeMs > now());

  const provider: CredentialProvider = async () => {
    if (!isFresh(current)) {
      pending ??= assume().finally(() => {
        pending = undefined;
      });
      current = await pending;
    }
    // The SDK keeps an identity until 5 minutes before its expiration and asks again only then;
    // saying it expires within that margin makes it ask before every request, so this cache (and
    // invalidate) decides. The signature uses the keys, not the expiration.
    return { ...current, expiration: new Date(now() + 60_000) };
  };
  provider.invalidate = () => {
    current = undefined;
  };
  return provider;
}

/** A role session name AWS accepts (2–64 of `[\w+=,.@-]`), from the repository and run. */
export function roleSessionName(parts: (string | undefined)[]): string {
  const name = parts
    .filter((part): part is string => Boolean(part))
    .join('-')
    .replace(/[^\w+=,.@-]/g, '-')
    .slice(0, 64);
  return name.length >= 2 ? name : 'mpac-actions';
}
