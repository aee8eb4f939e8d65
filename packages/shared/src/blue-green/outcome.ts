/** The last outcome, recorded as tags on the production rule or listener, so every state is read from AWS. */
import {
  AddTagsCommand,
  RemoveTagsCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Color } from '../traffic.js';

export const OUTCOME_TAGS = {
  liveColor: 'mpac:live-color',
  previousColor: 'mpac:previous-color',
  taskDefinition: 'mpac:task-definition',
  previousTaskDefinition: 'mpac:previous-task-definition',
  outcome: 'mpac:outcome',
  updatedAt: 'mpac:updated-at',
  run: 'mpac:run',
  /** When traffic first moved to the live colour: the monitor's baseline ends there. */
  cutoverAt: 'mpac:cutover-at',
  /** The release a rollback took traffic away from: not to be promoted again without `force`. */
  rejectedTaskDefinition: 'mpac:rejected-task-definition',
} as const;

/** While a run moves traffic: `<colour> <run>`, the colour that must end with all of it if the run dies. */
export const SAFE_END_TAG = 'mpac:safe-end';
/** After `prepare`: `<colour> <task definition>` that a later `shift` may promote. */
export const PREPARED_TAG = 'mpac:prepared';

export interface RecordedOutcome {
  /** The colour serving 100 % after the run. */
  liveColor: Color;
  /** The colour that served before the run. */
  previousColor: Color;
  /** What `liveColor` runs. */
  taskDefinition?: string;
  /** What the colour that served before the run ran. */
  previousTaskDefinition?: string;
  /** `promoted`, `rolled-back`, `rolled-back-by-monitor`, … */
  outcome: string;
  /** For rollbacks: the release taken off traffic. */
  rejectedTaskDefinition?: string;
  updatedAt?: string;
  /** ISO time traffic first moved in the run that recorded this (promotions). */
  cutoverAt?: string;
  run?: string;
}

export async function recordOutcome(
  elbv2: ElasticLoadBalancingV2Client,
  resourceArn: string,
  outcome: RecordedOutcome,
  now: number,
): Promise<void> {
  const values: [string, string | undefined][] = [
    [OUTCOME_TAGS.liveColor, outcome.liveColor],
    [OUTCOME_TAGS.previousColor, outcome.previousColor],
    [OUTCOME_TAGS.outcome, outcome.outcome],
    [OUTCOME_TAGS.updatedAt, new Date(now).toISOString()],
    [OUTCOME_TAGS.taskDefinition, outcome.taskDefinition],
    [OUTCOME_TAGS.previousTaskDefinition, outcome.previousTaskDefinition],
    [OUTCOME_TAGS.run, outcome.run],
    [OUTCOME_TAGS.cutoverAt, outcome.cutoverAt],
    [OUTCOME_TAGS.rejectedTaskDefinition, outcome.rejectedTaskDefinition],
  ];
  const tags = values
    .filter((entry): entry is [string, string] => Boolean(entry[1]))
    .map(([Key, Value]) => ({ Key, Value }));
  await elbv2.send(new AddTagsCommand({ ResourceArns: [resourceArn], Tags: tags }));
  // A rejected release belongs to the outcome that named it; a stale tag must not outlive it.
  const stale = [
    ...(outcome.rejectedTaskDefinition ? [] : [OUTCOME_TAGS.rejectedTaskDefinition]),
    ...(outcome.cutoverAt ? [] : [OUTCOME_TAGS.cutoverAt]),
    PREPARED_TAG,
    SAFE_END_TAG,
  ];
  await elbv2.send(new RemoveTagsCommand({ ResourceArns: [resourceArn], TagKeys: stale }));
}

/** A `<colour> <text>` tag value (safe end, prepared release). */
export interface ColorMark {
  color: Color;
  detail: string;
}

export function parseColorMark(value: string | undefined): ColorMark | undefined {
  const match = /^(blue|green) (.+)$/.exec(value ?? '');
  return match ? { color: match[1] as Color, detail: match[2]! } : undefined;
}

export async function setColorMark(
  elbv2: ElasticLoadBalancingV2Client,
  resourceArn: string,
  key: typeof SAFE_END_TAG | typeof PREPARED_TAG,
  mark: ColorMark,
): Promise<void> {
  await elbv2.send(
    new AddTagsCommand({
      ResourceArns: [resourceArn],
      Tags: [{ Key: key, Value: `${mark.color} ${mark.detail}` }],
    }),
  );
}

export async function clearTags(
  elbv2: ElasticLoadBalancingV2Client,
  resourceArn: string,
  keys: string[],
): Promise<void> {
  await elbv2.send(new RemoveTagsCommand({ ResourceArns: [resourceArn], TagKeys: keys }));
}

/** The recorded outcome in a resource's tags, when one was recorded. */
export function parseRecordedOutcome(tags: Map<string, string>): RecordedOutcome | undefined {
  const color = (value: string | undefined): Color | undefined =>
    value === 'blue' || value === 'green' ? value : undefined;
  const liveColor = color(tags.get(OUTCOME_TAGS.liveColor));
  const previousColor = color(tags.get(OUTCOME_TAGS.previousColor));
  const outcome = tags.get(OUTCOME_TAGS.outcome);
  if (!liveColor || !previousColor || !outcome) return undefined;
  return {
    liveColor,
    previousColor,
    outcome,
    taskDefinition: tags.get(OUTCOME_TAGS.taskDefinition),
    previousTaskDefinition: tags.get(OUTCOME_TAGS.previousTaskDefinition),
    updatedAt: tags.get(OUTCOME_TAGS.updatedAt),
    run: tags.get(OUTCOME_TAGS.run),
    cutoverAt: tags.get(OUTCOME_TAGS.cutoverAt),
    rejectedTaskDefinition: tags.get(OUTCOME_TAGS.rejectedTaskDefinition),
  };
}
