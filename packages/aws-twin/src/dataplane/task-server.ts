/** A task's container as a real HTTP server on 127.0.0.1, behaving as its image says. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './loopback.js';
import type { ImageBehaviour } from '../images.js';

/**
 * The header a twin task answers with: its application latency in ms. The twin's listener takes
 * TargetResponseTime from it (and does not pass it on), so that gates judge the latency a release
 * has, not the latency of the machine the twin runs on.
 */
export const TARGET_LATENCY_HEADER = 'x-twin-target-latency-ms';

export interface TaskServer {
  port: number;
  /** Stops accepting, lets in-flight requests finish (bounded), then closes. */
  stop(graceMs?: number): Promise<void>;
  /** Kills every connection at once (a crash). */
  kill(): void;
}

export async function startTaskServer(
  taskId: string,
  behaviour: () => ImageBehaviour,
  random: () => number = Math.random,
): Promise<TaskServer> {
  let inFlight = 0;
  let answered = 0;
  let idle: (() => void) | undefined;

  const answer = (request: IncomingMessage, response: ServerResponse): void => {
    const current = behaviour();
    const path = (request.url ?? '/').split('?')[0]!;
    const isHealthCheck =
      String(request.headers['user-agent'] ?? '').startsWith('ELB-HealthChecker') || path === '/health';
    if (isHealthCheck) {
      const status = current.healthStatus ?? 200;
      response
        .writeHead(status, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: status < 400 ? 'ok' : 'failing', task: taskId }));
      return;
    }
    if (path === '/version') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end(current.version ?? 'unknown');
      return;
    }
    if (current.dropRate && random() < current.dropRate) {
      request.socket.destroy();
      return;
    }
    answered++;
    const status =
      current.errorEvery && answered % current.errorEvery === 0 ? 500 : pickStatus(current, random);
    response.writeHead(status, {
      'content-type': 'application/json',
      'x-task-id': taskId,
      'x-version': current.version ?? 'unknown',
    });
    response.end(JSON.stringify({ version: current.version, task: taskId, path, status }));
  };

  const server = createServer((request, response) => {
    inFlight++;
    response.on('close', () => {
      inFlight--;
      if (inFlight === 0) idle?.();
    });
    request.resume();
    // Latency is the application's: health checks answer at once, as a light /health endpoint does.
    const isHealthCheck =
      String(request.headers['user-agent'] ?? '').startsWith('ELB-HealthChecker') ||
      (request.url ?? '/').split('?')[0] === '/health';
    const delay = isHealthCheck ? 0 : latencyOf(behaviour(), random);
    // The latency the application has, for the load balancer's TargetResponseTime: what this
    // process's own scheduling adds on a busy machine is the host's, not the target's.
    response.setHeader(TARGET_LATENCY_HEADER, String(Math.round(delay)));
    if (delay > 0) setTimeout(() => answer(request, response), delay);
    else answer(request, response);
  });
  // Behind an ALB a target keeps idle connections longer than the ALB's 60 s idle timeout (AWS's
  // guidance): otherwise the load balancer sends a request on a connection the target is closing,
  // and a customer gets a 502 that no release caused.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const { port, sockets } = await listenOnLoopback(server);

  const closeServer = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return {
    port,
    async stop(graceMs = 10_000) {
      const closed = closeServer();
      server.closeIdleConnections();
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, graceMs);
          idle = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    kill() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

function pickStatus(behaviour: ImageBehaviour, random: () => number): number {
  if (behaviour.statusMix) {
    const entries = Object.entries(behaviour.statusMix);
    const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
    let draw = random() * total;
    for (const [status, weight] of entries) {
      draw -= weight;
      if (draw < 0) return Number(status);
    }
    return Number(entries[entries.length - 1]![0]);
  }
  return behaviour.errorRate && random() < behaviour.errorRate ? 500 : 200;
}

function latencyOf(behaviour: ImageBehaviour, random: () => number): number {
  const latency = behaviour.latencyMs;
  if (latency === undefined) return 0;
  if (typeof latency === 'number') return latency;
  return latency.min + random() * (latency.max - latency.min);
}
