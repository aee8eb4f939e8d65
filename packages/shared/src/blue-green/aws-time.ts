/**
 * AWS's clock, as the `Date` header of its answers tells it. Lease expiries are written and judged
 * on it, so two runners whose clocks differ by minutes still agree on when a lease ends; the
 * runner's own clock only paces renewals. (The SDK corrects its signing clock only from 5 minutes
 * of skew on, and does not expose what it saw.)
 */
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';

export class AwsTime {
  /** AWS's time minus the local clock, from the newest answer; undefined until one had a Date. */
  private offsetMs?: number;

  /** An answer sent at `sentAt` and received at `receivedAt` (local ms) carried `Date: dateHeader`. */
  observe(dateHeader: string | undefined, sentAt: number, receivedAt: number): void {
    const date = Date.parse(dateHeader ?? '');
    if (Number.isNaN(date)) return;
    // The header has whole seconds: the middle of that second, against the middle of the exchange.
    this.offsetMs = date + 500 - (sentAt + receivedAt) / 2;
  }

  /** Whether any answer has told AWS's time yet. */
  get known(): boolean {
    return this.offsetMs !== undefined;
  }

  /** AWS's time now, given the local time now (the local clock while AWS has not told its own). */
  now(localNow: number): number {
    return localNow + (this.offsetMs ?? 0);
  }
}

const trackers = new WeakMap<ElasticLoadBalancingV2Client, AwsTime>();

/**
 * The AWS clock seen through this client's answers, errors included (a 500 carries a Date too).
 * The first call installs the tracking on the client; later calls return the same tracker.
 */
export function awsTimeOf(client: ElasticLoadBalancingV2Client): AwsTime {
  const known = trackers.get(client);
  if (known) return known;
  const time = new AwsTime();
  trackers.set(client, time);
  // A mocked client (aws-sdk-client-mock) has a stack too; its answers carry no Date and change nothing.
  client.middlewareStack?.add(
    (next) => async (args) => {
      const sentAt = Date.now();
      try {
        const output = await next(args);
        const headers = (output.response as { headers?: Record<string, string> } | undefined)?.headers;
        time.observe(headers?.date, sentAt, Date.now());
        return output;
      } catch (error) {
        const headers = (error as { $response?: { headers?: Record<string, string> } }).$response?.headers;
        time.observe(headers?.date, sentAt, Date.now());
        throw error;
      }
    },
    { step: 'deserialize', name: 'mpacAwsTime', override: true },
  );
  return time;
}
