/** The control plane: one HTTP endpoint on 127.0.0.1 that tells services apart as AWS_WIRE_NOTES.md says. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { CallLog } from './calls.js';
import { AwsError } from './errors.js';
import type { Faults } from './faults.js';
import { validateRequest } from './validate.js';
import { requestId, requestRegion } from './ids.js';
import { parseQueryForm, queryErrorXml, queryResponseXml, toJsonWire, type WireValue } from './protocols.js';

type Handler = (input: Record<string, unknown>, accessKeyId?: string) => unknown;

export interface ServiceTable {
  ecs: Record<string, Handler>;
  ecr: Record<string, Handler>;
  cloudwatch: Record<string, Handler>;
  elbv2: Record<string, Handler>;
  sts: Record<string, Handler>;
  scheduler: Record<string, Handler>;
  events: Record<string, Handler>;
}

const JSON_TARGETS: Record<
  string,
  { service: 'ecs' | 'ecr' | 'cloudwatch' | 'events'; contentType: string }
> = {
  AWSEvents: { service: 'events', contentType: 'application/x-amz-json-1.1' },
  AmazonEC2ContainerServiceV20141113: { service: 'ecs', contentType: 'application/x-amz-json-1.1' },
  AmazonEC2ContainerRegistry_V20150921: { service: 'ecr', contentType: 'application/x-amz-json-1.1' },
  GraniteServiceVersion20100801: { service: 'cloudwatch', contentType: 'application/x-amz-json-1.0' },
};

const QUERY_VERSIONS: Record<string, { service: 'elbv2' | 'sts'; namespace: string }> = {
  '2015-12-01': { service: 'elbv2', namespace: 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/' },
  '2011-06-15': { service: 'sts', namespace: 'https://sts.amazonaws.com/doc/2011-06-15/' },
};

/** CloudWatch's query-compatible errors: the code goes in a header, the shape name in `__type`. */
const CLOUDWATCH_SHAPES: Record<string, string> = {
  InvalidParameterValue: 'InvalidParameterValueException',
  InvalidParameterCombination: 'InvalidParameterCombinationException',
  MissingParameter: 'MissingRequiredParameterException',
};

const UNSIGNED = new Set(['AssumeRoleWithWebIdentity']);

export interface ControlPlaneOptions {
  /** The services of the region a request is signed for (undefined: unsigned). */
  servicesFor: (region: string | undefined) => ServiceTable;
  calls: CallLog;
  faults: Faults;
  isExpired: (accessKeyId: string | undefined) => boolean;
  /** Throws the service's AccessDenied when the caller's role may not make the call. */
  authorize?: (
    service: string,
    operation: string,
    input: Record<string, unknown>,
    accessKeyId?: string,
  ) => void;
}

export function createControlPlane(options: ControlPlaneOptions): Server {
  return createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void serve(options, request, Buffer.concat(chunks), response).catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(`twin failure: ${error instanceof Error ? error.message : String(error)}`);
      });
    });
  });
}

async function serve(
  options: ControlPlaneOptions,
  request: IncomingMessage,
  raw: Buffer,
  response: ServerResponse,
): Promise<void> {
  const body = (request.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
  const accessKeyId = /Credential=([^/,\s]+)\//.exec(String(request.headers.authorization ?? ''))?.[1];
  // Credential=<key>/<date>/<region>/<service>/aws4_request: resources created now get that region.
  const region = /Credential=[^/,\s]+\/\d{8}\/([a-z0-9-]+)\//.exec(
    String(request.headers.authorization ?? ''),
  )?.[1];
  const signed = () => serveRequest(options, request, response, accessKeyId, body);
  return region ? requestRegion.run(region, signed) : signed();
}

async function serveRequest(
  options: ControlPlaneOptions,
  request: IncomingMessage,
  response: ServerResponse,
  accessKeyId: string | undefined,
  body: string,
): Promise<void> {
  const id = requestId();
  const target = String(request.headers['x-amz-target'] ?? '');
  const url = new URL(request.url ?? '/', 'http://twin');
  if (!target && /^\/schedules(\/|$)/.test(url.pathname))
    return serveScheduler(options, request, response, url, body, accessKeyId, id);

  if (target) {
    const [prefix, operation = ''] = target.split('.');
    const protocol = JSON_TARGETS[prefix ?? ''];
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, {
        'content-type': protocol?.contentType ?? 'application/json',
        'x-amzn-requestid': id,
        ...headers,
      });
      response.end(JSON.stringify(payload));
    };
    if (!protocol)
      return send(400, { __type: 'UnknownOperationException', message: `Unknown target ${target}` });
    let input: Record<string, unknown>;
    try {
      input = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    } catch {
      return send(400, { __type: 'SerializationException', message: 'Request body is not valid JSON' });
    }
    const outcome = await dispatch(options, protocol.service, operation, input, accessKeyId);
    if (outcome.dropResponse) return void request.socket.destroy();
    if (outcome.error) {
      const code = outcome.error.code;
      if (protocol.service === 'cloudwatch') {
        return send(
          outcome.error.status,
          { __type: CLOUDWATCH_SHAPES[code] ?? code, message: outcome.error.message },
          {
            'x-amzn-query-error': `${code};${outcome.error.fault}`,
          },
        );
      }
      return send(outcome.error.status, { __type: code, message: outcome.error.message });
    }
    return send(200, toJsonWire(outcome.result ?? {}));
  }

  const form = parseQueryForm(body);
  const operation = String(form.Action ?? '');
  const protocol = QUERY_VERSIONS[String(form.Version ?? '')];
  const namespace = protocol?.namespace ?? QUERY_VERSIONS['2015-12-01']!.namespace;
  const sendXml = (status: number, xml: string) => {
    response.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': id });
    response.end(xml);
  };
  if (!protocol)
    return sendXml(
      400,
      queryErrorXml(
        new AwsError('InvalidAction', `Unknown Version '${String(form.Version)}'`),
        namespace,
        id,
      ),
    );
  const { Action: _action, Version: _version, ...input } = form;
  const outcome = await dispatch(options, protocol.service, operation, input, accessKeyId);
  if (outcome.dropResponse) return void request.socket.destroy();
  if (outcome.error)
    return sendXml(outcome.error.status, queryErrorXml(outcome.error, protocol.namespace, id));
  return sendXml(200, queryResponseXml(operation, protocol.namespace, outcome.result as WireValue, id));
}

