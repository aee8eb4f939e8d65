/**
 * What a runner talks to besides AWS, on 127.0.0.1: the OIDC token endpoint (for jobs granted
 * `id-token: write`), GitHub's REST API for deployments and their statuses, and a Slack incoming
 * webhook. Every request is recorded so a rehearsal can say what was notified and marked.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DeploymentRecord {
  id: number;
  environment: string;
  ref: string;
  statuses: { state: string; description?: string }[];
}

export interface StandIns {
  /** ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN for jobs with `id-token: write`. */
  oidc: { url: string; token: string };
  /** GITHUB_API_URL. */
  githubApiUrl: string;
  /** A Slack incoming-webhook URL; it is a secret, as a real one is. */
  slackWebhookUrl: string;
  slackMessages: string[];
  deployments: DeploymentRecord[];
  /** Every OIDC token handed out (secrets: a test greps for them). */
  issuedTokens: string[];
  /** Slack answers 500 while true (an outage must not turn a deploy red). */
  slackDown: boolean;
  close(): Promise<void>;
}

export async function startStandIns(): Promise<StandIns> {
  const requestToken = `oidc-request-${randomBytes(8).toString('hex')}`;
  const hookSecret = randomBytes(12).toString('hex');
  const deployments: DeploymentRecord[] = [];
  const slackMessages: string[] = [];
  const issuedTokens: string[] = [];
  const state = { slackDown: false };
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const json = (status: number, value: unknown) =>
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      const parsed = (() => {
        try {
          return JSON.parse(body || '{}') as Record<string, unknown>;
        } catch {
          return {};
        }
      })();
      if (url.pathname === '/oidc') {
        if (request.headers.authorization !== `Bearer ${requestToken}`)
          return json(401, { message: 'bad token' });
        const audience = url.searchParams.get('audience') ?? 'sts.amazonaws.com';
        const token = fakeJwt(audience);
        issuedTokens.push(token);
        return json(200, { value: token });
      }
      if (url.pathname === `/slack/${hookSecret}`) {
        if (state.slackDown) return response.writeHead(500).end('slack is down');
        slackMessages.push(String(parsed.text ?? ''));
        return response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      }
      const created = /^\/github\/repos\/[^/]+\/[^/]+\/deployments$/.exec(url.pathname);
      if (created && request.method === 'GET') {
        const environment = url.searchParams.get('environment');
        const listed = deployments
          .filter((entry) => !environment || entry.environment === environment)
          .reverse();
        return json(
          200,
          listed.map((entry) => ({ id: entry.id, environment: entry.environment, ref: entry.ref })),
        );
      }
      if (created && request.method === 'POST') {
        const deployment: DeploymentRecord = {
          id: 1000 + deployments.length,
          environment: String(parsed.environment ?? ''),
          ref: String(parsed.ref ?? ''),
          statuses: [],
        };
        deployments.push(deployment);
        return json(201, { id: deployment.id });
      }
      const status = /^\/github\/repos\/[^/]+\/[^/]+\/deployments\/(\d+)\/statuses$/.exec(url.pathname);
      if (status && request.method === 'POST') {
        const deployment = deployments.find((entry) => entry.id === Number(status[1]));
        if (!deployment) return json(404, { message: 'Not Found' });
        deployment.statuses.push({ state: String(parsed.state), description: parsed.description as string });
        return json(201, { id: deployment.statuses.length });
      }
      return json(404, {
        message: `the rehearsal's GitHub stand-in does not serve ${request.method} ${url.pathname}`,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    oidc: { url: `${base}/oidc?api-version=2.0`, token: requestToken },
    githubApiUrl: `${base}/github`,
    slackWebhookUrl: `${base}/slack/${hookSecret}`,
    slackMessages,
    deployments,
    issuedTokens,
    get slackDown() {
      return state.slackDown;
    },
    set slackDown(down: boolean) {
      state.slackDown = down;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A JWT-shaped token as GitHub's OIDC provider issues; the twin's STS only checks it is there. */
function fakeJwt(audience: string): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return [
    part({ alg: 'RS256', typ: 'JWT' }),
    part({
      aud: audience,
      iss: 'https://token.actions.githubusercontent.com',
      sub: 'repo:mpac/platform:ref:refs/heads/main',
    }),
    randomBytes(16).toString('base64url'),
  ].join('.');
}
