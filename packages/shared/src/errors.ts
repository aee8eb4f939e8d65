/** A mistake in what the user gave the action: names the input, what was wrong, and a valid example. */
export class InputError extends Error {
  constructor(
    readonly input: string,
    readonly problem: string,
    readonly example: string,
  ) {
    super(`Input '${input}' ${problem}. A valid value looks like: ${example}`);
    this.name = 'InputError';
  }
}

/** A failure the user can act on (refused state, failed gate): reported without a stack trace. */
export class ActionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ActionError';
  }
}

export function isUserFacingError(error: unknown): error is InputError | ActionError {
  return error instanceof InputError || error instanceof ActionError;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
