/** What the post step needs, saved through GITHUB_STATE as it happens (it survives a killed main step). */
import * as core from '../../../packages/shared/src/runner-commands.js';
import type { BlueGreenTarget } from '../../../packages/shared/src/blue-green/read.js';
import type { PendingTags, SafeEnd } from '../../../packages/shared/src/blue-green/move.js';

export interface DeployState {
  holder: string;
  /** The two services and the production split (strategy weighted). */
  target?: BlueGreenTarget;
  /**
   * Strategy ecs-native: the service deployment this run drives. While `rollbackOnStop`, a run
   * that stops (cancelled, killed) has its post step roll the deployment back at once rather than
   * leave it to the pause's timeout.
   */
  native?: { serviceDeploymentArn: string; rollbackOnStop: boolean };
  /** This run holds the deploy lease (its tag is on the production rule or listener). */
  lockHeld: boolean;
  /**
   * Set while traffic may be away from where it must end: the colour that must then have all of it
   * (during a cutover the previous colour, during a rollback the rollback's target). The post step,
   * a re-run or the workflow's recovery job drives traffic there. Cleared once traffic is settled.
   */
  safeEnd?: SafeEnd;
  /** Outcome tags the run could not write: the post step writes them. */
  pendingTags?: PendingTags;
  /** How long the post step keeps retrying AWS errors before failing loudly. */
  restoreTimeoutMs: number;
}

const KEY = 'deploy';

export function saveDeployState(state: DeployState): void {
  core.saveState(KEY, JSON.stringify(state));
}

export function loadDeployState(): DeployState | undefined {
  const text = core.getState(KEY);
  return text ? (JSON.parse(text) as DeployState) : undefined;
}
