/**
 * Jobs as GitHub schedules them: each once the jobs it needs are done, its `if` against their
 * results, one leg per matrix combination, steps in order with `steps.<id>` and the status
 * functions, post steps at the end, outputs last. A job that calls a reusable workflow runs that
 * workflow's jobs with `inputs`, `secrets` and outputs passed as `workflow_call` passes them.
 */
import { setMaxListeners } from 'node:events';
import { isMapping } from '@actions/workflow-parser';
import type { Job, ReusableWorkflowJob, WorkflowJob } from '@actions/workflow-parser/model/workflow-template';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { applyMasks } from './runner.js';
import {
  asText,
  evaluate,
  reportUnsetReads,
  evaluateMapping,
  evaluateToken,
  truthy,
  type Contexts,
  type Json,
  type Status,
} from './expressions.js';
import { ConcurrencyBoard, concurrencySetting } from './concurrency.js';
import { allows, jobPermissions, permissionsOf, type Permissions } from './permissions.js';
import { expandStrategy, legName, type Combination } from './matrix.js';
import { environmentGate } from './protection.js';
import { RUNNER_LOST, runPostStep, runStep, type PostStep, type StepOutcome } from './steps.js';
import type { JobRecord, Outcome, RehearsalOptions, StepRecord, WorkflowRecord } from './types.js';
import { at, loadWorkflow, resolveUses, type LoadedWorkflow } from './workflow.js';

/** What a run shares across its jobs and called workflows. */
export interface Run {
  options: RehearsalOptions;
  github: Record<string, Json>;
  tempRoot: string;
  artifactsDir: string;
  eventPath: string;
  /** Everything masked so far: secrets, the token, `::add-mask::` values. */
  masks: Set<string>;
  log: (line: string) => void;
  /** Reports a read of a `vars` or `secrets` name that was never set. */
  unsetRead: (context: 'vars' | 'secrets', name: string) => void;
  /** The repository's concurrency groups, shared with other runs given the same board. */
  board: ConcurrencyBoard;
}

/** How a workflow was called: its inputs and secrets, and the permissions the caller passed down. */
export interface Call {
  /** Where the called jobs are, for stubs and hooks: `production` (no matrix values). */
  path: string;
  /** How they are shown: `production (svc-portal)`. */
  name: string;
  inputs: Record<string, Json>;
  secrets: Record<string, string>;
  /** For a called workflow: the calling job's token scopes, which its jobs cannot exceed. */
  callerPermissions?: Permissions;
  /** Aborted when what contains these jobs (the run, the calling job) is cancelled. */
  cancel?: AbortSignal;
}

/** A controller that is aborted when its parent is (a job within its workflow). */
function cancellable(parent: AbortSignal | undefined): AbortController {
  const controller = new AbortController();
  // Every job of a workflow (a matrix of services, each calling workflows) listens to its signal:
  // as many listeners as jobs, which GitHub bounds at 256 per matrix, not a leak.
  setMaxListeners(0, controller.signal);
  if (parent?.aborted) controller.abort(parent.reason);
  else parent?.addEventListener('abort', () => controller.abort(parent.reason), { once: true });
  return controller;
}

export async function runWorkflow(loaded: LoadedWorkflow, call: Call, run: Run): Promise<WorkflowRecord> {
  const controller = cancellable(call.cancel);
  const setting = concurrencySetting(at(loaded.root, 'concurrency'), baseContexts(run, call));
  const label = call.name || `${path.basename(loaded.file)} (run ${asText(run.github.run_id ?? '')})`;
  const entered = setting
    ? await run.board.enter(
        setting,
        { name: label, cancel: (reason) => cancelWith(controller, reason, label, run) },
        run.log,
      )
    : undefined;
  if (entered && 'cancelled' in entered) {
    run.log(`⊘ ${label}: ${entered.cancelled}`);
    return { file: loaded.file, jobs: [], outputs: {}, result: 'cancelled', cancelled: entered.cancelled };
  }
  try {
    return await runWorkflowJobs(loaded, { ...call, cancel: controller.signal }, run);
  } finally {
    if (entered) entered.leave();
  }
}

function cancelWith(controller: AbortController, reason: string, name: string, run: Run): void {
  if (controller.signal.aborted) return;
  run.log(`⊘ ${name}: ${reason}`);
  controller.abort(reason);
}

