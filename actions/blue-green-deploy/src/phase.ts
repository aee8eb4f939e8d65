/** What every phase works with once the lease is held, what it returns, and how it marks traffic. */
import type { AwsClients } from '../../../packages/shared/src/aws.js';
import type { Lease } from '../../../packages/shared/src/blue-green/lease.js';
import type { Mover } from '../../../packages/shared/src/blue-green/move.js';
import type { BlueGreenTarget } from '../../../packages/shared/src/blue-green/read.js';
import type { Clock } from '../../../packages/shared/src/clock.js';
import type { Diagnostics } from '../../../packages/shared/src/ecs.js';
import { ActionError } from '../../../packages/shared/src/errors.js';
import type { HttpRequest, HttpResponse } from '../../../packages/shared/src/checks/http.js';
import type { Color } from '../../../packages/shared/src/traffic.js';
import type { StepRecord } from './cutover.js';
import type { Inputs } from './inputs.js';
import type { ResolvedTaskDefinition } from './prepare.js';
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
  | 'lock-unverified'
  | 'refused'
  | 'inconclusive'
  /** Phase standby: the standby's live colour now runs the release. */
  | 'standby-updated';

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
  /** The release already resolved (phase standby resolves its own before the lock). */
  resolved?: ResolvedTaskDefinition;
  /** HTTP for the gates' probe, bounded as a whole by its deadline. */
  send: (request: HttpRequest, timeoutMs: number) => Promise<HttpResponse>;
}

export interface PhaseContext extends DeployContext {
  target: BlueGreenTarget;
  lease: Lease;
  /** The run's clock: every sleep keeps the lease. */
  clock: Clock;
  /** The runner's clock, without the lease. */
  baseClock: Clock;
  state: DeployState;
  notices: string[];
}

/** The run as the one move sees it: its lease held, its safe end saved for the post step as it changes. */
export function mover(run: PhaseContext): Mover {
  return {
    clients: run.clients,
    target: run.target,
    holder: run.holder,
    clock: run.baseClock,
    log: run.log,
    waitTimeoutMs: run.inputs['wait-timeout'],
    restoreTimeoutMs: run.inputs['restore-timeout'],
    lease: { held: run.lease },
    save: (progress) => {
      run.state.safeEnd = progress.safeEnd;
      run.state.pendingTags = progress.pendingTags;
      run.save(run.state);
    },
  };
}

/** The deploy lease's options from the inputs: every phase and strategy takes it the same way. */
export function leaseOptions(context: DeployContext) {
  return {
    holder: context.holder,
    ttlMs: context.inputs['lock-ttl'],
    waitMs: context.inputs['lock-wait'],
    clock: context.clock,
    log: context.log,
    random: context.random,
  };
}
