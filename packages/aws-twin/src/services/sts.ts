/** STS (awsQuery): GetCallerIdentity and AssumeRoleWithWebIdentity with scenario-set expiry. */
import { randomBytes } from 'node:crypto';
import { AwsError } from '../errors.js';
import { hexId, type Account } from '../ids.js';
import { queryNumber, type WireValue } from '../protocols.js';

export class StsService {
  /** Access key id → expiry (ms) of every credential set issued. */
  readonly issued = new Map<
    string,
    { expiresAt: number; roleArn: string; sessionName: string; secretAccessKey: string; sessionToken: string }
  >();

  constructor(
    private readonly account: Account,
    private readonly now: () => number,
    /** Overrides the requested session length, so a test can make credentials expire fast. */
    private readonly sessionDurationMs: () => number | undefined,
    /** Whether a web identity with these claims may assume the role (IAM trust; all, without IAM). */
    private readonly trusts: (roleArn: string, claims: Record<string, unknown>) => boolean = () => true,
  ) {}

  readonly handlers: Record<string, (input: Record<string, unknown>, accessKeyId?: string) => WireValue> = {
    GetCallerIdentity: (_input, accessKeyId) => {
      const issued = accessKeyId ? this.issued.get(accessKeyId) : undefined;
      if (!issued)
        return {
          UserId: 'AIDATWIN',
          Account: this.account.accountId,
          Arn: `arn:aws:iam::${this.account.accountId}:user/twin`,
        };
      return {
        UserId: `AROATWIN:${issued.sessionName}`,
        Account: this.account.accountId,
        Arn:
          issued.roleArn.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/') +
          `/${issued.sessionName}`,
      };
    },
    AssumeRoleWithWebIdentity: (input) => {
      const roleArn = String(input.RoleArn ?? '');
      if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(roleArn)) {
        throw new AwsError(
          'ValidationError',
          `1 validation error detected: Value '${roleArn}' at 'roleArn' failed to satisfy constraint`,
        );
      }
      const token = String(input.WebIdentityToken ?? '');
      if (token.length < 4)
        throw new AwsError(
          'InvalidIdentityToken',
          "Couldn't retrieve verification key from your identity provider",
        );
      const sessionName = String(input.RoleSessionName ?? '');
      if (!/^[\w+=,.@-]{2,64}$/.test(sessionName))
        throw new AwsError(
          'ValidationError',
          `Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint`,
        );
      const claims = jwtClaims(token);
      if (!this.trusts(roleArn, claims))
        throw new AwsError('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity', 403);
      const requested = queryNumber(input.DurationSeconds) ?? 3600;
      if (requested < 900 || requested > 43200)
        throw new AwsError('ValidationError', 'DurationSeconds must be between 900 and 43200');
      const accessKeyId = `ASIA${hexId(16).toUpperCase()}`;
      const expiresAt = this.now() + (this.sessionDurationMs() ?? requested * 1000);
      // Kept so a test can look for them where they must never be (logs, summaries, outputs).
      const secretAccessKey = randomBytes(30).toString('base64');
      const sessionToken = randomBytes(60).toString('base64');
      this.issued.set(accessKeyId, { expiresAt, roleArn, sessionName, secretAccessKey, sessionToken });
      return {
        Credentials: {
          AccessKeyId: accessKeyId,
          SecretAccessKey: secretAccessKey,
          SessionToken: sessionToken,
          Expiration: new Date(expiresAt),
        },
        AssumedRoleUser: {
          AssumedRoleId: `AROATWIN:${sessionName}`,
          Arn: roleArn.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/') + `/${sessionName}`,
        },
        SubjectFromWebIdentityToken:
          typeof claims.sub === 'string' ? claims.sub : 'repo:mpac/service:ref:refs/heads/main',
        Audience: typeof claims.aud === 'string' ? claims.aud : 'sts.amazonaws.com',
        Provider:
          'arn:aws:iam::' + this.account.accountId + ':oidc-provider/token.actions.githubusercontent.com',
      };
    },
  };

  /** Whether a request signed with this key must be refused as expired. */
  isExpired(accessKeyId: string | undefined): boolean {
    if (!accessKeyId) return false;
    const issued = this.issued.get(accessKeyId);
    return issued !== undefined && issued.expiresAt <= this.now();
  }

  expireAll(): void {
    for (const credentials of this.issued.values()) credentials.expiresAt = this.now();
  }
}

/** The claims of a JWT-shaped token (not verified: the twin has no provider keys); none if it is not one. */
function jwtClaims(token: string): Record<string, unknown> {
  const payload = token.split('.')[1];
  if (!payload) return {};
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    return claims && typeof claims === 'object' ? (claims as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
