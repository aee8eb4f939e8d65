import * as core from './runner-commands.js';
import { errorMessage, isUserFacingError } from './errors.js';
import { redactSecrets } from './secrets.js';

const POST_FLAG = 'isPost';

export interface ActionEntry {
  main: () => Promise<void>;
  /** Runs in the action's `post:` step; it warns and never fails the job. */
  post?: () => Promise<void>;
}

/**
 * Runs the main step, or the post step when the main step already ran in this job (one bundle
 * serves both, switched by a flag saved in state). Failures become `core.setFailed` with the
 * message; the stack is printed only with step debug logging on; registered secrets are redacted.
 */
export async function runAction(entry: ActionEntry): Promise<void> {
  const isPost = core.getState(POST_FLAG) === 'true';
  if (isPost) {
    if (!entry.post) return;
    try {
      await entry.post();
    } catch (error) {
      core.warning(`Post step: ${redactSecrets(errorMessage(error))}`);
      logStackWhenDebugging(error);
    }
    return;
  }
  core.saveState(POST_FLAG, 'true');
  try {
    await entry.main();
  } catch (error) {
    core.setFailed(redactSecrets(errorMessage(error)));
    if (!isUserFacingError(error)) logStackWhenDebugging(error);
  }
}

/**
 * An action whose entry reads and checks its inputs first and only then loads the rest of it (the
 * AWS SDK among it) with `load`, an `import()` of its main module: a bad input fails at once.
 */
export function runInputsFirst<I>(entry: {
  getInputs: () => I;
  load: () => Promise<{ run: (inputs: I) => Promise<void>; post?: () => Promise<void> }>;
}): Promise<void> {
  return runAction({
    main: async () => {
      const inputs = entry.getInputs();
      await (await entry.load()).run(inputs);
    },
    post: async () => (await entry.load()).post?.(),
  });
}

function logStackWhenDebugging(error: unknown): void {
  if (core.isDebug() && error instanceof Error && error.stack) core.debug(redactSecrets(error.stack));
}
