/**
 * What the suite records in tags on the production rule or listener, so every state is read from
 * AWS: the last outcome, the release last verified on each colour, a release put on a colour but
 * not yet verified, the safe end of a move in progress, and what `prepare` left for `shift`.
 * Only the blue/green core writes these (move.ts, prepare's mark, the lease).
 */
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

/** The revision that last passed its gates on the colour: what a rollback to that colour expects. */
export const verifiedTag = (color: Color) => `mpac:verified:${color}`;
/** A revision put on the colour that no gate has passed (set by prepare before it touches the colour). */
export const unverifiedTag = (color: Color) => `mpac:unverified:${color}`;

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

/** What the tags say each colour holds. */
export interface ColorReleases {
  verified: Partial<Record<Color, string>>;
  unverified: Partial<Record<Color, string>>;
}

/** Tags to write and tags to remove for one outcome, with the releases it leaves on each colour. */
export function outcomeTags(
  outcome: RecordedOutcome,
  releases: ColorReleases,
  now: number,
): { set: { Key: string; Value: string }[]; remove: string[] } {
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
    [verifiedTag('blue'), releases.verified.blue],
    [verifiedTag('green'), releases.verified.green],
    [unverifiedTag('blue'), releases.unverified.blue],
    [unverifiedTag('green'), releases.unverified.green],
  ];
  return {
    set: values
      .filter((entry): entry is [string, string] => Boolean(entry[1]))
      .map(([Key, Value]) => ({ Key, Value })),
    // A tag an outcome does not name must not outlive it; the safe end is over once an outcome is recorded.
    remove: [...values.filter((entry) => !entry[1]).map(([key]) => key), PREPARED_TAG, SAFE_END_TAG],
  };
}

export async function writeOutcomeTags(
  elbv2: ElasticLoadBalancingV2Client,
  resourceArn: string,
  tags: { set: { Key: string; Value: string }[]; remove: string[] },
): Promise<void> {
  if (tags.set.length > 0)
    await elbv2.send(new AddTagsCommand({ ResourceArns: [resourceArn], Tags: tags.set }));
  if (tags.remove.length > 0)
    await elbv2.send(new RemoveTagsCommand({ ResourceArns: [resourceArn], TagKeys: tags.remove }));
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

export async function setTags(
  elbv2: ElasticLoadBalancingV2Client,
  resourceArn: string,
  tags: Record<string, string>,
): Promise<void> {
  await elbv2.send(
    new AddTagsCommand({
      ResourceArns: [resourceArn],
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
}

/** Prepare, before it touches the idle colour: the colour now holds a release no gate has passed. */
export async function markUnverified(
  elbv2: ElasticLoadBalancingV2Client,
  resourceArn: string,
  color: Color,
  taskDefinitionArn: string,
): Promise<void> {
  await setTags(elbv2, resourceArn, { [unverifiedTag(color)]: taskDefinitionArn });
}

/** Prepare, once the idle colour is healthy: the release a later `shift` may promote. */
export async function markPrepared(
  elbv2: ElasticLoadBalancingV2Client,
  resourceArn: string,
  color: Color,
  taskDefinitionArn: string,
): Promise<void> {
  await setTags(elbv2, resourceArn, { [PREPARED_TAG]: `${color} ${taskDefinitionArn}` });
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

/**
 * The releases each colour holds, as the tags say. Tags written before per-colour releases existed
 * are read as they meant: a promotion verified both its colour's release and the one before it; a
 * live colour that no run ever recorded is taken as verified by serving everyone.
 */
export function parseColorReleases(
  tags: Map<string, string>,
  recorded: RecordedOutcome | undefined,
  fallback: { live: Color; liveRevision: string; settled: boolean },
): ColorReleases {
  const releases: ColorReleases = { verified: {}, unverified: {} };
  for (const color of ['blue', 'green'] as const) {
    const verified = tags.get(verifiedTag(color));
    const unverified = tags.get(unverifiedTag(color));
    if (verified) releases.verified[color] = verified;
    if (unverified) releases.unverified[color] = unverified;
  }
  const anyVerifiedTag = tags.has(verifiedTag('blue')) || tags.has(verifiedTag('green'));
  if (anyVerifiedTag) return releases;
  if (recorded) {
    if (recorded.taskDefinition) releases.verified[recorded.liveColor] ??= recorded.taskDefinition;
    if (recorded.outcome === 'promoted' && recorded.previousTaskDefinition)
      releases.verified[recorded.previousColor] ??= recorded.previousTaskDefinition;
  } else if (fallback.settled && fallback.liveRevision) {
    releases.verified[fallback.live] = fallback.liveRevision;
  }
  return releases;
}
