/**
 * Moving production traffic between the colours: the one way every action changes weights. Each move
 * re-reads the state, refuses to write over someone else's change, brings a scaled-down destination
 * up first, writes, and reads the weights back until they match.
 */
import type { Action } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Clock } from '../clock.js';
import { updateService, waitForHealthyService } from '../ecs.js';
import { ActionError } from '../errors.js';
import { pollUntil } from '../poll.js';
import {
  analyseTraffic,
  forwardWithWeights,
  otherColor,
  readProductionActions,
  writeActions,
  type Color,
  type ColorGroups,
  type ProductionTarget,
} from '../traffic.js';
import { LeaseLostError } from './lease.js';
import {
  describeWeights,
  readBlueGreen,
  type BlueGreenClients,
  type BlueGreenState,
  type BlueGreenTarget,
} from './read.js';

export interface MoveOptions {
  clock: Clock;
  log: (line: string) => void;
  /** The weights the caller last saw; any other weights mean another hand moved traffic. */
  expect?: Record<Color, number>;
  /** Runs right before the write: the lease check. */
  guard?: () => Promise<void>;
  /** Longest wait for a scaled-down destination to become healthy. */
  waitTimeoutMs: number;
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

/** Puts `percent` of production traffic on `to` and the rest on the other colour; returns the state after. */
export async function moveTraffic(
  clients: BlueGreenClients,
  target: BlueGreenTarget,
  to: Color,
  percent: number,
  options: MoveOptions,
): Promise<BlueGreenState> {
  const before = await readBlueGreen(clients, target);
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
  const destination = before.sides[to];
  if (
    percent > 0 &&
    (destination.desiredCount === 0 || destination.runningCount < destination.desiredCount)
  ) {
    const desiredCount = destination.desiredCount || Math.max(1, before.sides[otherColor(to)].desiredCount);
    if (destination.desiredCount === 0) {
      options.log(
        `${destination.serviceName} (${to}) was scaled down; bringing ${desiredCount} tasks back first`,
      );
      await options.guard?.();
      await updateService(clients.ecs, target.cluster, destination.serviceName, { desiredCount });
    }
    await waitForHealthyService(clients.ecs, clients.elbv2, {
      cluster: target.cluster,
      service: destination.serviceName,
      targetGroupArn: destination.targetGroupArn,
      taskDefinitionArn: destination.taskDefinition,
      desiredCount,
      timeoutMs: options.waitTimeoutMs,
      clock: options.clock,
      log: options.log,
    });
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

/** Writes the actions and reads them back until the weights match (ELB reads may lag a write). */
async function writeAndReadBack(
  clients: BlueGreenClients,
  where: ProductionTarget,
  actions: Action[],
  groups: ColorGroups,
  options: Pick<MoveOptions, 'clock' | 'readBackTimeoutMs'>,
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
  options: Pick<MoveOptions, 'clock' | 'readBackTimeoutMs' | 'guard'>,
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

/** Errors worth retrying while restoring: AWS and network trouble, not refusals or a lost lease. */
function isTransient(error: unknown): boolean {
  return !(error instanceof ActionError) || error instanceof TrafficSplitError;
}

export interface RestoreOptions extends MoveOptions {
  /** Keep retrying AWS errors this long before failing loudly. */
  retryForMs: number;
}

/**
 * Drives all traffic to `to`, retrying AWS errors with backoff for up to `retryForMs`. When it cannot,
 * it fails loudly naming the split as last seen and how to fix it; it never returns with traffic split.
 */
export async function rollBackTo(
  clients: BlueGreenClients,
  target: BlueGreenTarget,
  to: Color,
  options: RestoreOptions,
): Promise<BlueGreenState> {
  const deadline = options.clock.now() + options.retryForMs;
  let pauseMs = 1000;
  let attempt = 0;
  for (;;) {
    attempt++;
    try {
      return await moveTraffic(clients, target, to, 100, options);
    } catch (error) {
      if (error instanceof LeaseLostError || !isTransient(error)) throw error;
      const remaining = deadline - options.clock.now();
      const message = error instanceof Error ? error.message : String(error);
      if (remaining <= 0) {
        const seen = await readBlueGreen(clients, target).catch(() => undefined);
        const split = seen
          ? `traffic is split ${describeWeights(seen.traffic.weights)}`
          : 'traffic could not be read';
        const runs = seen
          ? ` between blue (${seen.sides.blue.taskDefinition}) and green (${seen.sides.green.taskDefinition})`
          : '';
        throw new TrafficSplitError(
          `Could not put all traffic on ${to} after ${attempt} attempts (${message}): ${split}${runs}. ` +
            `Run blue-green-deploy with phase: rollback and to-color: ${to} to finish it.`,
          seen?.traffic.weights,
        );
      }
      options.log(
        `Could not put all traffic on ${to} yet (${message}); retrying in ${Math.round(pauseMs / 1000)} s`,
      );
      await options.clock.sleep(Math.min(pauseMs, remaining));
      pauseMs = Math.min(15_000, pauseMs * 2);
    }
  }
}
