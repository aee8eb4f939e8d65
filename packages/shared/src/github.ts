/** GitHub deployments: one per run, its status kept true from start to outcome. */
import * as github from '@actions/github';
import { errorMessage } from './errors.js';

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
  const octokit = github.getOctokit(options.token, {
    baseUrl: env.GITHUB_API_URL ?? 'https://api.github.com',
  });
  let id: number;
  try {
    const created = await octokit.rest.repos.createDeployment({
      owner,
      repo,
      ref,
      environment: options.environment,
      description: options.description.slice(0, 140),
      auto_merge: false,
      required_contexts: [],
      production_environment: /prod/i.test(options.environment),
    });
    if (!('id' in created.data))
      throw new Error(created.data.message ?? 'GitHub did not create the deployment');
    id = created.data.id;
  } catch (error) {
    options.warn(`No GitHub deployment for ${options.environment}: ${errorMessage(error)}`);
    return undefined;
  }
  const tracker: DeploymentTracker = {
    id,
    async setStatus(state, description) {
      try {
        await octokit.rest.repos.createDeploymentStatus({
          owner,
          repo,
          deployment_id: id,
          state,
          description: description.slice(0, 140),
          ...(options.environmentUrl ? { environment_url: options.environmentUrl } : {}),
          auto_inactive: state === 'success',
        });
      } catch (error) {
        options.warn(`Could not set the GitHub deployment ${id} to ${state}: ${errorMessage(error)}`);
      }
    },
  };
  await tracker.setStatus('in_progress', options.description);
  return tracker;
}
