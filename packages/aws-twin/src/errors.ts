/** An AWS error as the service returns it: a code the SDK maps to a typed exception. */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly fault: 'Sender' | 'Receiver' = status >= 500 ? 'Receiver' : 'Sender',
  ) {
    super(message);
    this.name = code;
  }
}

export const validation = (message: string): AwsError => new AwsError('ValidationError', message);