async function runWorkflowJobs(loaded: LoadedWorkflow, call: Call, run: Run): Promise<WorkflowRecord> {
  const byId = new Map(loaded.template.jobs.map((job) => [job.id.value, job]));
  const started = new Map<string, Promise<JobRecord>>();
  const start = (job: WorkflowJob): Promise<JobRecord> => {
    const id = job.id.value;
    if (!started.has(id))
      started.set(
        id,
        (async () => {
          const needs = await Promise.all((job.needs ?? []).map((need) => start(byId.get(need.value)!)));
          return runJob(loaded, job, needs, call, run);
        })(),
      );
    return started.get(id)!;
  };
  const jobs = await Promise.all(loaded.template.jobs.map(start));
  const jobsContext = Object.fromEntries(
    jobs.map((job) => [job.path.split('/').at(-1)!, { result: job.result, outputs: job.outputs }]),
  );
  const outputs: Record<string, string> = {};
  const declared = at(loaded.root, 'on', 'workflow_call', 'outputs');
  if (declared && isMapping(declared))
    for (const pair of declared) {
      const name = asText(evaluateToken(pair.key, {}));
      outputs[name] = asText(
        evaluateToken(at(pair.value, 'value'), { ...baseContexts(run, call), jobs: jobsContext }),
      );
    }
  const result: Outcome = jobs.some((job) => job.result === 'failure')
    ? 'failure'
    : call.cancel?.aborted || jobs.some((job) => job.result === 'cancelled')
      ? 'cancelled'
      : 'success';
  return {
    file: loaded.file,
    jobs,
    outputs,
    result,
    cancelled: call.cancel?.aborted ? asText(call.cancel.reason as Json) : undefined,
  };
}

function baseContexts(run: Run, call: Call): Contexts {
  return { github: run.github, vars: run.options.vars ?? {}, inputs: call.inputs };
}

async function runJob(
  loaded: LoadedWorkflow,
  job: WorkflowJob,
  needs: JobRecord[],
  call: Call,
  run: Run,
): Promise<JobRecord> {
  const id = job.id.value;
  const jobPath = call.path ? `${call.path}/${id}` : id;
  const jobName = call.name ? `${call.name}/${id}` : id;
  const began = Date.now();
  const needsContext = Object.fromEntries(
    needs.map((need) => [need.path.split('/').at(-1)!, { result: need.result, outputs: need.outputs }]),
  );
  const contexts: Contexts = { ...baseContexts(run, call), needs: needsContext };
  const cancelled = call.cancel?.aborted ?? false;
  const status: Status = {
    success: !cancelled && needs.every((need) => need.result === 'success'),
    failure: needs.some((need) => need.result === 'failure'),
    cancelled,
  };
  const skipped = (why: string): JobRecord => {
    // A job that does not start because its run was cancelled ends cancelled, as on GitHub.
    const result = cancelled ? 'cancelled' : 'skipped';
    run.log(`○ ${jobName}: ${result} (${why})`);
    return { path: jobPath, name: jobName, result, outputs: {}, steps: [], seconds: 0 };
  };
  if (!truthy(evaluate(job.if?.expression ?? 'success()', contexts, status)))
    return skipped(`if: ${job.if?.expression}`);

  const strategy = expandStrategy(evaluateToken(job.strategy, contexts));
  const legs = await Promise.all(
    strategy.combinations.map((combination, index) =>
      runLeg(
        loaded,
        job,
        jobPath,
        jobName,
        combination,
        { 'fail-fast': strategy.failFast, 'job-index': index, 'job-total': strategy.combinations.length },
        contexts,
        call,
        run,
      ),
    ),
  );
  if (legs.length === 1 && Object.keys(strategy.combinations[0]!).length === 0) return legs[0]!;
  return {
    path: jobPath,
    name: jobName,
    result: legs.some((leg) => leg.result === 'failure')
      ? 'failure'
      : legs.some((leg) => leg.result === 'cancelled')
        ? 'cancelled'
        : 'success',
    // As on GitHub, the legs' outputs land in one set; the last leg to set a name wins.
    outputs: Object.assign({}, ...legs.map((leg) => leg.outputs)) as Record<string, string>,
    steps: [],
    seconds: (Date.now() - began) / 1000,
    legs,
  };
}

