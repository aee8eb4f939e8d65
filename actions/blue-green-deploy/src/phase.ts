/** What every phase works with once the lease is held, what it returns, and how it marks traffic. */
import type { AwsClients } from '../../../packages/shared/src/aws.js';
import type { Lease } from '../../../packages/shared/src/blue-green/lease.js';
import type { MoveOptions } from '../../../packages/shared/src/blue-green/move.js';
import { clearTags, SAFE_END_TAG, setColorMark } from '../../../packages/shared/src/blue-green/outcome.js';
import type { BlueGreenTarget } from '../../../packages/shared/src/blue-green/read.js';
import type { Clock } from '../../../packages/shared/src/clock.js';
import type { Diagnostics } from '../../../packages/shared/src/ecs.js';
import { ActionError } from '../../../packages/shared/src/errors.js';
import type { ProbeResult } from '../../../packages/shared/src/gates.js';
import type { Color } from '../../../packages/shared/src/traffic.js';
import type { StepRecord } from './cutover.js';
import type { Inputs } from './inputs.js';
import type { DeployState } from './state.js';

export type Outcome =
  | 'promoted'
  | 'rolled-back'
  | 'prepared'
  | 'unchanged'
  | 'cleaned-up'
  | 'failed'
  | 'traffic-split'
  | 'lock-lost'
  | 'inconclusive';

export interface DeployResult {
  outcome: Outcome;
  /** The release this run deployed (or, for rollback and cleanup, the one now live). */
  taskDefinitionArn?: string;
  /** What the colour live before the run ran. */
  previousTaskDefinitionArn?: string;
  /** The colour with all traffic after the run. */
  liveColor: Color;
  /** The colour live before the run. */
  previousColor: Color;
  steps: StepRecord[];
  notices: string[];
  /** The colour and release the test listener serves after prepare. */
  testListener?: { color: Color; taskDefinitionArn: string };
}

export class DeployFailure extends ActionError {
  constructor(
    message: string,
    readonly partial: Partial<DeployResult> & { steps: StepRecord[]; notices: string[] },
    readonly diagnostics?: Diagnostics,
  ) {
    super(message);
  }
}

export interface DeployContext {
  inputs: Inputs;
  clients: AwsClients;
  clock: Clock;
  holder: string;
  log: (line: string) => void;
  readFile: (path: string) => string;
  save: (state: DeployState) => void;
  /** For the lock's pause between contended attempts (default Math.random). */
  random?: () => number;
  /** Folds a long stretch of the log under a title (core.group on a runner). */
  group?: <T>(title: string, work: () => Promise<T>) => Promise<T>;
  /** The HTTP probe of the gates (default: a real GET). */
  probe?: (url: string, timeoutMs: number) => Promise<ProbeResult>;
}

export interface PhaseContext extends DeployContext {
  target: BlueGreenTarget;
  lease: Lease;
  /** The run's clock: every sleep keeps the lease. */
  clock: Clock;
  state: DeployState;
  notices: string[];
}

/** Options for every traffic move of a run: the lease is checked right before each write. */
export function moveOptions(run: PhaseContext): MoveOptions {
  return {
    clock: run.clock,
    log: run.log,
    guard: () => run.lease.check(),
    waitTimeoutMs: run.inputs['wait-timeout'],
  };
}

/** From here on, if the run dies, traffic must end with all of it on `color` (post state and a tag). */
export async function markSafeEnd(run: PhaseContext, color: Color, why: string): Promise<void> {
  run.state.safeEnd = { color, why };
  run.save(run.state);
  await setColorMark(run.clients.elbv2, run.target.production.arn, SAFE_END_TAG, {
    color,
    detail: run.holder,
  });
}

/**
 * Traffic is where it must be: nothing for the post step or a recovery job to do. recordOutcome
 * removes the safe-end tag with the rest; `clearTag` removes it when no outcome is recorded.
 */
export async function markSettled(run: PhaseContext, options: { clearTag: boolean }): Promise<void> {
  run.state.safeEnd = undefined;
  run.save(run.state);
  if (options.clearTag) await clearTags(run.clients.elbv2, run.target.production.arn, [SAFE_END_TAG]);
}