/** EventBridge Scheduler speaks restJson1: the operation is the method and path. */
async function serveScheduler(
  options: ControlPlaneOptions,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  body: string,
  accessKeyId: string | undefined,
  id: string,
): Promise<void> {
  const send = (status: number, payload: unknown, code?: string) => {
    response.writeHead(status, {
      'content-type': 'application/json',
      'x-amzn-requestid': id,
      ...(code ? { 'x-amzn-errortype': code } : {}),
    });
    response.end(JSON.stringify(payload));
  };
  const name = /^\/schedules\/([^/]+)$/.exec(url.pathname)?.[1];
  const operation = name
    ? { GET: 'GetSchedule', PUT: 'UpdateSchedule', POST: 'CreateSchedule', DELETE: 'DeleteSchedule' }[
        request.method ?? ''
      ]
    : request.method === 'GET' && url.pathname === '/schedules'
      ? 'ListSchedules'
      : undefined;
  if (!operation)
    return send(
      404,
      { Message: `No such resource: ${request.method} ${url.pathname}` },
      'UnknownOperationException',
    );
  let input: Record<string, unknown>;
  try {
    input = body ? (JSON.parse(body) as Record<string, unknown>) : {};
  } catch {
    return send(400, { Message: 'Request body is not valid JSON' }, 'SerializationException');
  }
  if (name) input.Name = decodeURIComponent(name);
  for (const [key, value] of url.searchParams) {
    const member = { groupName: 'GroupName', MaxResults: 'MaxResults' }[key] ?? key;
    input[member] = member === 'MaxResults' ? Number(value) : value;
  }
  const outcome = await dispatch(options, 'scheduler', operation, input, accessKeyId);
  if (outcome.dropResponse) return void request.socket.destroy();
  if (outcome.error)
    return send(outcome.error.status, { Message: outcome.error.message }, outcome.error.code);
  return send(200, toJsonWire(outcome.result ?? {}));
}

async function dispatch(
  options: ControlPlaneOptions,
  service: keyof ServiceTable,
  operation: string,
  input: Record<string, unknown>,
  accessKeyId: string | undefined,
): Promise<{ result?: unknown; error?: AwsError; dropResponse?: boolean }> {
  const region = requestRegion.getStore();
  const record = (outcome: string) =>
    options.calls.record({
      service,
      operation,
      ...(region ? { region } : {}),
      params: input,
      outcome,
      at: Date.now(),
      ...(accessKeyId ? { accessKeyId } : {}),
    });
  if (!UNSIGNED.has(operation) && options.isExpired(accessKeyId)) {
    const error = new AwsError(
      service === 'elbv2' ? 'ExpiredToken' : 'ExpiredTokenException',
      'The security token included in the request is expired',
      400,
    );
    record(error.code);
    return { error };
  }
  const handler = options.servicesFor(region)[service][operation];
  if (!handler) {
    const error = new AwsError(
      service === 'elbv2' || service === 'sts' ? 'InvalidAction' : 'UnknownOperationException',
      `The twin does not implement ${service}:${operation}`,
    );
    record(error.code);
    return { error };
  }
  try {
    validateRequest(service, operation, input);
    options.authorize?.(service, operation, input, accessKeyId);
  } catch (error) {
    if (!(error instanceof AwsError)) throw error;
    record(error.code);
    return { error };
  }
  const fault = options.faults.decide(service, operation);
  if (fault.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
  if (fault.error) {
    record(fault.error.code);
    return { error: fault.error };
  }
  try {
    const result = await handler(input, accessKeyId);
    record(fault.dropResponse ? 'ok, response dropped' : 'ok');
    return { result, dropResponse: fault.dropResponse };
  } catch (error) {
    const awsError =
      error instanceof AwsError
        ? error
        : new AwsError(
            'InternalFailure',
            `twin bug: ${error instanceof Error ? error.message : String(error)}`,
            500,
          );
    record(awsError.code);
    return { error: awsError };
  }
}
