import { runAction } from '../../../packages/shared/src/run.js';
import { post, run } from './main.js';

void runAction({ main: run, post });
