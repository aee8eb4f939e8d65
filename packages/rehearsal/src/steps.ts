/**
 * One step as a runner carries it out: `run:` in bash, a JavaScript action's bundle with INPUT_*
 * and its post step, a composite action's own steps, or a third-party action, which the rehearsal
 * either stands in for (checkout, artifacts) or lists as not run.
 */
import type { Step } from '@actions/workflow-parser/model/workflow-template';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
import { cpSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { inputVariable, type Annotation } from './runner.js';
import {
  asText,
  evaluateMapping,
  evaluateToken,
  truthy,
  evaluate,
  type Contexts,
  type Json,
  type Status,
} from './expressions.js';
import { runStepProcess, type StepProcessResult } from './process.js';
import type { Outcome, StepKind } from './types.js';
import { at, loadAction, resolveUses, type LoadedAction } from './workflow.js';

/** GitHub's words for a job whose runner stopped answering. */
export const RUNNER_LOST =
  'The hosted runner: GitHub Actions 1000000 lost communication with the server. Anything in your workflow that terminates the runner process, starves it for CPU/Memory, or blocks its network access can cause this error.';

/** Where a step runs and what it can see. */
export interface StepScope {
  key: string;
  step: Step;
  /** The step's raw token (for `with:`, `shell`, `working-directory`, `timeout-minutes`). */
  raw: TemplateToken | undefined;
  contexts: Contexts;
  status: Status;
  /** The process environment before the step's own `env:` (runner variables, job env). */
  processEnv: Record<string, string>;
  /** `defaults.run` of the job: shell and working-directory. */
  defaults: { shell?: string; workingDirectory?: string };
  workspace: string;
  suiteRoot: string;
  tempDir: string;
  artifactsDir: string;
  timeoutMs: number;
  /** Aborted when the job is cancelled (concurrency, or its workflow cancelled). */
  cancel?: AbortSignal;
  /** The runner dies once this step's output matches (RehearsalOptions.loseRunner). */
  loseRunnerWhen?: RegExp;
  overrides: Record<string, Record<string, string>>;
  stubs: Record<string, string>;
}

export interface PostStep {
  name: string;
  entry: string;
  env: Record<string, string>;
  postIf: string;
  cwd: string;
}

export interface StepOutcome {
  kind: StepKind;
  outcome: Outcome;
  outputs: Record<string, string>;
  exportedEnv: Record<string, string>;
  addedPath: string[];
  summary: string;
  annotations: Annotation[];
  masks: string[];
  log: string;
  overridden: string[];
  note?: string;
  post?: PostStep;
  /** The runner died during the step: nothing more runs on it, post steps included. */
  runnerLost?: boolean;
}

const empty = (kind: StepKind, outcome: Outcome, note?: string, log = ''): StepOutcome => ({
  kind,
  outcome,
  outputs: {},
  exportedEnv: {},
  addedPath: [],
  summary: '',
  annotations: [],
  masks: [],
  log,
  overridden: [],
  note,
});

export async function runStep(scope: StepScope): Promise<StepOutcome> {
  const env = {
    ...scope.processEnv,
    ...evaluateMapping('env' in scope.step ? scope.step.env : undefined, scope.contexts, scope.status),
  };
  if ('run' in scope.step) {
    const stub = scope.stubs[scope.key];
    const script = stub ?? asText(evaluateToken(scope.step.run, scope.contexts, scope.status));
    const result = await runShell(scope, script, env);
    return {
      ...fromProcess(stub === undefined ? 'run' : 'stubbed', result),
      note: stub === undefined ? undefined : 'replaced by the scenario',
    };
  }
  if (!('uses' in scope.step)) return empty('not-run', 'success', 'not a run or uses step');
  const uses = scope.step.uses.value;
  const target = resolveUses(uses, { suiteRoot: scope.suiteRoot, workspace: scope.workspace });
  const withValues = evaluateMapping(at(scope.raw, 'with'), scope.contexts, scope.status);
  if (target.kind === 'third-party') return thirdParty(scope, target.name, withValues);
  if (target.kind === 'workflow')
    return empty('not-run', 'failure', `${uses} is a workflow: call it from a job, not a step`);
  const action = loadAction(target.dir);
  const overrides = target.kind === 'suite-action' ? (scope.overrides[target.name] ?? {}) : {};
  const inputs = actionInputs(action, withValues, overrides, scope);
  if (action.template.runs.using === 'composite') return runComposite(scope, action, inputs.values, env);
  if (action.template.runs.using === 'docker')
    return empty('not-run', 'failure', 'docker actions are not rehearsed');
  const runs = action.template.runs;
  const inputEnv = Object.fromEntries(
    Object.entries(inputs.values).map(([name, value]) => [inputVariable(name), value]),
  );
  const stepEnv = { ...env, ...inputEnv };
  const result = await runStepProcess({
    command: process.execPath,
    args: [path.join(action.dir, runs.main)],
    env: stepEnv,
    cwd: scope.workspace,
    timeoutMs: scope.timeoutMs,
    tempDir: scope.tempDir,
    cancel: scope.cancel,
    loseRunnerWhen: scope.loseRunnerWhen,
  });
  const outcome = fromProcess('action', result);
  const post = runs.post
    ? {
        name: scope.step.name ? asText(evaluateToken(scope.step.name, scope.contexts)) : uses,
        entry: path.join(action.dir, runs.post),
        env: {
          ...stepEnv,
          ...result.exportedEnv,
          ...Object.fromEntries(Object.entries(result.state).map(([key, value]) => [`STATE_${key}`, value])),
        },
        postIf: runs.postIf ?? 'always()',
        cwd: scope.workspace,
      }
    : undefined;
  return {
    ...outcome,
    overridden: inputs.overridden,
    note: inputs.unexpected.length > 0 ? `unexpected input(s): ${inputs.unexpected.join(', ')}` : undefined,
    post,
  };
}

/** Declared inputs: given values, else action.yml defaults (which may be expressions); then overrides. */
function actionInputs(
  action: LoadedAction,
  given: Record<string, string>,
  overrides: Record<string, string>,
  scope: StepScope,
): { values: Record<string, string>; overridden: string[]; unexpected: string[] } {
  const values: Record<string, string> = {};
  const declared = action.template.inputs ?? [];
  for (const input of declared) {
    if (input.id in given) values[input.id] = given[input.id]!;
    else if (input.default) values[input.id] = asText(evaluateToken(input.default, scope.contexts));
  }
  const overridden: string[] = [];
  for (const [name, value] of Object.entries(overrides)) {
    if (!declared.some((input) => input.id === name)) continue;
    overridden.push(
      `${action.template.name ? path.basename(action.dir) : action.dir} ${name}: ${values[name] || '(empty)'} → ${value}`,
    );
    values[name] = value;
  }
  const unexpected = Object.keys(given).filter((name) => !declared.some((input) => input.id === name));
  return { values, overridden, unexpected };
}

async function runShell(
  scope: StepScope,
  script: string,
  env: Record<string, string>,
): Promise<StepProcessResult> {
  const shell =
    asText(evaluateToken(at(scope.raw, 'shell'), scope.contexts)) || scope.defaults.shell || 'bash';
  const workingDirectory =
    asText(evaluateToken(at(scope.raw, 'working-directory'), scope.contexts)) ||
    scope.defaults.workingDirectory ||
    '.';
  const file = path.join(scope.tempDir, `script-${Date.now()}-${Math.random().toString(16).slice(2)}.sh`);
  writeFileSync(file, script);
  const [command, ...args] =
    shell === 'bash'
      ? ['bash', '--noprofile', '--norc', '-eo', 'pipefail', file]
      : shell === 'sh'
        ? ['sh', '-e', file]
        : [shell, file];
  const cwd = path.resolve(scope.workspace, workingDirectory);
  if (!existsSync(cwd)) {
    return {
      exitCode: 1,
      timedOut: false,
      cancelled: false,
      runnerLost: false,
      outputs: {},
      exportedEnv: {},
      addedPath: [],
      state: {},
      summary: '',
      masks: [],
      annotations: [],
      log: `working-directory ${workingDirectory} does not exist in the workspace`,
    };
  }
  return runStepProcess({
    command: command!,
    args,
    env,
    cwd,
    timeoutMs: scope.timeoutMs,
    tempDir: scope.tempDir,
    cancel: scope.cancel,
    loseRunnerWhen: scope.loseRunnerWhen,
  });
}

function fromProcess(kind: StepKind, result: StepProcessResult): StepOutcome {
  const outcome: Outcome = result.cancelled
    ? 'cancelled'
    : result.exitCode === 0 && !result.timedOut && !result.runnerLost
      ? 'success'
      : 'failure';
  return {
    kind,
    outcome,
    runnerLost: result.runnerLost,
    outputs: result.outputs,
    exportedEnv: result.exportedEnv,
    addedPath: result.addedPath,
    summary: result.summary,
    annotations: result.annotations,
    masks: result.masks,
    log: result.runnerLost
      ? `${result.log}\n${RUNNER_LOST}`
      : result.timedOut
        ? `${result.log}\n(killed: the step ran past its time limit)`
        : result.cancelled
          ? `${result.log}\nError: The operation was canceled.`
          : result.log,
    overridden: [],
  };
}

/** A composite action: its steps in order with its own `inputs` and `steps`, then its outputs. */
async function runComposite(
  scope: StepScope,
  action: LoadedAction,
  inputs: Record<string, string>,
  env: Record<string, string>,
): Promise<StepOutcome> {
  if (action.template.runs.using !== 'composite') throw new Error('not a composite action');
  const steps: Record<string, Json> = {};
  const total = empty('composite', 'success');
  let failed = false;
  for (const [index, step] of action.template.runs.steps.entries()) {
    const contexts: Contexts = { ...scope.contexts, inputs, steps, env };
    const cancelled = scope.cancel?.aborted ?? false;
    const status: Status = { success: !failed && !cancelled, failure: failed, cancelled };
    if (!truthy(evaluate(step.if?.expression ?? 'success()', contexts, status))) {
      steps[step.id] = { outputs: {}, outcome: 'skipped', conclusion: 'skipped' };
      continue;
    }
    const result = await runStep({
      ...scope,
      key: `${scope.key}/${step.id}`,
      step,
      raw: at(action.root, 'runs', 'steps', index),
      contexts,
      status,
      processEnv: { ...env, GITHUB_ACTION_PATH: action.dir },
      stubs: {},
    });
    steps[step.id] = { outputs: result.outputs, outcome: result.outcome, conclusion: result.outcome };
    total.log += result.log;
    total.summary += result.summary;
    total.annotations.push(...result.annotations);
    total.masks.push(...result.masks);
    Object.assign(total.exportedEnv, result.exportedEnv);
    total.addedPath.push(...result.addedPath);
    if (result.outcome === 'failure') failed = true;
  }
  for (const output of action.template.outputs ?? [])
    total.outputs[output.id] = asText(evaluateToken(output.value, { ...scope.contexts, inputs, steps }));
  total.outcome = failed ? 'failure' : scope.cancel?.aborted ? 'cancelled' : 'success';
  return total;
}

/** checkout and the artifact actions are stood in for; any other third-party action is listed as not run. */
function thirdParty(scope: StepScope, name: string, withValues: Record<string, string>): StepOutcome {
  switch (name) {
    case 'actions/checkout':
      return empty('emulated', 'success', 'the workspace already holds the repository at github.sha');
    case 'actions/upload-artifact':
      return uploadArtifact(scope, withValues);
    case 'actions/download-artifact':
      return downloadArtifact(scope, withValues);
    default:
      return empty('not-run', 'success', `${name} is a third-party action; the rehearsal does not run it`);
  }
}

function uploadArtifact(scope: StepScope, withValues: Record<string, string>): StepOutcome {
  const name = withValues.name || 'artifact';
  const target = path.join(scope.artifactsDir, name);
  const sources = (withValues.path ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const found = sources
    .map((source) => path.resolve(scope.workspace, source))
    .filter((source) => existsSync(source));
  if (found.length === 0) {
    const missing = withValues['if-no-files-found'] === 'error' ? 'failure' : 'success';
    return empty('emulated', missing, `no files at ${sources.join(', ')}: nothing uploaded as ${name}`);
  }
  mkdirSync(target, { recursive: true });
  for (const source of found) {
    if (statSync(source).isDirectory()) cpSync(source, target, { recursive: true });
    else cpSync(source, path.join(target, path.basename(source)));
  }
  return empty(
    'emulated',
    'success',
    `uploaded ${found.map((source) => path.relative(scope.workspace, source)).join(', ')} as ${name}`,
  );
}

function downloadArtifact(scope: StepScope, withValues: Record<string, string>): StepOutcome {
  const destination = path.resolve(scope.workspace, withValues.path || '.');
  const all = existsSync(scope.artifactsDir) ? readdirSync(scope.artifactsDir) : [];
  const matches = withValues.name
    ? all.filter((artifact) => artifact === withValues.name)
    : all.filter((artifact) => !withValues.pattern || picomatch(withValues.pattern)(artifact));
  if (withValues.name && matches.length === 0)
    return empty('emulated', 'failure', `no artifact named ${withValues.name}`);
  const merge = withValues['merge-multiple'] === 'true';
  for (const artifact of matches) {
    const into = withValues.name || merge ? destination : path.join(destination, artifact);
    mkdirSync(into, { recursive: true });
    cpSync(path.join(scope.artifactsDir, artifact), into, { recursive: true });
  }
  return empty(
    'emulated',
    'success',
    `downloaded ${matches.length} artifact(s): ${matches.join(', ') || 'none'}`,
  );
}

/** Runs a JavaScript action's post step, as the runner does at the end of the job. */
export async function runPostStep(post: PostStep, tempDir: string, timeoutMs: number): Promise<StepOutcome> {
  const result = await runStepProcess({
    command: process.execPath,
    args: [post.entry],
    env: post.env,
    cwd: post.cwd,
    timeoutMs,
    tempDir,
  });
  return fromProcess('action', result);
}