async function runLeg(
  loaded: LoadedWorkflow,
  job: WorkflowJob,
  jobPath: string,
  jobName: string,
  matrix: Combination,
  strategy: Record<string, Json>,
  outer: Contexts,
  call: Call,
  run: Run,
): Promise<JobRecord> {
  const name = legName(jobName, matrix);
  const contexts: Contexts = { ...outer, matrix, strategy, secrets: call.secrets };
  const granted = jobPermissions(
    job.id.value,
    permissionsOf(evaluateToken(at(loaded.root, 'jobs', job.id.value, 'permissions'), {})),
    permissionsOf(evaluateToken(at(loaded.root, 'permissions'), {})),
    call.callerPermissions,
  );
  if ('refused' in granted)
    return notStarted({ path: jobPath, name, matrix }, 'failure', granted.refused, run);
  if (job.type === 'reusableWorkflowJob')
    return callWorkflow(job, jobPath, name, matrix, contexts, granted.permissions, call.cancel, run);
  return runSteps(loaded, job, jobPath, name, matrix, contexts, granted.permissions, call.cancel, run);
}

async function callWorkflow(
  job: ReusableWorkflowJob,
  jobPath: string,
  name: string,
  matrix: Combination,
  contexts: Contexts,
  permissions: Permissions,
  cancel: AbortSignal | undefined,
  run: Run,
): Promise<JobRecord> {
  const began = Date.now();
  const target = resolveUses(job.ref.value, {
    suiteRoot: run.options.suiteRoot,
    workspace: run.options.workspace,
  });
  if (target.kind !== 'workflow') {
    run.log(`✗ ${name}: ${job.ref.value} is not a workflow this rehearsal can read`);
    return { path: jobPath, name, matrix, result: 'failure', outputs: {}, steps: [], seconds: 0 };
  }
  const callee = await loadWorkflow(target.file);
  const given = (evaluateToken(job['input-values'], contexts) ?? {}) as Record<string, Json>;
  const definitions = callee.template.events.workflow_call?.inputs ?? {};
  const unknown = Object.keys(given).filter((input) => !(input in definitions));
  const missing = Object.entries(definitions)
    .filter(([input, definition]) => definition.required && !(input in given))
    .map(([input]) => input);
  if (unknown.length > 0 || missing.length > 0) {
    const problems = [
      ...unknown.map((input) => `${input} is not an input of ${job.ref.value}`),
      ...missing.map((input) => `${input} is required by ${job.ref.value}`),
    ];
    run.log(`✗ ${name}: ${problems.join('; ')}`);
    return { path: jobPath, name, matrix, result: 'failure', outputs: {}, steps: [], seconds: 0 };
  }
  const inputs: Record<string, Json> = {};
  for (const [input, definition] of Object.entries(definitions)) {
    const value =
      input in given
        ? given[input]!
        : definition.default !== undefined
          ? typeof definition.default === 'object'
            ? evaluateToken(definition.default as unknown as TemplateToken, { github: contexts.github })
            : definition.default
          : null;
    inputs[input] = coerceInput(value, definition.type);
  }
  const secrets = job['inherit-secrets']
    ? (contexts.secrets as Record<string, string>)
    : reportUnsetReads(evaluateMapping(job['secret-values'], contexts), (secret) =>
        run.unsetRead('secrets', secret),
      );
  run.log(`▶ ${name}: calls ${job.ref.value}`);
  const called = await runWorkflow(
    callee,
    { path: jobPath, name, inputs, secrets, callerPermissions: permissions, cancel },
    run,
  );
  return {
    path: jobPath,
    name,
    matrix,
    result: called.result,
    outputs: called.outputs,
    steps: [],
    called,
    seconds: (Date.now() - began) / 1000,
  };
}

function coerceInput(value: Json, type: string): Json {
  if (type === 'boolean') return value === true || value === 'true';
  if (type === 'number') return Number(value);
  return value === null ? '' : value;
}

async function runSteps(
  loaded: LoadedWorkflow,
  job: Job,
  jobPath: string,
  name: string,
  matrix: Combination,
  outer: Contexts,
  permissions: Permissions,
  cancel: AbortSignal | undefined,
  run: Run,
): Promise<JobRecord> {
  const id = job.id.value;
  const controller = cancellable(cancel);
  const setting = concurrencySetting(at(loaded.root, 'jobs', id, 'concurrency'), outer);
  const entered = setting
    ? await run.board.enter(
        setting,
        { name, cancel: (reason) => cancelWith(controller, reason, name, run) },
        run.log,
      )
    : undefined;
  if (entered && 'cancelled' in entered)
    return notStarted({ path: jobPath, name, matrix }, 'cancelled', entered.cancelled, run);
  try {
    return await runJobSteps(loaded, job, jobPath, name, matrix, outer, permissions, controller.signal, run);
  } finally {
    if (entered) entered.leave();
  }
}

