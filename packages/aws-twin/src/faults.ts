import { AwsError } from './errors.js';

export interface FaultRule {
  /** Service key (`ecs`, `elbv2`, `ecr`, `cloudwatch`, `sts`); any when omitted. */
  service?: string;
  /** Operation name; any when omitted. */
  operation?: string;
  /** Fraction of matching calls answered with a throttling error. */
  throttleRate?: number;
  /** Fraction of matching calls answered with a 500 internal error. */
  errorRate?: number;
  /** Added latency in milliseconds before the call is answered. */
  latencyMs?: number;
  /** Fail the next N matching calls with this error (code, status), then stop. */
  fail?: { code: string; message?: string; status?: number; times?: number };
  /** Act on the next N matching calls, then drop the connection without an answer (a lost response). */
  dropResponse?: { times?: number };
  /** The rule holds this long after it is added, then stops by itself (an outage that ends). */
  forMs?: number;
}

const THROTTLE_CODES: Record<string, string> = {
  elbv2: 'Throttling',
  sts: 'Throttling',
  cloudwatch: 'Throttling',
};

/** Faults injected into the control plane: throttling and 5xx rates, latency, one-shot failures. */
export class Faults {
  private rules: (FaultRule & { remaining?: number; dropsLeft?: number; until?: number })[] = [];
  private random: () => number;

  constructor(random: () => number = Math.random) {
    this.random = random;
  }

  add(rule: FaultRule): void {
    this.rules.push({
      ...rule,
      remaining: rule.fail ? (rule.fail.times ?? 1) : undefined,
      dropsLeft: rule.dropResponse ? (rule.dropResponse.times ?? 1) : undefined,
      until: rule.forMs === undefined ? undefined : Date.now() + rule.forMs,
    });
  }

  clear(): void {
    this.rules = [];
  }

  /** What to do with a call: a delay, and possibly an error to answer with instead. */
  decide(service: string, operation: string): { delayMs: number; error?: AwsError; dropResponse: boolean } {
    let delayMs = 0;
    let error: AwsError | undefined;
    let dropResponse = false;
    const now = Date.now();
    for (const rule of this.rules) {
      if (rule.until !== undefined && now >= rule.until) continue;
      if (rule.service && rule.service !== service) continue;
      if (rule.operation && rule.operation !== operation) continue;
      delayMs += rule.latencyMs ?? 0;
      if (!dropResponse && (rule.dropsLeft ?? 0) > 0) {
        rule.dropsLeft!--;
        dropResponse = true;
      }
      if (error) continue;
      if (rule.fail && (rule.remaining ?? 0) > 0) {
        rule.remaining!--;
        error = new AwsError(
          rule.fail.code,
          rule.fail.message ?? `Injected ${rule.fail.code}`,
          rule.fail.status ?? 400,
        );
      } else if (rule.throttleRate && this.random() < rule.throttleRate) {
        error = new AwsError(THROTTLE_CODES[service] ?? 'ThrottlingException', 'Rate exceeded', 400);
      } else if (rule.errorRate && this.random() < rule.errorRate) {
        error = new AwsError(
          service === 'elbv2' || service === 'sts' ? 'InternalFailure' : 'ServerException',
          'Injected internal error',
          500,
        );
      }
    }
    return { delayMs, error, dropResponse: dropResponse && !error };
  }
}
