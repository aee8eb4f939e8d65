import * as core from '@actions/core';
import { ActionError } from '../../../packages/shared/src/errors.js';
import { getInputs } from './inputs.js';

/** Reads and validates every input; monitoring and rollback arrives with issue #8. */
export async function run(): Promise<void> {
  const inputs = getInputs();
  core.info(`Inputs are valid (${Object.keys(inputs).length} read).`);
  throw new ActionError(
    'monitor-rollback: monitoring and rollback is not in this release yet (issue #8). The inputs are valid; nothing was called or changed.',
  );
}
