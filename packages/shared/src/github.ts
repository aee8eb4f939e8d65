/** GitHub deployments: one per run, its status kept true from start to outcome. Pull request comments. */
import { readFileSync } from 'node:fs';
import { errorMessage } from './errors.js';
import { SUITE_NAME, SUITE_VERSION } from './version.js';

/** Every GitHub API call is bounded as a whole: a slow API never holds a deploy or a monitor. */
export const GITHUB_TIMEOUT_MS = 15_000;

/** The few REST calls the suite makes, over Node's fetch: `call('POST', '/repos/o/r/…', body)`. */
type GitHubCall = <T>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown) => Promise<T>;

function gitHubApi(token: string, env: NodeJS.ProcessEnv): GitHubCall {
  const base = (env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/+$/, '');
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/vnd.github+json',
        'x-github-api-version': '2022-11-28',
        'user-agent': `${SUITE_NAME}/${SUITE_VERSION}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(GITHUB_TIMEOUT_MS),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const message = (parsed as { message?: unknown } | undefined)?.message;
      throw new Error(
        `${method} ${path.split('?')[0]}: HTTP ${response.status}${typeof message === 'string' ? ` ${message}` : ''}`,
      );
    }
    return parsed as T;
  };
}

export type DeploymentState = 'in_progress' | 'success' | 'failure' | 'inactive' | 'error';

export interface DeploymentTracker {
  id: number;
  setStatus(state: DeploymentState, description: string): Promise<void>;
}

export interface DeploymentOptions {
  token: string;
  environment: string;
  environmentUrl?: string;
  description: string;
  /** Recorded with the deployment: what it releases, for whom (`{ service, release }`). */
  payload?: Record<string, string>;
  /** Where a failure to talk to GitHub is reported; it never fails the deploy. */
  warn: (message: string) => void;
  env?: NodeJS.ProcessEnv;
}

/**
 * Creates a deployment for the commit being deployed and marks it in progress. Returns undefined
 * (after a warning) when GitHub refuses, e.g. a token without `deployments: write`.
 */
export async function startDeployment(options: DeploymentOptions): Promise<DeploymentTracker | undefined> {
  const env = options.env ?? process.env;
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/');
  const ref = env.GITHUB_SHA ?? env.GITHUB_REF;
  if (!owner || !repo || !ref) {
    options.warn('No GitHub deployment: GITHUB_REPOSITORY and GITHUB_SHA are not set');
    return undefined;
  }
  const call = gitHubApi(options.token, env);
  let id: number;
  try {
    // 202 with a message instead of a deployment: GitHub merged or refused instead of creating.
    const created = await call<{ id?: number; message?: string }>(
      'POST',
      `/repos/${owner}/${repo}/deployments`,
      {
        ref,
        environment: options.environment,
        description: options.description.slice(0, 140),
        ...(options.payload ? { payload: options.payload } : {}),
        auto_merge: false,
        required_contexts: [],
        production_environment: /prod/i.test(options.environment),
      },
    );
    if (typeof created?.id !== 'number')
      throw new Error(created?.message ?? 'GitHub did not create the deployment');
    id = created.id;
  } catch (error) {
    options.warn(`No GitHub deployment for ${options.environment}: ${errorMessage(error)}`);
    return undefined;
  }
  const tracker = trackerFor(call, {
    owner,
    repo,
    id,
    environmentUrl: options.environmentUrl,
    warn: options.warn,
  });
  await tracker.setStatus('in_progress', options.description);
  return tracker;
}

function trackerFor(
  call: GitHubCall,
  where: {
    owner: string;
    repo: string;
    id: number;
    environmentUrl?: string;
    warn: (message: string) => void;
  },
): DeploymentTracker {
  return {
    id: where.id,
    async setStatus(state, description) {
      try {
        await call('POST', `/repos/${where.owner}/${where.repo}/deployments/${where.id}/statuses`, {
          state,
          description: description.slice(0, 140),
          ...(where.environmentUrl ? { environment_url: where.environmentUrl } : {}),
          auto_inactive: state === 'success',
        });
      } catch (error) {
        where.warn(`Could not set the GitHub deployment ${where.id} to ${state}: ${errorMessage(error)}`);
      }
    },
  };
}

/**
 * An existing deployment to report on: the given id, or the newest one of the environment for the
 * service (its payload names it; one without a service in its payload counts for any). Returns
 * undefined (after a warning) when there is none or GitHub refuses.
 */
export async function existingDeployment(options: {
  token: string;
  deploymentId?: number;
  environment?: string;
  service?: string;
  warn: (message: string) => void;
  env?: NodeJS.ProcessEnv;
}): Promise<DeploymentTracker | undefined> {
  const env = options.env ?? process.env;
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/');
  if (!owner || !repo) {
    options.warn('No GitHub deployment to update: GITHUB_REPOSITORY is not set');
    return undefined;
  }
  const call = gitHubApi(options.token, env);
  let id = options.deploymentId;
  if (!id && options.environment) {
    try {
      const listed = await call<{ id: number; payload?: unknown }[]>(
        'GET',
        `/repos/${owner}/${repo}/deployments?environment=${encodeURIComponent(options.environment)}&per_page=100`,
      );
      // One environment holds every service's deployments: the newest of this service's.
      id = listed.find((deployment) => {
        const payload = deployment.payload as { service?: unknown } | string | undefined;
        const named = typeof payload === 'object' && payload !== null ? payload.service : undefined;
        return !options.service || named === undefined || named === options.service;
      })?.id;
    } catch (error) {
      options.warn(`Could not list the GitHub deployments of ${options.environment}: ${errorMessage(error)}`);
      return undefined;
    }
  }
  if (!id) {
    options.warn(`No GitHub deployment to update${options.environment ? ` in ${options.environment}` : ''}`);
    return undefined;
  }
  return trackerFor(call, { owner, repo, id, warn: options.warn });
}

/** GitHub refuses comment bodies over 65,536 characters. */
export const COMMENT_LIMIT = 65_000;

export interface StickyCommentOptions {
  token: string;
  /** An HTML comment that marks this action's comment, so it is updated in place. */
  marker: string;
  body: string;
  warn: (message: string) => void;
  env?: NodeJS.ProcessEnv;
  readEvent?: (path: string) => string;
}

/**
 * Creates or updates one comment on the pull request this run is for. Returns what happened; a
 * token that may not comment (forks) is a warning, never a failure.
 */
export async function upsertStickyComment(
  options: StickyCommentOptions,
): Promise<'created' | 'updated' | 'not a pull request' | 'refused'> {
  const env = options.env ?? process.env;
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/');
  let number: number | undefined;
  try {
    const event = JSON.parse(
      (options.readEvent ?? ((file) => readFileSync(file, 'utf8')))(env.GITHUB_EVENT_PATH ?? ''),
    ) as { pull_request?: { number?: number } };
    number = event.pull_request?.number;
  } catch {
    number = undefined;
  }
  if (!owner || !repo || !number) return 'not a pull request';
  const body = `${options.marker}\n${options.body.length > COMMENT_LIMIT ? `${options.body.slice(0, COMMENT_LIMIT)}\n\n_Cut to fit GitHub's comment limit; the job summary has everything._` : options.body}`;
  const call = gitHubApi(options.token, env);
  try {
    const identity = await ownLogin(call);
    for (let page = 1; page <= 10; page++) {
      const comments = await call<{ id: number; body?: string; user?: { login?: string } | null }[]>(
        'GET',
        `/repos/${owner}/${repo}/issues/${number}/comments?per_page=100&page=${page}`,
      );
      // Only a comment this token wrote: a person quoting the marker keeps their comment.
      const mine = comments.find(
        (comment) => comment.body?.includes(options.marker) && comment.user?.login === identity,
      );
      if (mine) {
        await call('PATCH', `/repos/${owner}/${repo}/issues/comments/${mine.id}`, { body });
        return 'updated';
      }
      if (comments.length < 100) break;
    }
    await call('POST', `/repos/${owner}/${repo}/issues/${number}/comments`, { body });
    return 'created';
  } catch (error) {
    options.warn(
      `Could not comment on pull request #${number} (${errorMessage(error)}); tokens of forked pull requests cannot comment. The job summary has the full report.`,
    );
    return 'refused';
  }
}

/**
 * Who the token writes as: a personal or app-user token can ask (GET /user); the job's
 * GITHUB_TOKEN cannot, and writes as github-actions[bot].
 */
async function ownLogin(call: GitHubCall): Promise<string> {
  try {
    return (await call<{ login: string }>('GET', '/user')).login;
  } catch {
    return 'github-actions[bot]';
  }
}

/**
 * Marks the GitHub deployment a rollback undid as failed, when a token and a deployment (its id, or
 * the newest of an environment) are known; nothing otherwise.
 */
export async function markDeploymentFailed(
  options: {
    'github-token'?: string;
    'deployment-id'?: number;
    environment?: string;
    service: string;
  },
  description: string,
  warn: (message: string) => void,
): Promise<void> {
  if (!options['github-token'] || !(options['deployment-id'] || options.environment)) return;
  const deployment = await existingDeployment({
    token: options['github-token'],
    deploymentId: options['deployment-id'],
    environment: options.environment,
    service: options.service,
    warn,
  });
  await deployment?.setStatus('failure', description);
}
