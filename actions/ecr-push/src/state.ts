/** What the post step needs, saved through GITHUB_STATE: the registry to log out of. Never a password. */
import * as core from '../../../packages/shared/src/runner-commands.js';

export interface EcrPushState {
  registry: string;
  /** false with skip-logout: later steps of the job keep using the login. */
  logout: boolean;
}

const KEY = 'ecr-push';

export function saveEcrPushState(state: EcrPushState): void {
  core.saveState(KEY, JSON.stringify(state));
}

export function loadEcrPushState(): EcrPushState | undefined {
  const text = core.getState(KEY);
  return text ? (JSON.parse(text) as EcrPushState) : undefined;
}
