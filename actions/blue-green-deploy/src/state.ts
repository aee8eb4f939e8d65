/** What the post step needs, saved through GITHUB_STATE as it happens (it survives a killed main step). */
import * as core from '@actions/core';
import type { Action } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { ColorGroups, ProductionTarget } from '../../../packages/shared/src/traffic.js';

export interface DeployState {
  holder: string;
  production: ProductionTarget;
  groups: ColorGroups;
  lockHeld: boolean;
  /** The production actions as they were before the first weight change; set once traffic starts moving. */
  originalActions?: Action[];
  /** Traffic is where it should be (promoted, restored or rolled back) and the outcome is recorded. */
  settled: boolean;
}

const KEY = 'deploy';

export function saveDeployState(state: DeployState): void {
  core.saveState(KEY, JSON.stringify(state));
}

export function loadDeployState(): DeployState | undefined {
  const text = core.getState(KEY);
  return text ? (JSON.parse(text) as DeployState) : undefined;
}
