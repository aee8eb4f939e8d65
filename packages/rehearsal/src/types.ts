/** What a rehearsal is given and what it reports: jobs, legs and steps as a runner would show them. */
import type { Annotation } from '../../shared/testing/run-bundled-action.js';
import type { Json } from './expressions.js';
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
  seconds: number;
}

export interface WorkflowRecord {
  file: string;
  jobs: JobRecord[];
  outputs: Record<string, string>;
  result: Outcome;
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
  /** Inputs of this suite's actions set instead of the workflow's, by action name: time scaling. */
  overrides?: Record<string, Record<string, string>>;
  /** Run steps replaced by these scripts, by `<job path>/<step id>`. */
  stubs?: Record<string, string>;
  /** Called before each step starts (scenarios break a release at a given point). */
  beforeStep?: (where: StepWhere) => Promise<void> | void;
  /** Upper bound of any one step (default 10 min); the file's own timeout-minutes may be shorter. */
  stepTimeoutMs?: number;
  log?: (line: string) => void;
}
