/** One HTTP request, measured: status, headers, body (capped), latency and the TLS certificate's expiry. */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  latencyMs: number;
  /** Days until the server certificate expires (https only). */
  tlsDaysLeft?: number;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

const MAX_BODY_BYTES = 1024 * 1024;

export class ConnectionError extends Error {}

export function sendRequest(
  request: HttpRequest,
  timeoutMs: number,
  now: () => number = Date.now,
): Promise<HttpResponse> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const send = request.url.startsWith('https:') ? httpsRequest : httpRequest;
    const outgoing = send(
      request.url,
      { method: request.method, headers: request.headers, timeout: timeoutMs },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let tlsDaysLeft: number | undefined;
        const socket = response.socket as TLSSocket;
        if (typeof socket.getPeerCertificate === 'function') {
          const certificate = socket.getPeerCertificate();
          if (certificate?.valid_to)
            tlsDaysLeft = Math.floor((Date.parse(certificate.valid_to) - now()) / 86_400_000);
        }
        response.on('data', (chunk: Buffer) => {
          if (size < MAX_BODY_BYTES) chunks.push(chunk);
          size += chunk.length;
        });
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            latencyMs: Math.round(performance.now() - started),
            tlsDaysLeft,
          }),
        );
        response.on('error', (error) => reject(new ConnectionError(error.message)));
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new ConnectionError(`no answer within ${timeoutMs} ms`)));
    outgoing.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        new ConnectionError(
          error instanceof ConnectionError ? error.message : `${error.code ?? 'error'}: ${error.message}`,
        ),
      ),
    );
    if (request.body !== undefined) outgoing.write(request.body);
    outgoing.end();
  });
}

/** `Retry-After` as milliseconds: seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(headers: IncomingHttpHeaders, now: number): number | undefined {
  const value = headers['retry-after'];
  if (typeof value !== 'string' || value === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
