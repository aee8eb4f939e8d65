// Types only: an action bundles the clients it passes to createAwsClients, and no other.
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { STSClient } from '@aws-sdk/client-sts';
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
  /** EventBridge Scheduler and EventBridge rules: the scheduled tasks that run a service's family. */
  scheduler: SchedulerClient;
  events: EventBridgeClient;
}

/** The client classes an action uses: only these are bundled with it (ECR is 0.1 MB it may not need). */
export interface AwsClientClasses {
  ecs?: typeof ECSClient;
  elbv2?: typeof ElasticLoadBalancingV2Client;
  ecr?: typeof ECRClient;
  cloudwatch?: typeof CloudWatchClient;
  sts?: typeof STSClient;
  scheduler?: typeof SchedulerClient;
  events?: typeof EventBridgeClient;
}

/**
 * One factory for the clients the suite uses, of the classes the action passes. Each is created on
 * first use, and the SDK's own AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> variables apply to all
 * of them. Asking for a client whose class the action did not pass is a defect of the action.
 */
export function createAwsClients(settings: AwsSettings, classes: AwsClientClasses): AwsClients {
  const config = awsClientConfig(settings);
  const cache = new Map<string, unknown>();
  const lazy = <T extends { middlewareStack: AnyMiddlewareStack }>(
    key: string,
    Class: (new (config: ReturnType<typeof awsClientConfig>) => T) | undefined,
    overrides: Partial<ReturnType<typeof awsClientConfig>> = {},
  ): T => {
    if (!Class) throw new Error(`the ${key} client is not among this action's AWS clients`);
    if (!cache.has(key))
      cache.set(key, renewOnExpiry(new Class({ ...config, ...overrides }), settings.credentials));
    return cache.get(key) as T;
  };
  return {
    get ecs() {
      return lazy('ecs', classes.ecs);
    },
    get ecsSingleAttempt() {
      return lazy('ecsSingleAttempt', classes.ecs, { maxAttempts: 1 });
    },
    get elbv2() {
      return lazy('elbv2', classes.elbv2);
    },
    get ecr() {
      return lazy('ecr', classes.ecr);
    },
    get cloudwatch() {
      return lazy('cloudwatch', classes.cloudwatch);
    },
    get sts() {
      return lazy('sts', classes.sts);
    },
    get scheduler() {
      return lazy('scheduler', classes.scheduler);
    },
    get events() {
      return lazy('events', classes.events);
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