async function runJobSteps(
  loaded: LoadedWorkflow,
  job: Job,
  jobPath: string,
  name: string,
  matrix: Combination,
  given: Contexts,
  permissions: Permissions,
  cancel: AbortSignal,
  run: Run,
): Promise<JobRecord> {
  const began = Date.now();
  const id = job.id.value;
  // The job's own GITHUB_TOKEN, holding only its permissions, as GitHub issues one per job.
  const token = run.options.githubTokenFor?.(permissions) ?? run.options.githubToken ?? '';
  if (token) run.masks.add(token);
  const outer: Contexts = { ...given, github: { ...(given.github as Record<string, Json>), token } };
  const environmentValue = evaluateToken(job.environment, outer);
  const environment =
    environmentValue && typeof environmentValue === 'object' && !Array.isArray(environmentValue)
      ? asText(environmentValue.name ?? null)
      : asText(environmentValue) || undefined;
  const options = run.options;
  run.log(`▶ ${name}${environment ? ` (environment ${environment})` : ''}`);
  const refused = environment
    ? environmentGate(environment, options.environments?.[environment], {
        github: run.github,
        approvals: options.approvals?.[environment],
        log: run.log,
        approved: (reviewer) => options.onApproval?.(environment, reviewer),
      })
    : undefined;
  if (refused) return notStarted({ path: jobPath, name, matrix, environment }, 'failure', refused, run);
  const tempDir = mkdtempSync(path.join(run.tempRoot, 'job-'));
  const runnerContext = { os: 'Linux', arch: 'X64', temp: tempDir, name: 'rehearsal' };
  let jobEnv: Record<string, string> = {
    ...evaluateMapping(at(loaded.root, 'env'), { ...outer }),
    ...evaluateMapping(job.env, outer),
  };
  const addedPath: string[] = [];
  const stepsContext: Record<string, Json> = {};
  const records: StepRecord[] = [];
  const posts: { post: PostStep; key: string }[] = [];
  let failed = false;
  let lost = false;
  // After a cancel, success() is false and only always()/cancelled() steps and post steps run.
  const statusNow = (): Status => ({
    success: !failed && !cancel.aborted,
    failure: failed,
    cancelled: cancel.aborted,
  });
  const jobStatus = () => (failed ? 'failure' : cancel.aborted ? 'cancelled' : 'success');
  // A job's timeout-minutes bounds the whole job, its steps together (GitHub cancels it then).
  const jobTimeout = minutes(evaluateToken(at(loaded.root, 'jobs', id, 'timeout-minutes'), outer));
  const jobDeadline = jobTimeout === undefined ? Infinity : began + jobTimeout;
  const timeoutMs = Math.min(options.stepTimeoutMs ?? 600_000, jobTimeout ?? Infinity);
  // `defaults: run:` of the job, else of the workflow.
  const runDefault = (key: string) =>
    asText(
      evaluateToken(
        at(loaded.root, 'jobs', id, 'defaults', 'run', key) ?? at(loaded.root, 'defaults', 'run', key),
        outer,
      ),
    ) || undefined;
  const defaults = { shell: runDefault('shell'), workingDirectory: runDefault('working-directory') };
  const processBase = (): Record<string, string> => ({
    ...(options.env ?? {}),
    ...(options.environmentEnv?.(environment) ?? {}),
    ...runnerVariables(run, id, tempDir),
    ...oidcVariables(permissions, environment, run),
    ...jobEnv,
    PATH: [...addedPath, options.env?.PATH ?? process.env.PATH ?? '/usr/bin:/bin'].join(':'),
  });
  try {
    for (const [index, step] of job.steps.entries()) {
      const key = `${jobPath}/${step.id}`;
      const status = statusNow();
      const contexts: Contexts = {
        ...outer,
        env: jobEnv,
        steps: stepsContext,
        job: { status: jobStatus() },
        runner: runnerContext,
      };
      const stepName = step.name ? asText(evaluateToken(step.name, contexts)) : describeStep(step);
      if (!truthy(evaluate(step.if?.expression ?? 'success()', contexts, status))) {
        stepsContext[step.id] = { outputs: {}, outcome: 'skipped', conclusion: 'skipped' };
        records.push(
          record(key, name, step.id, stepName, { kind: 'run', outcome: 'skipped' }, 'skipped', 0, run),
        );
        continue;
      }
      await options.beforeStep?.({ key, matrix, inputs: (outer.inputs ?? {}) as Record<string, Json> });
      const stepBegan = Date.now();
      const result = await runStep({
        key,
        step,
        raw: at(loaded.root, 'jobs', id, 'steps', index),
        contexts: {
          ...contexts,
          env: { ...jobEnv, ...evaluateMapping('env' in step ? step.env : undefined, contexts, status) },
        },
        status,
        processEnv: processBase(),
        defaults,
        workspace: options.workspace,
        suiteRoot: options.suiteRoot,
        tempDir,
        artifactsDir: run.artifactsDir,
        // The step's own timeout-minutes, within what is left of the job's.
        timeoutMs: Math.max(
          1,
          Math.min(
            timeoutMs,
            jobDeadline - Date.now(),
            minutes(
              evaluateToken(at(loaded.root, 'jobs', id, 'steps', index, 'timeout-minutes'), contexts),
            ) ?? Infinity,
          ),
        ),
        // A step that starts after the cancel (always(), cancelled()) runs to its end, as on GitHub.
        cancel: cancel.aborted ? undefined : cancel,
        loseRunnerWhen: options.loseRunner?.step === key ? options.loseRunner.when : undefined,
        overrides: options.overrides ?? {},
        stubs: options.stubs ?? {},
      });
      for (const mask of result.masks) if (mask) run.masks.add(mask);
      const continueOnError = truthy(
        evaluateToken(at(loaded.root, 'jobs', id, 'steps', index, 'continue-on-error'), contexts),
      );
      const conclusion: Outcome =
        result.outcome === 'failure' && continueOnError ? 'success' : result.outcome;
      if (conclusion === 'failure') failed = true;
      stepsContext[step.id] = { outputs: result.outputs, outcome: result.outcome, conclusion };
      jobEnv = { ...jobEnv, ...result.exportedEnv };
      addedPath.unshift(...result.addedPath);
      if (result.post) posts.unshift({ post: result.post, key: `${key} (post)` });
      records.push(
        record(key, name, step.id, stepName, result, conclusion, (Date.now() - stepBegan) / 1000, run),
      );
      if (result.runnerLost) {
        lost = failed = true;
        run.log(`✗ ${name}: ${RUNNER_LOST}`);
        break;
      }
    }
    // A lost runner runs nothing more: no always() step, no post step.
    for (const { post, key } of lost ? [] : posts) {
      const status = statusNow();
      const contexts: Contexts = { ...outer, env: jobEnv, steps: stepsContext, job: { status: jobStatus() } };
      if (!truthy(evaluate(post.postIf, contexts, status))) continue;
      const began = Date.now();
      const result = await runPostStep(post, tempDir, timeoutMs);
      for (const mask of result.masks) if (mask) run.masks.add(mask);
      // A post step that fails fails the job, as on GitHub.
      if (result.outcome === 'failure') failed = true;
      records.push(
        record(
          key,
          name,
          `${key.split('/').at(-1)}`,
          `Post ${post.name}`,
          result,
          result.outcome,
          (Date.now() - began) / 1000,
          run,
        ),
      );
    }
  } finally {
    rmSync(tempDir, { recursive: true, force: true });
  }
  const outputs = evaluateMapping(job.outputs, { ...outer, steps: stepsContext, env: jobEnv });
  const result: Outcome = failed ? 'failure' : cancel.aborted ? 'cancelled' : 'success';
  run.log(
    `${result === 'success' ? '✓' : result === 'cancelled' ? '⊘' : '✗'} ${name}: ${result} in ${((Date.now() - began) / 1000).toFixed(1)} s`,
  );
  return {
    path: jobPath,
    name,
    matrix,
    result,
    outputs,
    environment,
    steps: records,
    seconds: (Date.now() - began) / 1000,
  };
}

