import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { STSClient } from '@aws-sdk/client-sts';
import type { CredentialProvider } from './credentials.js';
import { SUITE_NAME, SUITE_VERSION } from './version.js';

export interface AwsSettings {
  region: string;
  maxAttempts: number;
  /** Omitted: the SDK's default chain (environment, web identity file, instance role). */
  credentials?: CredentialProvider;
}

/** The configuration every client shares: region, adaptive retries, the suite's user agent. */
export function awsClientConfig(settings: AwsSettings) {
  return {
    region: settings.region,
    retryMode: 'adaptive' as const,
    maxAttempts: settings.maxAttempts,
    customUserAgent: [[SUITE_NAME, SUITE_VERSION]] as [string, string][],
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
  };
}

export interface AwsClients {
  ecs: ECSClient;
  /**
   * ECS without the SDK's retries, for calls that are not idempotent (RegisterTaskDefinition): a
   * response lost after AWS acted must not be sent again blindly; the caller looks first.
   */
  ecsSingleAttempt: ECSClient;
  elbv2: ElasticLoadBalancingV2Client;
  ecr: ECRClient;
  cloudwatch: CloudWatchClient;
  sts: STSClient;
}

/**
 * One factory for the five clients the suite uses. Each is created on first use, and the SDK's own
 * AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> variables apply to all of them.
 */
export function createAwsClients(settings: AwsSettings): AwsClients {
  const config = awsClientConfig(settings);
  const cache = new Map<string, unknown>();
  const lazy = <T extends { middlewareStack: AnyMiddlewareStack }>(key: string, make: () => T): T => {
    if (!cache.has(key)) cache.set(key, renewOnExpiry(make(), settings.credentials));
    return cache.get(key) as T;
  };
  return {
    get ecs() {
      return lazy('ecs', () => new ECSClient(config));
    },
    get ecsSingleAttempt() {
      return lazy('ecsSingleAttempt', () => new ECSClient({ ...config, maxAttempts: 1 }));
    },
    get elbv2() {
      return lazy('elbv2', () => new ElasticLoadBalancingV2Client(config));
    },
    get ecr() {
      return lazy('ecr', () => new ECRClient(config));
    },
    get cloudwatch() {
      return lazy('cloudwatch', () => new CloudWatchClient(config));
    },
    get sts() {
      return lazy('sts', () => new STSClient(config));
    },
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyMiddlewareStack = { add: (middleware: any, options: { step: 'initialize'; name: string }) => void };

const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired']);

/**
 * A request AWS refuses because the session expired early (revoked, cut short) is sent once more
 * with fresh credentials, so a long monitor keeps checking without a gap.
 */
function renewOnExpiry<T extends { middlewareStack: AnyMiddlewareStack }>(
  client: T,
  credentials?: CredentialProvider,
): T {
  if (!credentials?.invalidate) return client;
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
      try {
        return await next(args);
      } catch (error) {
        if (!(error instanceof Error) || !EXPIRED.has(error.name)) throw error;
        credentials.invalidate!();
        return next(args);
      }
    },
    { step: 'initialize', name: 'mpacRenewExpiredCredentials' },
  );
  return client;
}
