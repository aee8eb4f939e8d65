/**
 * A server on 127.0.0.1 that answers as badly as a real one can, for the tests of every read's
 * deadline: `/ok`, `/fail` (503), `/drip` (200, then a byte every 500 ms until closed), `/huge`
 * (2 MiB), and a Prometheus `/api/v1/query` whose answer per query the test sets.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type PrometheusAnswer =
  /** `[labels, value]` pairs: a vector; values as Prometheus writes them (`"0.2"`, `"+Inf"`, `"NaN"`). */
  { vector: [Record<string, string>, string][] } | { scalar: string } | 'drip' | 'huge' | { status: number };

export interface SignalServer {
  url: string;
  /** The answer to each PromQL query (after `{{color}}` is replaced); unknown queries get an empty vector. */
  prometheus: Map<string, PrometheusAnswer>;
  /** Requests seen, as `METHOD path`. */
  requests: string[];
  close(): Promise<void>;
}

const HUGE_BYTES = 2 * 1024 * 1024;

export async function startSignalServer(): Promise<SignalServer> {
  const prometheus = new Map<string, PrometheusAnswer>();
  const requests: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const drip = (response: ServerResponse, contentType = 'text/plain') => {
    response.writeHead(200, { 'content-type': contentType });
    response.write(contentType === 'application/json' ? '{' : 'o');
    const timer = setInterval(() => response.write(' '), 500);
    timers.add(timer);
    response.on('close', () => {
      clearInterval(timer);
      timers.delete(timer);
    });
  };
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    requests.push(`${request.method} ${url.pathname}`);
    if (url.pathname === '/ok') return void response.writeHead(200).end('ok');
    if (url.pathname === '/fail') return void response.writeHead(503).end('unavailable');
    if (url.pathname === '/drip') return drip(response);
    if (url.pathname === '/huge') return void response.writeHead(200).end(Buffer.alloc(HUGE_BYTES, 'x'));
    if (url.pathname !== '/api/v1/query') return void response.writeHead(404).end();
    const answer = prometheus.get(url.searchParams.get('query') ?? '') ?? { vector: [] };
    if (answer === 'drip') return drip(response, 'application/json');
    if (answer === 'huge') return void response.writeHead(200).end(`{"data":"${'x'.repeat(HUGE_BYTES)}"}`);
    if ('status' in answer) return void response.writeHead(answer.status).end('{}');
    const data =
      'scalar' in answer
        ? { resultType: 'scalar', result: [1_700_000_000, answer.scalar] }
        : {
            resultType: 'vector',
            result: answer.vector.map(([metric, value]) => ({ metric, value: [1_700_000_000, value] })),
          };
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ status: 'success', data }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    prometheus,
    requests,
    async close() {
      for (const timer of timers) clearInterval(timer);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
