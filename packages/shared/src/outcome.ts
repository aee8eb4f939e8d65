/** The deploy's outcome, recorded as tags on the production rule or listener, so every state is read from AWS. */
import { AddTagsCommand, type ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Color } from './traffic.js';

export const OUTCOME_TAGS = {
  liveColor: 'mpac:live-color',
  previousColor: 'mpac:previous-color',
  taskDefinition: 'mpac:task-definition',
  previousTaskDefinition: 'mpac:previous-task-definition',
  outcome: 'mpac:outcome',
  updatedAt: 'mpac:updated-at',
} as const;

export interface RecordedOutcome {
  liveColor: Color;
  previousColor: Color;
  taskDefinition?: string;
  previousTaskDefinition?: string;
  outcome: string;
}

export async function recordOutcome(
  elbv2: ElasticLoadBalancingV2Client,
  resourceArn: string,
  outcome: RecordedOutcome,
  now: number,
): Promise<void> {
  const tags = [
    { Key: OUTCOME_TAGS.liveColor, Value: outcome.liveColor },
    { Key: OUTCOME_TAGS.previousColor, Value: outcome.previousColor },
    { Key: OUTCOME_TAGS.outcome, Value: outcome.outcome },
    { Key: OUTCOME_TAGS.updatedAt, Value: new Date(now).toISOString() },
    ...(outcome.taskDefinition ? [{ Key: OUTCOME_TAGS.taskDefinition, Value: outcome.taskDefinition }] : []),
    ...(outcome.previousTaskDefinition
      ? [{ Key: OUTCOME_TAGS.previousTaskDefinition, Value: outcome.previousTaskDefinition }]
      : []),
  ];
  await elbv2.send(new AddTagsCommand({ ResourceArns: [resourceArn], Tags: tags }));
}
