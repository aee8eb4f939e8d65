/**
 * Runs a workflow file's jobs here, as GitHub would run them for one event: GitHub's parser and
 * expression evaluator decide what runs; this suite's actions run from their bundles with the
 * runner's file commands; `run:` steps run in bash; third-party actions are stood in for or listed.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Json } from './expressions.js';
import { runWorkflow, writeEvent, type Run } from './jobs.js';
import type { RehearsalOptions, WorkflowRecord } from './types.js';
import { loadWorkflow } from './workflow.js';

export async function rehearse(options: RehearsalOptions): Promise<WorkflowRecord> {
  const loaded = await loadWorkflow(options.workflow);
  const tempRoot = mkdtempSync(path.join(tmpdir(), 'mpac-rehearsal-'));
  try {
    const artifactsDir = path.join(tempRoot, 'artifacts');
    mkdirSync(artifactsDir);
    const eventPath = path.join(tempRoot, 'event.json');
    const payload = options.event.payload ?? (options.event.inputs ? { inputs: options.event.inputs } : {});
    writeEvent(eventPath, payload);
    const [owner] = options.repository.split('/');
    const github: Record<string, Json> = {
      event_name: options.event.name,
      event: payload,
      ref: options.ref,
      ref_name: options.ref.replace(/^refs\/(heads|tags)\//, ''),
      ref_type: options.ref.startsWith('refs/tags/') ? 'tag' : 'branch',
      sha: options.sha,
      repository: options.repository,
      repository_owner: owner ?? '',
      run_id: String(options.runId),
      run_number: '1',
      run_attempt: '1',
      server_url: 'https://github.com',
      api_url: options.env?.GITHUB_API_URL ?? 'https://api.github.com',
      actor: 'rehearsal',
      workflow: path.basename(options.workflow),
      workspace: options.workspace,
      token: options.githubToken ?? '',
    };
    const masks = new Set<string>(
      [...Object.values(options.secrets ?? {}), options.githubToken ?? ''].filter(
        (value) => value.length > 0,
      ),
    );
    const run: Run = {
      options,
      github,
      tempRoot,
      artifactsDir,
      eventPath,
      masks,
      log: options.log ?? (() => {}),
    };
    const inputs = (options.event.name === 'workflow_dispatch' ? (options.event.inputs ?? {}) : {}) as Record<
      string,
      Json
    >;
    return await runWorkflow(loaded, { path: '', name: '', inputs, secrets: options.secrets ?? {} }, run);
  } finally {
    rmSync(tempRoot, { recursive: true, force: true });
  }
}

export type { JobRecord, RehearsalOptions, StepRecord, WorkflowRecord } from './types.js';
