import { runAction } from '../../../packages/shared/src/run.js';
import { run } from './main.js';

void runAction({ main: run });
