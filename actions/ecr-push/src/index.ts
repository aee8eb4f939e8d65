import { runAction } from '../../../packages/shared/src/run.js';
import { getInputs } from './inputs.js';

// The inputs are read and checked first; the rest of the action (the AWS SDK among it) loads only
// then, so a bad input fails at once.
void runAction({
  main: async () => {
    const inputs = getInputs();
    await (await import('./main.js')).run(inputs);
  },
  post: async () => (await import('./main.js')).post(),
});
