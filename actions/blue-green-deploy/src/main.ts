import * as core from '@actions/core';
import { ActionError } from '../../../packages/shared/src/errors.js';
import { getInputs } from './inputs.js';

/** Reads and validates every input; the blue/green deploy arrives with issue #4. */
export async function run(): Promise<void> {
  const inputs = getInputs();
  core.info(`Inputs are valid (${Object.keys(inputs).length} read).`);
  throw new ActionError(
    'blue-green-deploy: the blue/green deploy is not in this release yet (issue #4). The inputs are valid; nothing was called or changed.',
  );
}
