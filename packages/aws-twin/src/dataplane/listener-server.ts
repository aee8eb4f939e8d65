/**
 * A listener's data plane: a real HTTP port on 127.0.0.1 that matches rules, picks a target group
 * by weight (or stickiness cookie), then a healthy target (failing open to unhealthy ones when no
 * target is healthy), and proxies; 503 without a registered target, 502 when the target drops the
 * connection, as an ALB does. Every request is measured.
 */
import {
  createServer,
  request as httpRequest,
  Agent,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { MetricStore } from '../metrics.js';
import { listenOnLoopback } from './loopback.js';
import { TARGET_LATENCY_HEADER } from './task-server.js';
import {
  forwardTargets,
  type Action,
  type Condition,
  type ElbService,
  type Target,
  type TargetGroup,
} from '../services/elbv2.js';

export interface ListenerServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

const STICKY_COOKIE = 'AWSALBTG';

export async function startListenerServer(
  listenerArn: string,
  elb: ElbService,
  metrics: MetricStore,
  random: () => number = Math.random,
): Promise<ListenerServer> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const roundRobin = new Map<string, number>();

  const lbDimension = () => {
    const listener = elb.listeners.get(listenerArn);
    const lb = listener ? elb.loadBalancers.get(listener.loadBalancerArn) : undefined;
    return lb ? `app/${lb.name}/${lb.id}` : 'app/unknown/0';
  };

  const record = (
    group: TargetGroup | undefined,
    outcome: { status: number; fromTarget: boolean; seconds?: number },
  ) => {
    const lb = [{ Name: 'LoadBalancer', Value: lbDimension() }];
    const at = Date.now();
    metrics.put('AWS/ApplicationELB', 'RequestCount', lb, 1, at);
    const klass = `${Math.floor(outcome.status / 100)}XX`;
    if (!outcome.fromTarget) {
      metrics.put('AWS/ApplicationELB', `HTTPCode_ELB_${klass}_Count`, lb, 1, at);
      if ([502, 503, 504].includes(outcome.status))
        metrics.put('AWS/ApplicationELB', `HTTPCode_ELB_${outcome.status}_Count`, lb, 1, at);
    }
    if (!group) return;
    const both = [...lb, { Name: 'TargetGroup', Value: group.arn.slice(group.arn.indexOf('targetgroup/')) }];
    metrics.put('AWS/ApplicationELB', 'RequestCount', both, 1, at);
    if (outcome.fromTarget) {
      metrics.put('AWS/ApplicationELB', `HTTPCode_Target_${klass}_Count`, both, 1, at);
      metrics.put('AWS/ApplicationELB', `HTTPCode_Target_${klass}_Count`, lb, 1, at);
      metrics.put('AWS/ApplicationELB', 'TargetResponseTime', both, outcome.seconds!, at);
      metrics.put('AWS/ApplicationELB', 'TargetResponseTime', lb, outcome.seconds!, at);
    }
  };

  const fixed = (response: ServerResponse, status: number, body: string, group?: TargetGroup) => {
    record(group, { status, fromTarget: false });
    if (!response.headersSent)
      response.writeHead(status, { 'content-type': 'text/html', server: 'awselb/2.0' });
    response.end(body);
  };

  const server = createServer((request, response) => {
    const action = matchAction(elb, listenerArn, request);
    if (!action)
      return fixed(response, 503, '<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>');
    if (action.Type === 'fixed-response') {
      const config = action.FixedResponseConfig!;
      record(undefined, { status: Number(config.StatusCode), fromTarget: false });
      response
        .writeHead(Number(config.StatusCode), { 'content-type': config.ContentType ?? 'text/plain' })
        .end(config.MessageBody ?? '');
      return;
    }
    if (action.Type !== 'forward') return fixed(response, 501, 'Not supported by the twin');
    const group = pickGroup(elb, action, request, random);
    if (!group)
      return fixed(response, 503, '<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>');
    const target = pickTarget(group, roundRobin);
    if (!target)
      return fixed(
        response,
        503,
        '<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>',
        group,
      );
    proxy(request, response, group, target, action);
  });

  const proxy = (
    request: IncomingMessage,
    response: ServerResponse,
    group: TargetGroup,
    target: Target,
    action: Action,
  ) => {
    target.inFlight++;
    const started = performance.now();
    let finished = false;
    const done = () => {
      if (!finished) {
        finished = true;
        target.inFlight--;
      }
    };
    if (!target.id.startsWith('127.')) {
      done();
      return fixed(response, 502, '<html><body><h1>502 Bad Gateway</h1></body></html>', group);
    }
    const upstream = httpRequest(
      {
        host: target.id,
        port: target.port,
        method: request.method,
        path: request.url,
        headers: {
          ...request.headers,
          'x-forwarded-for': request.socket.remoteAddress ?? '127.0.0.1',
          'x-forwarded-proto': 'http',
        },
        agent,
        timeout: 60_000,
      },
      (upstreamResponse) => {
        // Hop-by-hop headers describe the target's connection to the load balancer, not the
        // customer's: an ALB answers with its own (a target's `keep-alive: timeout=65` would tell
        // a client to hold an idle connection longer than the listener keeps it).
        const { [TARGET_LATENCY_HEADER]: targetLatency, ...endToEnd } = upstreamResponse.headers;
        const headers = withoutHopByHop(endToEnd);
        const stickiness = action.ForwardConfig?.TargetGroupStickinessConfig;
        if (stickiness?.Enabled) {
          headers['set-cookie'] = [
            `${STICKY_COOKIE}=${encodeURIComponent(group.arn)}; Max-Age=${stickiness.DurationSeconds ?? 3600}; Path=/`,
          ];
        }
        response.writeHead(upstreamResponse.statusCode ?? 502, headers);
        upstreamResponse.pipe(response);
        upstreamResponse.on('end', () => {
          const latencyMs = targetLatency === undefined ? performance.now() - started : Number(targetLatency);
          record(group, {
            status: upstreamResponse.statusCode ?? 502,
            fromTarget: true,
            seconds: latencyMs / 1000,
          });
          done();
        });
        upstreamResponse.on('error', () => {
          done();
          response.destroy();
        });
      },
    );
    upstream.on('timeout', () => upstream.destroy(new Error('timeout')));
    upstream.on('error', (error) => {
      done();
      const status = error.message === 'timeout' ? 504 : 502;
      if (!response.headersSent)
        fixed(
          response,
          status,
          `<html><body><h1>${status} ${status === 504 ? 'Gateway Time-out' : 'Bad Gateway'}</h1></body></html>`,
          group,
        );
      else response.destroy();
    });
    request.pipe(upstream);
  };

  // An ALB keeps idle client connections for 60 s (its idle timeout); Node's 5 s default would close
  // a keep-alive socket just as a client reuses it, which no ALB customer sees.
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  const { port, sockets } = await listenOnLoopback(server);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      for (const socket of sockets) socket.destroy();
      agent.destroy();
      await closed;
    },
  };
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** The end-to-end headers of a message (RFC 9110 § 7.6.1): what a proxy passes on. */
export function withoutHopByHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean),
  );
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name) && !named.has(name)),
  );
}

