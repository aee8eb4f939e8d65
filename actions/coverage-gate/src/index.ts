import { runInputsFirst } from '../../../packages/shared/src/run.js';
import { getInputs } from './inputs.js';

void runInputsFirst({ getInputs, load: () => import('./main.js') });
