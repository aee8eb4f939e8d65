export interface RecordedCall {
  /** `ecs`, `elbv2`, `ecr`, `cloudwatch`, `sts`. */
  service: string;
  operation: string;
  /** The region the request was signed for. */
  region?: string;
  /** The request as the twin parsed it (JSON body or nested form values). */
  params: Record<string, unknown>;
  /** `ok`, or the error code returned. */
  outcome: string;
  at: number;
  /** The access key id that signed the request, when it was signed. */
  accessKeyId?: string;
}

const READ_ONLY = /^(Describe|List|Get|BatchGet)/;

/** Every API call the twin served, in order; tests assert on it ("nothing was changed"). */
export class CallLog {
  private readonly entries: RecordedCall[] = [];

  record(call: RecordedCall): void {
    this.entries.push(call);
  }

  all(): RecordedCall[] {
    return [...this.entries];
  }

  of(service: string, operation?: string): RecordedCall[] {
    return this.entries.filter(
      (call) => call.service === service && (operation === undefined || call.operation === operation),
    );
  }

  /** Calls that could have changed something (anything but Describe/List/Get), successful or not. */
  mutating(): RecordedCall[] {
    return this.entries.filter((call) => !READ_ONLY.test(call.operation) && call.service !== 'sts');
  }

  /** `service:Operation` pairs called, for checking an IAM policy against what is used. */
  actions(): string[] {
    return [...new Set(this.entries.map((call) => `${call.service}:${call.operation}`))].sort();
  }

  clear(): void {
    this.entries.length = 0;
  }
}
