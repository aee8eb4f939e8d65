import { runInputsFirst } from '../../../packages/shared/src/run.js';
import { readInputs } from './inputs.js';

void runInputsFirst({ getInputs: () => readInputs(), load: () => import('./main.js') });
