/**
 * One step's process as a runner starts it: its environment with the file commands
 * (GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH, GITHUB_STATE, GITHUB_STEP_SUMMARY), its time limit,
 * and the workflow commands it prints (masks, annotations).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  consumeWorkflowCommands,
  parseFileCommands,
  type Annotation,
} from '../../shared/testing/run-bundled-action.js';

export interface StepProcess {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  timeoutMs: number;
  /** Where the step's file-command files go (the job's RUNNER_TEMP). */
  tempDir: string;
}

export interface StepProcessResult {
  exitCode: number | null;
  timedOut: boolean;
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
    const { exitCode, timedOut, output } = await spawnBounded(step, { ...step.env, ...files });
    const { masks, annotations, visible } = consumeWorkflowCommands(output);
    const read = (file: string) => readFileSync(file, 'utf8');
    return {
      exitCode,
      timedOut,
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
): Promise<{ exitCode: number | null; timedOut: boolean; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(step.command, step.args, {
      env,
      cwd: step.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      // The whole process group: a shell's children go too, as a runner's timeout takes them.
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, step.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      resolve({ exitCode, timedOut, output });
    });
  });
}
