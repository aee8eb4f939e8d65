import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { STSClient } from '@aws-sdk/client-sts';
import type { Twin } from '../src/index.js';

/** Real SDK v3 clients pointed at the twin, with fake static credentials. */
export function clientsFor(
  twin: Twin,
  options: {
    maxAttempts?: number;
    retryMode?: 'standard' | 'adaptive';
    credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
    /** Another region the twin serves (default its own). */
    region?: string;
  } = {},
) {
  const config = {
    region: options.region ?? twin.account.region,
    endpoint: twin.endpoint,
    maxAttempts: options.maxAttempts ?? 1,
    retryMode: options.retryMode ?? 'standard',
    credentials: options.credentials ?? { accessKeyId: 'AKIDTWINEXAMPLE', secretAccessKey: 'twin-secret' },
  };
  return {
    ecs: new ECSClient(config),
    elbv2: new ElasticLoadBalancingV2Client(config),
    ecr: new ECRClient(config),
    cloudwatch: new CloudWatchClient(config),
    sts: new STSClient(config),
    scheduler: new SchedulerClient(config),
    events: new EventBridgeClient(config),
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
