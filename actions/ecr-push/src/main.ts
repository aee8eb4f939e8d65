import * as core from '@actions/core';
import { ActionError } from '../../../packages/shared/src/errors.js';
import { getInputs } from './inputs.js';

/** Reads and validates every input; building, pushing and the scan gate arrives with issue #7. */
export async function run(): Promise<void> {
  const inputs = getInputs();
  core.info(`Inputs are valid (${Object.keys(inputs).length} read).`);
  throw new ActionError(
    'ecr-push: building, pushing and the scan gate is not in this release yet (issue #7). The inputs are valid; nothing was called or changed.',
  );
}
