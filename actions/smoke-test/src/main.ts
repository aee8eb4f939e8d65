import * as core from '@actions/core';
import { ActionError } from '../../../packages/shared/src/errors.js';
import { getInputs } from './inputs.js';

/** Reads and validates every input; running checks arrives with issue #6. */
export async function run(): Promise<void> {
  const inputs = getInputs();
  core.info(`Inputs are valid (${Object.keys(inputs).length} read).`);
  throw new ActionError(
    'smoke-test: running checks is not in this release yet (issue #6). The inputs are valid; nothing was called or changed.',
  );
}
