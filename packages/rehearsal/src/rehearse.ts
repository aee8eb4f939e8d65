/**
 * Runs a workflow file's jobs here, as GitHub would run them for one event: GitHub's parser and
 * expression evaluator decide what runs; this suite's actions run from their bundles with the
 * runner's file commands; `run:` steps run in bash; third-party actions are stood in for or listed.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConcurrencyBoard } from './concurrency.js';
import { reportUnsetReads, type Json } from './expressions.js';
import { runWorkflow, writeEvent, type Run } from './jobs.js';
import type { RehearsalOptions, WorkflowRecord } from './types.js';
import { loadWorkflow } from './workflow.js';

/** GitHub's rules for variable and secret names, in its words; a name it refuses cannot exist there. */
export function checkConfigurationNames(kind: 'variable' | 'secret', names: string[]): void {
  for (const name of names) {
    const problem = !/^[A-Za-z0-9_]+$/.test(name)
      ? 'can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or underscores (_); spaces are not allowed'
      : /^[0-9]/.test(name)
        ? 'must not start with a number'
        : /^GITHUB_/i.test(name)
          ? 'must not start with the GITHUB_ prefix'
          : undefined;
    if (problem)
      throw new RehearsalError(`GitHub refuses the ${kind} name '${name}': ${kind} names ${problem}`);
  }
}

/** Environment rules as GitHub's settings allow them: named fields of the right kind, up to six reviewers. */
export function checkEnvironmentRules(environments: Record<string, unknown>): void {
  const fields: Record<string, string> = {
    reviewers: 'a list of people',
    preventSelfReview: 'true or false',
    branches: 'a list of branch name patterns',
    tags: 'a list of tag name patterns',
    waitTimerMinutes: 'a whole number of minutes from 0 to 43200',
  };
  for (const [environment, rules] of Object.entries(environments)) {
    if (!rules || typeof rules !== 'object' || Array.isArray(rules))
      throw new RehearsalError(`environments.${environment} must be an object of protection rules`);
    for (const [field, value] of Object.entries(rules as Record<string, unknown>)) {
      const list = Array.isArray(value) && value.every((entry) => typeof entry === 'string' && entry !== '');
      const right =
        field === 'preventSelfReview'
          ? typeof value === 'boolean'
          : field === 'waitTimerMinutes'
            ? Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 43_200
            : field in fields && list;
      if (!right)
        throw new RehearsalError(
          field in fields
            ? `environments.${environment}.${field} must be ${fields[field]}; got ${JSON.stringify(value)}`
            : `environments.${environment}.${field} is not a protection rule; the rules are ${Object.keys(fields).join(', ')}`,
        );
      if (field === 'reviewers' && (value as string[]).length > 6)
        throw new RehearsalError(
          `environments.${environment}.reviewers lists ${(value as string[]).length} people; GitHub allows up to 6 required reviewers`,
        );
    }
  }
}

/** The rehearsal cannot run as asked, because GitHub would not let it. */
export class RehearsalError extends Error {
  override name = 'RehearsalError';
}

export async function rehearse(options: RehearsalOptions): Promise<WorkflowRecord> {
  checkConfigurationNames('variable', Object.keys(options.vars ?? {}));
  checkConfigurationNames('secret', Object.keys(options.secrets ?? {}));
  checkEnvironmentRules(options.environments ?? {});
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
      actor: options.actor ?? 'rehearsal',
      workflow: path.basename(options.workflow),
      workspace: options.workspace,
      token: options.githubToken ?? '',
    };
    const masks = new Set<string>(
      [...Object.values(options.secrets ?? {}), options.githubToken ?? ''].filter(
        (value) => value.length > 0,
      ),
    );
    const unset = new Set<string>();
    const run: Run = {
      options: {
        ...options,
        vars: reportUnsetReads({ ...(options.vars ?? {}) }, (name) => unset.add(`vars.${name}`)),
      },
      unsetRead: (context, name) => unset.add(`${context}.${name}`),
      board: options.concurrency ?? new ConcurrencyBoard(),
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
    const secrets = reportUnsetReads({ ...(options.secrets ?? {}) }, (name) => unset.add(`secrets.${name}`));
    const record = await runWorkflow(
      loaded,
      { path: '', name: '', inputs, secrets, cancel: options.cancel },
      run,
    );
    if (unset.size > 0) {
      record.unsetReads = [...unset].sort();
      run.log(`Read but never set (GitHub reads them as ''): ${record.unsetReads.join(', ')}`);
    }
    return record;
  } finally {
    rmSync(tempRoot, { recursive: true, force: true });
  }
}

export type { JobRecord, RehearsalOptions, StepRecord, WorkflowRecord } from './types.js';
