/** What a rehearsal is given and what it reports: jobs, legs and steps as a runner would show them. */
import type { Annotation } from './runner.js';
import type { ConcurrencyBoard } from './concurrency.js';
import type { Json } from './expressions.js';
import type { Permissions } from './permissions.js';
import type { Combination } from './matrix.js';

export type Outcome = 'success' | 'failure' | 'skipped' | 'cancelled';

/**
 * How a step was carried out: `run` in bash, `action` (a JavaScript action's bundle), `composite`,
 * `emulated` (a third-party action the rehearsal stands in for: checkout, artifacts), `not-run`
 * (a third-party action it cannot run; counted as success), `stubbed` (a run step the scenario
 * replaced, e.g. a toolchain this machine does not have).
 */
export type StepKind = 'run' | 'action' | 'composite' | 'emulated' | 'not-run' | 'stubbed';

export interface StepRecord {
  /** `<job path>/<step id>`, e.g. `production/deploy/shift`. */
  key: string;
  id: string;
  name: string;
  kind: StepKind;
  outcome: Outcome;
  conclusion: Outcome;
  outputs: Record<string, string>;
  annotations: Annotation[];
  summary: string;
  /** The step's log, masked as the runner masks it. */
  log: string;
  /** Inputs the rehearsal set instead of the workflow's (time scaling), as `name: given → used`. */
  overridden: string[];
  note?: string;
  seconds: number;
}

export interface JobRecord {
  /** `production` or, inside a called workflow, `production/deploy`. */
  path: string;
  /** With the matrix values: `production (svc-portal)`. */
  name: string;
  matrix?: Combination;
  result: Outcome;
  outputs: Record<string, string>;
  environment?: string;
  steps: StepRecord[];
  /** A matrix job's legs, one per combination. */
  legs?: JobRecord[];
  /** The reusable workflow this job called, as it ran. */
  called?: WorkflowRecord;
  /** Why the job did not start: its environment's protection rules, or its concurrency group. */
  refused?: string;
  seconds: number;
}

export interface WorkflowRecord {
  file: string;
  jobs: JobRecord[];
  outputs: Record<string, string>;
  result: Outcome;
  /** `vars.X` and `secrets.Y` the run read that were never set (GitHub reads them as ''), top level only. */
  unsetReads?: string[];
  /** Why the run was cancelled: a newer run in its concurrency group, or `cancel` aborted. */
  cancelled?: string;
}

/** An environment's protection rules, as GitHub's settings name them. */
export interface EnvironmentRules {
  /** Required reviewers: any one of them approves. */
  reviewers?: string[];
  /** The person who started the run may not approve it. */
  preventSelfReview?: boolean;
  /** Deployment branch policy: the branches (patterns, `*` within a path segment, `**` across) that may deploy. */
  branches?: string[];
  /** Tags that may deploy (patterns); none unless listed when a policy is set. */
  tags?: string[];
  /** Minutes GitHub waits before the job starts (not waited in a rehearsal; said). */
  waitTimerMinutes?: number;
}

export interface StepWhere {
  /** `<job path>/<step id>` of the workflow file as written, without matrix values. */
  key: string;
  matrix?: Combination;
  inputs: Record<string, Json>;
}

export interface RehearsalOptions {
  /** The workflow file to run. */
  workflow: string;
  /** Where `mpac/actions/<path>@<ref>` resolves: this suite's checkout (the ref is not looked at). */
  suiteRoot: string;
  /** The repository the workflow runs in (GITHUB_WORKSPACE); `./path` resolves here. */
  workspace: string;
  event: { name: string; payload?: Json; inputs?: Record<string, Json> };
  ref: string;
  sha: string;
  repository: string;
  runId: number;
  vars?: Record<string, string>;
  secrets?: Record<string, string>;
  /** The job's GITHUB_TOKEN (github.token); masked. */
  githubToken?: string;
  /** Environment of every step: PATH, HOME, endpoints of local stand-ins. */
  env?: Record<string, string>;
  /** More environment for the jobs of a GitHub environment (a staging and a production account). */
  environmentEnv?: (environment: string | undefined) => Record<string, string>;
  /** Where a job granted `id-token: write` requests its OIDC token. */
  oidc?: { url: string; token: string };
  /** Where one job requests OIDC tokens carrying its claims (`sub`, `environment`, `ref`); before `oidc`. */
  oidcFor?: (claims: Record<string, string>) => { url: string; token: string };
  /** A job's own GITHUB_TOKEN for its permissions (the GitHub stand-in holds it to them); before `githubToken`. */
  githubTokenFor?: (permissions: Permissions) => string;
  /** Inputs of this suite's actions set instead of the workflow's, by action name: time scaling. */
  overrides?: Record<string, Record<string, string>>;
  /** Run steps replaced by these scripts, by `<job path>/<step id>`. */
  stubs?: Record<string, string>;
  /**
   * The runner of one step's job dies while the step runs, once its output matches `when` (a
   * machine lost mid-cutover): the step's processes are killed, no later step or post step runs,
   * and the job fails as GitHub fails it; jobs that need it see `failure()`.
   */
  loseRunner?: { step: string; when: RegExp };
  /** Called before each step starts (scenarios break a release at a given point). */
  beforeStep?: (where: StepWhere) => Promise<void> | void;
  /** GitHub environments' protection rules, by environment name (unlisted environments have none). */
  environments?: Record<string, EnvironmentRules>;
  /** Who approved the deployment reviews of this run, by environment (`--approve production=alice`). */
  approvals?: Record<string, string[]>;
  /** Told of each approval a job's environment got (the GitHub stand-in's review history of the run). */
  onApproval?: (environment: string, reviewer: string) => void;
  /** Who started the run (github.actor; prevent-self-review refuses their approval). Default `rehearsal`. */
  actor?: string;
  /**
   * The repository's concurrency groups: give two rehearsals the same board to run them as one
   * repository's runs (default: a board of this run's own).
   */
  concurrency?: ConcurrencyBoard;
  /** Cancels the run, as the Cancel button does: running steps get SIGINT, then always() steps and post steps. */
  cancel?: AbortSignal;
  /** Upper bound of any one step (default 10 min); the file's own timeout-minutes may be shorter. */
  stepTimeoutMs?: number;
  log?: (line: string) => void;
}