/** A job that never ran a step: refused (permissions, environment rules) or cancelled while waiting. */
function notStarted(
  where: { path: string; name: string; matrix?: Combination; environment?: string },
  result: 'failure' | 'cancelled',
  why: string,
  run: Run,
): JobRecord {
  run.log(`${result === 'cancelled' ? '⊘' : '✗'} ${where.name}: ${why}`);
  return { ...where, result, outputs: {}, steps: [], seconds: 0, refused: why };
}

function minutes(value: Json): number | undefined {
  return typeof value === 'number' ? value * 60_000 : undefined;
}

function describeStep(step: Job['steps'][number]): string {
  if ('uses' in step) return step.uses.value;
  if ('run' in step) return `Run ${asText(step.run.toString()).split('\n')[0]}`;
  return step.id;
}

function record(
  key: string,
  jobName: string,
  id: string,
  name: string,
  result: Partial<StepOutcome> & { kind: StepOutcome['kind']; outcome: Outcome },
  conclusion: Outcome,
  seconds: number,
  run: Run,
): StepRecord {
  const masks = [...run.masks];
  const stepRecord: StepRecord = {
    key,
    id,
    name,
    kind: result.kind,
    outcome: result.outcome,
    conclusion,
    outputs: result.outputs ?? {},
    annotations: (result.annotations ?? []).map((annotation) => ({
      ...annotation,
      message: applyMasks(annotation.message, masks),
    })),
    summary: applyMasks(result.summary ?? '', masks),
    log: applyMasks(result.log ?? '', masks),
    overridden: result.overridden ?? [],
    note: result.note,
    seconds,
  };
  if (result.outcome !== 'skipped') {
    const mark = conclusion === 'failure' ? '✗' : '✓';
    const how =
      result.kind === 'run' || result.kind === 'action' || result.kind === 'composite'
        ? ''
        : ` [${result.kind}]`;
    run.log(
      `  ${mark} ${jobName}/${id}${how}: ${result.outcome} in ${seconds.toFixed(1)} s${result.note ? ` (${result.note})` : ''}`,
    );
    const failure = stepRecord.annotations.find((annotation) => annotation.level === 'error');
    if (failure) run.log(`      ${failure.message.split('\n')[0]}`);
  }
  return stepRecord;
}

