/**
 * One step's process as a runner starts it: its environment with the file commands
 * (GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH, GITHUB_STATE, GITHUB_STEP_SUMMARY), its time limit,
 * and the workflow commands it prints (masks, annotations).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { consumeWorkflowCommands, parseFileCommands, type Annotation } from './runner.js';

export interface StepProcess {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  timeoutMs: number;
  /** Where the step's file-command files go (the job's RUNNER_TEMP). */
  tempDir: string;
  /** The job was cancelled: the step gets SIGINT, SIGTERM 7.5 s later, SIGKILL 2.5 s after that. */
  cancel?: AbortSignal;
  /** The runner dies (SIGKILL, nothing more runs on it) once the step's output matches. */
  loseRunnerWhen?: RegExp;
}

export interface StepProcessResult {
  exitCode: number | null;
  timedOut: boolean;
  /** Ended because the job was cancelled. */
  cancelled: boolean;
  /** Ended because its runner died (loseRunnerWhen). */
  runnerLost: boolean;
  outputs: Record<string, string>;
  exportedEnv: Record<string, string>;
  addedPath: string[];
  state: Record<string, string>;
  summary: string;
  masks: string[];
  annotations: Annotation[];
  /** stdout and stderr with the workflow commands taken out (not yet masked). */
  log: string;
}

export async function runStepProcess(step: StepProcess): Promise<StepProcessResult> {
  const dir = mkdtempSync(path.join(step.tempDir, 'step-'));
  const files = {
    GITHUB_OUTPUT: path.join(dir, 'output'),
    GITHUB_ENV: path.join(dir, 'env'),
    GITHUB_PATH: path.join(dir, 'path'),
    GITHUB_STATE: path.join(dir, 'state'),
    GITHUB_STEP_SUMMARY: path.join(dir, 'summary'),
  };
  for (const file of Object.values(files)) writeFileSync(file, '');
  try {
    const { exitCode, timedOut, cancelled, runnerLost, output } = await spawnBounded(step, {
      ...step.env,
      ...files,
    });
    const { masks, annotations, visible } = consumeWorkflowCommands(output);
    const read = (file: string) => readFileSync(file, 'utf8');
    return {
      exitCode,
      timedOut,
      cancelled,
      runnerLost,
      outputs: parseFileCommands(read(files.GITHUB_OUTPUT)),
      exportedEnv: parseFileCommands(read(files.GITHUB_ENV)),
      addedPath: read(files.GITHUB_PATH)
        .split('\n')
        .filter((line) => line.trim() !== ''),
      state: parseFileCommands(read(files.GITHUB_STATE)),
      summary: read(files.GITHUB_STEP_SUMMARY),
      masks,
      annotations,
      log: visible,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function spawnBounded(
  step: StepProcess,
  env: Record<string, string>,
): Promise<{
  exitCode: number | null;
  timedOut: boolean;
  cancelled: boolean;
  runnerLost: boolean;
  output: string;
}> {
  return new Promise((resolve, reject) => {
    if (step.cancel?.aborted) {
      resolve({ exitCode: null, timedOut: false, cancelled: true, runnerLost: false, output: '' });
      return;
    }
    const child = spawn(step.command, step.args, {
      env,
      cwd: step.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    let timedOut = false;
    let cancelled = false;
    let runnerLost = false;
    // The whole process group: a shell's children go too, as a runner's timeout and cancel take them.
    const signal = (name: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, name);
      } catch {
        child.kill(name);
      }
    };
    const escalations: NodeJS.Timeout[] = [];
    const onCancel = () => {
      cancelled = true;
      signal('SIGINT');
      escalations.push(
        setTimeout(() => signal('SIGTERM'), 7_500),
        setTimeout(() => signal('SIGKILL'), 10_000),
      );
    };
    step.cancel?.addEventListener('abort', onCancel, { once: true });
    const settle = () => {
      clearTimeout(timer);
      for (const escalation of escalations) clearTimeout(escalation);
      step.cancel?.removeEventListener('abort', onCancel);
    };
    const take = (chunk: string) => {
      output += chunk;
      if (step.loseRunnerWhen && !runnerLost && step.loseRunnerWhen.test(output)) {
        runnerLost = true;
        signal('SIGKILL');
      }
    };
    child.stdout.setEncoding('utf8').on('data', take);
    child.stderr.setEncoding('utf8').on('data', take);
    const timer = setTimeout(() => {
      timedOut = true;
      signal('SIGKILL');
    }, step.timeoutMs);
    child.on('error', (error) => {
      settle();
      reject(error);
    });
    child.on('close', (exitCode) => {
      settle();
      resolve({ exitCode, timedOut, cancelled, runnerLost, output });
    });
  });
}
