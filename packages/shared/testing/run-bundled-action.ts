import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  applyMasks,
  consumeWorkflowCommands,
  inputVariable,
  parseFileCommands,
  type Annotation,
} from '../../rehearsal/src/runner.js';
import { inputsWithDefaults, readActionMetadata } from './action-metadata.js';

// The runner's file commands, workflow commands and masking live with the rehearsal, which users run.
export { applyMasks, consumeWorkflowCommands, inputVariable, parseFileCommands, type Annotation };

export interface RunBundledActionOptions {
  /** Input values by their action.yml names; action.yml defaults fill the rest, as on a runner. */
  inputs?: Record<string, string>;
  /** Extra environment (AWS_ENDPOINT_URL, fake credentials, GITHUB_* context). */
  env?: Record<string, string | undefined>;
  /** Kill a step that runs longer than this (default 60 s). */
  timeoutMs?: number;
  /** Kill the main step (SIGKILL, as a cancelled job's runner does in the end) once its output matches. */
  killMainWhen?: RegExp;
  /** The signal `killMainWhen` sends (default SIGKILL; a cancelling runner sends SIGINT, then SIGTERM). */
  killSignal?: NodeJS.Signals;
  /** Run the post step when action.yml has one (default true). */
  runPost?: boolean;
  cwd?: string;
}

export interface StepResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Killed on purpose through `killMainWhen`. */
  killed: boolean;
  stdout: string;
  stderr: string;
}

export interface BundledActionResult {
  main: StepResult;
  post?: StepResult;
  outputs: Record<string, string>;
  /** The job summary both steps wrote, as markdown/HTML. */
  summary: string;
  state: Record<string, string>;
  exportedEnv: Record<string, string>;
  /** Values the action asked the runner to mask (`::add-mask::`). */
  masks: string[];
  annotations: Annotation[];
  /** The log a person sees: workflow commands consumed, masked values shown as `***`. */
  log: string;
  /** The same log before masking: scan this for secrets that were printed at all. */
  unmaskedLog: string;
}

/**
 * Runs an action's bundled `dist/index.js` in a child process exactly as a runner does: INPUT_*
 * variables (spaces to underscores, upper-cased, hyphens kept), action.yml defaults, the
 * GITHUB_OUTPUT / GITHUB_STEP_SUMMARY / GITHUB_STATE / GITHUB_ENV files, RUNNER_TEMP; then its post
 * step with the saved state as STATE_* variables.
 */
export async function runBundledAction(
  actionDir: string,
  options: RunBundledActionOptions = {},
): Promise<BundledActionResult> {
  const metadata = readActionMetadata(actionDir);
  const workDir = mkdtempSync(path.join(tmpdir(), 'mpac-run-'));
  try {
    const files = {
      output: path.join(workDir, 'output'),
      summary: path.join(workDir, 'summary'),
      state: path.join(workDir, 'state'),
      env: path.join(workDir, 'env'),
      path: path.join(workDir, 'path'),
    };
    for (const file of Object.values(files)) writeFileSync(file, '');

    const inputEnv: Record<string, string> = {};
    const values = inputsWithDefaults(metadata, options.inputs ?? {}, {
      githubToken: options.env?.GITHUB_TOKEN,
    });
    for (const [name, value] of Object.entries(values)) inputEnv[inputVariable(name)] = value;

    const baseEnv: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? workDir,
      GITHUB_ACTIONS: 'true',
      CI: 'true',
      RUNNER_TEMP: workDir,
      RUNNER_OS: 'Linux',
      GITHUB_WORKSPACE: options.cwd ?? process.cwd(),
      GITHUB_OUTPUT: files.output,
      GITHUB_STEP_SUMMARY: files.summary,
      GITHUB_STATE: files.state,
      GITHUB_ENV: files.env,
      GITHUB_PATH: files.path,
    };
    const extraEnv = Object.fromEntries(
      Object.entries(options.env ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
    const entry = path.join(actionDir, metadata.runs.main);
    const timeoutMs = options.timeoutMs ?? 60_000;

    const main = await runStep(
      entry,
      { ...baseEnv, ...extraEnv, ...inputEnv },
      options.cwd,
      timeoutMs,
      options.killMainWhen,
      options.killSignal,
    );
    const state = parseFileCommands(readFileSync(files.state, 'utf8'));
    const exportedEnv = parseFileCommands(readFileSync(files.env, 'utf8'));

    let post: StepResult | undefined;
    if (metadata.runs.post && options.runPost !== false) {
      writeFileSync(files.state, '');
      const stateEnv = Object.fromEntries(
        Object.entries(state).map(([key, value]) => [`STATE_${key}`, value]),
      );
      post = await runStep(
        path.join(actionDir, metadata.runs.post),
        { ...baseEnv, ...extraEnv, ...exportedEnv, ...inputEnv, ...stateEnv },
        options.cwd,
        timeoutMs,
      );
    }

    const rawOutput = [main.stdout, main.stderr, post?.stdout ?? '', post?.stderr ?? ''].join('\n');
    const { masks, annotations, visible } = consumeWorkflowCommands(rawOutput);
    return {
      main,
      post,
      outputs: parseFileCommands(readFileSync(files.output, 'utf8')),
      summary: readFileSync(files.summary, 'utf8'),
      state,
      exportedEnv,
      masks,
      annotations,
      log: applyMasks(visible, masks),
      unmaskedLog: visible,
    };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

function runStep(
  entry: string,
  env: Record<string, string>,
  cwd: string | undefined,
  timeoutMs: number,
  killWhen?: RegExp,
  killSignal: NodeJS.Signals = 'SIGKILL',
): Promise<StepResult> {
  if (!existsSync(entry)) throw new Error(`No bundle at ${entry}; run npm run bundle`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let killed = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (killWhen && !killed && killWhen.test(stdout)) {
        killed = true;
        child.kill(killSignal);
        // A process that traps the signal and lingers is killed for good, as a runner does.
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ exitCode, signal, timedOut, killed, stdout, stderr });
    });
  });
}
