/**
 * A steady load against a listener: requests at a fixed rate over keep-alive connections, every
 * outcome tallied by status and by the target group that served it, so a test can prove that no
 * request was dropped during a cutover.
 */
import { Agent, request as httpRequest } from 'node:http';

export interface TrafficTally {
  sent: number;
  completed: number;
  /** Requests that got no HTTP answer at all (connection errors). */
  failed: number;
  byStatus: Record<string, number>;
  /** By the `x-version` the task answered with (which colour served it). */
  byVersion: Record<string, number>;
  errors: Record<string, number>;
  /**
   * Where each failed request (a 5xx or no answer) came from: `application` (a task answered it,
   * by its `x-version`), `load balancer` (the ALB answered itself, `Server: awselb/2.0`: no
   * healthy target, a target that dropped the connection or timed out), `no answer` (the
   * connection failed or the client's 10 s timeout passed).
   */
  failedBy: Record<FailureOrigin, number>;
}

export type FailureOrigin = 'application' | 'load balancer' | 'no answer';

/** Failed requests of a tally: 5xx answers and requests with no answer. */
export function failuresOf(tally: TrafficTally): number {
  return tally.failedBy.application + tally.failedBy['load balancer'] + tally.failedBy['no answer'];
}

export interface TrafficRun {
  /** Stops sending, waits for requests in flight, and returns the final tally. */
  stop(): Promise<TrafficTally>;
  tally(): TrafficTally;
}

export interface TrafficOptions {
  url: string;
  requestsPerSecond: number;
  /** Stops by itself after this long (default 60 s), so no load outlives a test. */
  maxDurationMs?: number;
  path?: string;
  headers?: Record<string, string>;
}

/**
 * A customer's connection pool: keep-alive, and an idle connection closed by the client after 30 s,
 * well inside the listener's 60 s idle timeout (as browsers and SDKs do), so a request is never
 * sent on a connection the load balancer is closing at that moment.
 */
function customerAgent(maxSockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets, timeout: 30_000 });
}

function emptyTally(): TrafficTally {
  return {
    sent: 0,
    completed: 0,
    failed: 0,
    byStatus: {},
    byVersion: {},
    errors: {},
    failedBy: { application: 0, 'load balancer': 0, 'no answer': 0 },
  };
}

/** Sends one GET and adds its outcome to the tally; never rejects. */
function requestOnce(
  url: URL,
  agent: Agent,
  headers: Record<string, string> | undefined,
  tally: TrafficTally,
): Promise<void> {
  tally.sent++;
  return new Promise((resolve) => {
    const request = httpRequest(url, { agent, headers, timeout: 10_000 }, (response) => {
      response.resume();
      response.on('end', () => {
        tally.completed++;
        const status = String(response.statusCode);
        tally.byStatus[status] = (tally.byStatus[status] ?? 0) + 1;
        const version = String(response.headers['x-version'] ?? 'none');
        tally.byVersion[version] = (tally.byVersion[version] ?? 0) + 1;
        if ((response.statusCode ?? 0) >= 500)
          tally.failedBy[response.headers['x-version'] === undefined ? 'load balancer' : 'application']++;
        resolve();
      });
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', (error: NodeJS.ErrnoException) => {
      tally.failed++;
      tally.failedBy['no answer']++;
      const code = error.code ?? error.message;
      tally.errors[code] = (tally.errors[code] ?? 0) + 1;
      resolve();
    });
    request.end();
  });
}

export function startTraffic(options: TrafficOptions): TrafficRun {
  const agent = customerAgent(64);
  const tally = emptyTally();
  const inFlight = new Set<Promise<void>>();
  const target = new URL(options.path ?? '/', options.url);
  const intervalMs = 1000 / options.requestsPerSecond;
  const startedAt = Date.now();
  let stopped = false;

  const sendOne = (): Promise<void> => requestOnce(target, agent, options.headers, tally);

  let sentByTick = 0;
  const timer = setInterval(
    () => {
      const elapsed = Date.now() - startedAt;
      if (elapsed > (options.maxDurationMs ?? 60_000)) {
        stopped = true;
        clearInterval(timer);
        return;
      }
      // Catch up to the schedule, so timer jitter does not lower the rate.
      const due = Math.floor(elapsed / intervalMs) + 1;
      while (sentByTick < due && !stopped) {
        sentByTick++;
        const pending = sendOne();
        inFlight.add(pending);
        void pending.then(() => inFlight.delete(pending));
      }
    },
    Math.max(1, Math.min(20, intervalMs)),
  );

  const snapshot = (): TrafficTally => JSON.parse(JSON.stringify(tally)) as TrafficTally;
  return {
    tally: snapshot,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await Promise.all(inFlight);
      agent.destroy();
      return snapshot();
    },
  };
}

/** Sends exactly `count` requests, `concurrency` at a time, and returns the tally. */
export async function sendRequests(
  url: string,
  count: number,
  concurrency = 16,
  headers?: Record<string, string>,
): Promise<TrafficTally> {
  const agent = customerAgent(concurrency);
  const tally = emptyTally();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      await requestOnce(new URL(url), agent, headers, tally);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return tally;
}
