/**
 * The watch and the next deploy: whether the release a monitor watches still serves customers, is
 * being moved by another run, or was replaced. Pure, so the interplay is one table of tests.
 */
import type { Color } from '../traffic.js';
import { OUTCOME_TAGS, parseColorMark, parseRecordedOutcome, SAFE_END_TAG } from './outcome.js';
import { describeWeights } from './read.js';

/** The release a monitor watches: the colour that was live when the watch began, and what it ran. */
export interface WatchedRelease {
  color: Color;
  taskDefinition: string;
  /** What the tags recorded as live when the watch began (old tags may lag what ECS runs). */
  recordedAtStart?: string;
}

export type WatchState =
  /** The watched release has all the traffic and nobody is moving it. */
  | { kind: 'watching' }
  /** Another run is moving traffic (its safe end is set, or traffic is split): checks neither count nor roll back. */
  | { kind: 'paused'; why: string }
  /** Another release serves customers now: the watch is over. */
  | { kind: 'superseded'; why: string };

/** Classifies what the production rule's weights and tags say, as seen at one check. */
export function watchState(
  watched: WatchedRelease,
  weights: Record<Color, number>,
  tags: Map<string, string>,
  holder: string,
): WatchState {
  const safeEnd = parseColorMark(tags.get(SAFE_END_TAG));
  if (safeEnd && safeEnd.detail !== holder)
    return {
      kind: 'paused',
      why: `${safeEnd.detail} is moving traffic (${describeWeights(weights)}; if it stops, all of it goes to ${safeEnd.color})`,
    };
  const other: Color = watched.color === 'blue' ? 'green' : 'blue';
  if (weights[watched.color] > 0 && weights[other] > 0)
    return { kind: 'paused', why: `traffic is split (${describeWeights(weights)})` };
  const recorded = parseRecordedOutcome(tags);
  const by = recorded?.run ? `${recorded.run} (${recorded.outcome})` : 'another hand';
  if (weights[watched.color] === 0)
    return {
      kind: 'superseded',
      why: `${other} serves all traffic now${recorded?.liveColor === other && recorded.taskDefinition ? ` with ${recorded.taskDefinition}` : ''}, moved there by ${by}`,
    };
  const liveRelease = tags.get(OUTCOME_TAGS.taskDefinition);
  if (
    recorded?.liveColor === watched.color &&
    liveRelease &&
    liveRelease !== watched.taskDefinition &&
    liveRelease !== watched.recordedAtStart
  )
    return {
      kind: 'superseded',
      why: `${watched.color} runs ${liveRelease} now, put there by ${by}`,
    };
  return { kind: 'watching' };
}