/** The first rule (by priority) whose conditions all match, else the default action. */
export function matchAction(
  elb: ElbService,
  listenerArn: string,
  request: Pick<IncomingMessage, 'url' | 'headers'>,
): Action | undefined {
  for (const entry of elb.routingTable(listenerArn)) {
    if (entry.conditions.every((condition) => conditionMatches(condition, request))) {
      return [...entry.actions]
        .sort((a, b) => (a.Order ?? 0) - (b.Order ?? 0))
        .find((action) => ['forward', 'fixed-response', 'redirect'].includes(action.Type));
    }
  }
  return undefined;
}

function conditionMatches(condition: Condition, request: Pick<IncomingMessage, 'url' | 'headers'>): boolean {
  const path = (request.url ?? '/').split('?')[0]!;
  const host = String(request.headers.host ?? '').replace(/:\d+$/, '');
  switch (condition.Field) {
    case 'path-pattern':
      return (condition.PathPatternConfig?.Values ?? condition.Values ?? []).some((pattern) =>
        wildcard(pattern, false).test(path),
      );
    case 'host-header':
      return (condition.HostHeaderConfig?.Values ?? condition.Values ?? []).some((pattern) =>
        wildcard(pattern, true).test(host),
      );
    case 'http-header': {
      const config = condition.HttpHeaderConfig!;
      const value = String(request.headers[config.HttpHeaderName.toLowerCase()] ?? '');
      return config.Values.some((pattern) => wildcard(pattern, true).test(value));
    }
    default:
      return false;
  }
}

function wildcard(pattern: string, ignoreCase: boolean): RegExp {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '');
}

function pickGroup(
  elb: ElbService,
  action: Action,
  request: IncomingMessage,
  random: () => number,
): TargetGroup | undefined {
  const targets = forwardTargets(action);
  if (action.ForwardConfig?.TargetGroupStickinessConfig?.Enabled) {
    const cookie = /(?:^|;\s*)AWSALBTG=([^;]+)/.exec(String(request.headers.cookie ?? ''));
    const sticky = cookie ? decodeURIComponent(cookie[1]!) : undefined;
    if (sticky && targets.some((target) => target.TargetGroupArn === sticky))
      return elb.targetGroups.get(sticky);
  }
  const total = targets.reduce((sum, target) => sum + target.Weight, 0);
  if (total === 0) return undefined;
  let draw = random() * total;
  for (const target of targets) {
    draw -= target.Weight;
    if (draw < 0) return elb.targetGroups.get(target.TargetGroupArn);
  }
  return elb.targetGroups.get(targets[targets.length - 1]!.TargetGroupArn);
}

/**
 * A healthy target, round robin. When every registered target is unhealthy, the ALB fails open and
 * routes to all of them regardless of their health (AWS: "If a target group contains only
 * unhealthy registered targets, the load balancer routes requests to all those targets").
 */
function pickTarget(group: TargetGroup, roundRobin: Map<string, number>): Target | undefined {
  const targets = [...group.targets.values()];
  const healthy = targets.filter((target) => target.state === 'healthy');
  const pool = healthy.length > 0 ? healthy : targets.filter((target) => target.state === 'unhealthy');
  if (pool.length === 0) return undefined;
  const next = (roundRobin.get(group.arn) ?? 0) % pool.length;
  roundRobin.set(group.arn, next + 1);
  return pool[next];
}
