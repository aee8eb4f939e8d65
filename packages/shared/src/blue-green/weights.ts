/**
 * Writing production weights: one change, verified by reading it back. Only the one move (move.ts)
 * calls these; it owns the lease, the safe end, the release checks and the outcome around them.
 */
import {
  ModifyListenerCommand,
  ModifyRuleCommand,
  type Action,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Clock } from '../clock.js';
import { ActionError } from '../errors.js';
import { pollUntil } from '../poll.js';
import {
  analyseTraffic,
  forwardWithWeights,
  otherColor,
  readProductionActions,
  type Color,
  type ColorGroups,
  type ProductionTarget,
} from '../traffic.js';
import {
  describeWeights,
  readColors,
  type BlueGreenClients,
  type BlueGreenTarget,
  type ColorsState,
} from './read.js';

export interface WeightOptions {
  clock: Clock;
  log: (line: string) => void;
  /** The weights the caller last saw; any other weights mean another hand moved traffic. */
  expect?: Record<Color, number>;
  /** Runs right before the write: the lease check. */
  guard?: () => Promise<void>;
  /** How long the weights may take to read back as written (default 30 s). */
  readBackTimeoutMs?: number;
}

/** Traffic was moved by someone else since this run last looked. */
export class TrafficChangedError extends ActionError {}

/** The weights are not where they must be, and the run could not put them there. */
export class TrafficSplitError extends ActionError {
  constructor(
    message: string,
    readonly weights?: Record<Color, number>,
  ) {
    super(message);
  }
}

/**
 * Puts `percent` of production traffic on `to` and the rest on the other colour, reading the split
 * afresh first; returns the colours after. Writes nothing when the weights are already there.
 */
export async function setWeights(
  clients: BlueGreenClients,
  target: BlueGreenTarget,
  to: Color,
  percent: number,
  options: WeightOptions,
): Promise<ColorsState> {
  const before = await readColors(clients, target);
  const { weights } = before.traffic;
  const actions = forwardWithWeights(before.traffic, before.groups, to, percent);
  const after = analyseTraffic(actions, before.groups);
  // Already there (a retry after a write whose answer was lost): nothing to write.
  if (weights.blue === after.weights.blue && weights.green === after.weights.green) return before;
  if (options.expect && (weights.blue !== options.expect.blue || weights.green !== options.expect.green)) {
    throw new TrafficChangedError(
      `Traffic was moved by someone else: expected ${describeWeights(options.expect)}, found ${describeWeights(weights)}. This run stopped touching traffic.`,
    );
  }
  await options.guard?.();
  await writeAndReadBack(clients, target.production, actions, before.groups, options);
  return {
    ...before,
    sides: {
      blue: { ...before.sides.blue, weight: after.weights.blue },
      green: { ...before.sides.green, weight: after.weights.green },
    },
    traffic: after,
    live: after.live,
    idle: after.idle,
    split: after.weights.blue > 0 && after.weights.green > 0,
  };
}

/** Writes the actions as they are (ModifyRule / ModifyListener replace the whole list). */
async function writeActions(
  elbv2: ElasticLoadBalancingV2Client,
  target: ProductionTarget,
  actions: Action[],
): Promise<void> {
  if (target.kind === 'rule')
    await elbv2.send(new ModifyRuleCommand({ RuleArn: target.arn, Actions: actions }));
  else await elbv2.send(new ModifyListenerCommand({ ListenerArn: target.arn, DefaultActions: actions }));
}

/** Writes the actions and reads them back until the weights match (ELB reads may lag a write). */
async function writeAndReadBack(
  clients: BlueGreenClients,
  where: ProductionTarget,
  actions: Action[],
  groups: ColorGroups,
  options: Pick<WeightOptions, 'clock' | 'readBackTimeoutMs'>,
): Promise<void> {
  const wanted = analyseTraffic(actions, groups).weights;
  await writeActions(clients.elbv2, where, actions);
  const readBack = await pollUntil({
    clock: options.clock,
    timeoutMs: options.readBackTimeoutMs ?? 30_000,
    minIntervalMs: 200,
    read: async () => {
      const weights = analyseTraffic(await readProductionActions(clients.elbv2, where), groups).weights;
      const done = weights.blue === wanted.blue && weights.green === wanted.green;
      return { done, key: describeWeights(weights), value: weights };
    },
  });
  if (!readBack.done) {
    throw new TrafficSplitError(
      `Weights on ${where.arn} did not take: asked for ${describeWeights(wanted)}, read back ${describeWeights(readBack.value)}`,
      readBack.value,
    );
  }
}

/**
 * Points the test listener at one colour only (the idle one, before smoke tests) and reads it back.
 * Returns false when it already pointed there.
 */
export async function pointTestListener(
  clients: BlueGreenClients,
  test: ProductionTarget,
  color: Color,
  groups: ColorGroups,
  options: Pick<WeightOptions, 'clock' | 'readBackTimeoutMs' | 'guard'>,
): Promise<boolean> {
  const current = analyseTraffic(await readProductionActions(clients.elbv2, test), groups);
  if (current.weights[otherColor(color)] === 0) return false;
  await options.guard?.();
  const actions: Action[] = [
    {
      Type: 'forward',
      ...(current.actions[0]?.Order !== undefined ? { Order: current.actions[0].Order } : {}),
      ForwardConfig: { TargetGroups: [{ TargetGroupArn: groups[color], Weight: 1 }] },
    },
  ];
  await writeAndReadBack(clients, test, actions, groups, options);
  return true;
}
