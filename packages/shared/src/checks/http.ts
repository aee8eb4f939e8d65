/**
 * One HTTP request, measured: status, headers, body (capped), latency and the TLS certificate's
 * expiry. Bounded as a whole: connect, headers and body share one deadline enforced by an abort
 * signal, so a server that sends a byte a second cannot hold a check past it.
 */
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
  /** The body was longer than the limit: what is here is its start, and the answer is judged failed. */
  bodyCutAtBytes?: number;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** Bodies beyond this are cut: a check never holds more of an answer in memory. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** No answer, or no whole answer in time: the message says which. */
export class ConnectionError extends Error {}

export interface SendOptions {
  maxBodyBytes?: number;
  now?: () => number;
}

/** Sends the request; resolves with the whole answer within `timeoutMs`, or rejects with ConnectionError. */
export function sendRequest(
  request: HttpRequest,
  timeoutMs: number,
  options: SendOptions = {},
): Promise<HttpResponse> {
  const started = performance.now();
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const now = options.now ?? Date.now;
  const deadline = AbortSignal.timeout(Math.max(1, timeoutMs));
  return new Promise((resolve, reject) => {
    const send = request.url.startsWith('https:') ? httpsRequest : httpRequest;
    const fail = (error: Error & { code?: string }) =>
      reject(
        deadline.aborted
          ? new ConnectionError(`no complete answer within ${timeoutMs} ms (connect, headers and body)`)
          : new ConnectionError(
              error instanceof ConnectionError ? error.message : `${error.code ?? 'error'}: ${error.message}`,
            ),
      );
    const outgoing = send(
      request.url,
      { method: request.method, headers: request.headers, signal: deadline },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const tlsDaysLeft = certificateDaysLeft(response.socket as TLSSocket, now());
        const answer = (cut: boolean): HttpResponse => ({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).subarray(0, maxBodyBytes).toString('utf8'),
          latencyMs: Math.round(performance.now() - started),
          tlsDaysLeft,
          ...(cut ? { bodyCutAtBytes: maxBodyBytes } : {}),
        });
        response.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.length;
          if (size > maxBodyBytes) {
            // Enough: the rest is not read, the connection is dropped.
            resolve(answer(true));
            outgoing.destroy();
          }
        });
        response.on('end', () => resolve(answer(false)));
        response.on('error', fail);
        response.on('aborted', () =>
          fail(new ConnectionError('the server closed the connection mid-answer')),
        );
      },
    );
    outgoing.on('error', fail);
    if (request.body !== undefined) outgoing.write(request.body);
    outgoing.end();
  });
}

/** Days until the server certificate expires, on https; undefined otherwise. */
function certificateDaysLeft(socket: TLSSocket, now: number): number | undefined {
  if (typeof socket.getPeerCertificate !== 'function') return undefined;
  const validTo = socket.getPeerCertificate()?.valid_to;
  return validTo ? Math.floor((Date.parse(validTo) - now) / 86_400_000) : undefined;
}

/** `Retry-After` as milliseconds: seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(headers: IncomingHttpHeaders, now: number): number | undefined {
  const value = headers['retry-after'];
  if (typeof value !== 'string' || value === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