/** The variables a runner sets for every step. */
/**
 * ACTIONS_ID_TOKEN_REQUEST_* for a job granted `id-token: write`, whose tokens carry the claims
 * GitHub gives that job: `sub` names its environment when it has one, else the ref.
 */
function oidcVariables(
  permissions: Permissions,
  environment: string | undefined,
  run: Run,
): Record<string, string> {
  if (!allows(permissions, 'id-token', 'write')) return {};
  const github = run.github as Record<string, string>;
  const claims: Record<string, string> = {
    sub: environment
      ? `repo:${github.repository}:environment:${environment}`
      : github.event_name === 'pull_request'
        ? `repo:${github.repository}:pull_request`
        : `repo:${github.repository}:ref:${github.ref}`,
    repository: github.repository!,
    repository_owner: github.repository_owner!,
    ref: github.ref!,
    sha: github.sha!,
    actor: github.actor!,
    event_name: github.event_name!,
    ...(environment ? { environment } : {}),
  };
  const endpoint = run.options.oidcFor?.(claims) ?? run.options.oidc;
  return endpoint
    ? { ACTIONS_ID_TOKEN_REQUEST_URL: endpoint.url, ACTIONS_ID_TOKEN_REQUEST_TOKEN: endpoint.token }
    : {};
}

function runnerVariables(run: Run, jobId: string, tempDir: string): Record<string, string> {
  const github = run.github as Record<string, string>;
  return {
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_WORKSPACE: run.options.workspace,
    GITHUB_EVENT_NAME: github.event_name!,
    GITHUB_EVENT_PATH: run.eventPath,
    GITHUB_REF: github.ref!,
    GITHUB_REF_NAME: github.ref_name!,
    GITHUB_REF_TYPE: github.ref_type!,
    GITHUB_SHA: github.sha!,
    GITHUB_REPOSITORY: github.repository!,
    GITHUB_REPOSITORY_OWNER: github.repository_owner!,
    GITHUB_RUN_ID: String(github.run_id),
    GITHUB_RUN_NUMBER: String(github.run_number),
    GITHUB_RUN_ATTEMPT: String(github.run_attempt),
    GITHUB_SERVER_URL: github.server_url!,
    GITHUB_API_URL: github.api_url!,
    GITHUB_ACTOR: github.actor!,
    GITHUB_WORKFLOW: github.workflow!,
    GITHUB_JOB: jobId,
    RUNNER_TEMP: tempDir,
    RUNNER_OS: 'Linux',
  };
}

export function writeEvent(file: string, payload: Json): void {
  writeFileSync(file, JSON.stringify(payload ?? {}));
}
