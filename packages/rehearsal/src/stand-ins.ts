/**
 * What a runner talks to besides AWS, on 127.0.0.1: the OIDC token endpoint (for jobs granted
 * `id-token: write`; each job's token carries its own claims), GitHub's REST API for deployments,
 * their statuses and pull request comments (each GITHUB_TOKEN held to its job's `permissions`, as
 * GitHub holds it), and a Slack incoming webhook. Every request is recorded so a rehearsal can say
 * what was notified and marked.
 */
import { createVerify, randomBytes, type KeyObject } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { allows, SCOPES, type Permissions } from './permissions.js';

/** What GitHub puts in a job's OIDC token that a trust policy can test (`sub`, `environment`, …). */
export type OidcClaims = Record<string, string>;

/** The GitHub REST calls the stand-in serves and the scope each needs (GitHub's fine-grained table). */
const ROUTES: { method: string; path: RegExp; scopes: string[]; level: 'read' | 'write'; name: string }[] = [
  {
    method: 'GET',
    path: /^\/repos\/[^/]+\/[^/]+\/actions\/runs\/\d+\/approvals$/,
    scopes: ['actions'],
    level: 'read',
    name: 'approvals',
  },
  {
    method: 'GET',
    path: /^\/repos\/[^/]+\/[^/]+\/deployments$/,
    scopes: ['deployments'],
    level: 'read',
    name: 'list',
  },
  {
    method: 'POST',
    path: /^\/repos\/[^/]+\/[^/]+\/deployments$/,
    scopes: ['deployments'],
    level: 'write',
    name: 'create',
  },
  {
    method: 'POST',
    path: /^\/repos\/[^/]+\/[^/]+\/deployments\/\d+\/statuses$/,
    scopes: ['deployments'],
    level: 'write',
    name: 'status',
  },
  {
    method: 'GET',
    path: /^\/repos\/[^/]+\/[^/]+\/issues\/\d+\/comments$/,
    scopes: ['issues', 'pull-requests'],
    level: 'read',
    name: 'comments',
  },
  {
    method: 'POST',
    path: /^\/repos\/[^/]+\/[^/]+\/issues\/\d+\/comments$/,
    scopes: ['issues', 'pull-requests'],
    level: 'write',
    name: 'comment',
  },
  {
    method: 'POST',
    path: /^\/repos\/[^/]+\/[^/]+\/releases$/,
    scopes: ['contents'],
    level: 'write',
    name: 'release',
  },
  {
    method: 'PATCH',
    path: /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/\d+$/,
    scopes: ['issues', 'pull-requests'],
    level: 'write',
    name: 'edit',
  },
];

export interface CommentRecord {
  id: number;
  issue: number;
  body: string;
  user: { login: string };
}

export interface DeploymentRecord {
  id: number;
  environment: string;
  ref: string;
  /** What the deployment recorded (`{ service, release }`), as GitHub stores a payload. */
  payload: Record<string, unknown>;
  /** `production_environment` as created (GitHub's auto_inactive spares production deployments). */
  production: boolean;
  statuses: { state: string; description?: string }[];
}

/** A GitHub App installed on one repository: its installation tokens carry its permissions. */
export interface AppRegistration {
  id: string;
  /** The public half of the App's private key: the stand-in verifies the App's JWTs with it. */
  publicKey: KeyObject;
  /** `owner/name` the App is installed on. */
  repository: string;
  /** Repository permissions of the App (`contents: write`, `workflows: write`). */
  permissions: Record<string, 'read' | 'write'>;
}

export interface ReleaseRecord {
  tag: string;
  name?: string;
  generateNotes: boolean;
  /** Who created it: the App's installation token, or another token. */
  by: 'app' | 'other';
}

export interface StandIns {
  /** Installs a GitHub App: `GET /repos/{repo}/installation` and installation tokens for its JWTs. */
  registerApp(app: AppRegistration): void;
  /** Installation tokens minted, with the App's permissions (git pushes check them). */
  installationTokens: Map<string, Record<string, 'read' | 'write'>>;
  /** Releases created through the API. */
  releases: ReleaseRecord[];
  /** ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN for jobs with `id-token: write` (claims of a push to main). */
  oidc: { url: string; token: string };
  /** ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN for one job, whose tokens carry these claims. */
  oidcFor(claims: OidcClaims): { url: string; token: string };
  /** A fresh GITHUB_TOKEN (or `token`, given) that may do what `permissions` grant, and nothing more. */
  githubTokenFor(permissions: Permissions, token?: string): string;
  /** A token the API accepts with every scope (tests that call the stand-in themselves). */
  githubToken: string;
  /** Pull request comments, as created and edited. */
  comments: CommentRecord[];
  /** Every call the GitHub API refused, as `<status> <method> <path>: <message>`. */
  refusals: string[];
  /** Records a deployment review of a run (`GET …/actions/runs/{id}/approvals` lists them). */
  recordApproval(runId: number, environment: string, reviewer: string): void;
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

export async function startStandIns(
  options: {
    /**
     * A file to which every token the stand-in issues is appended as a JSON line `{ token,
     * permissions }`: what a git server stand-in reads to hold pushes to GitHub's rules.
     */
    tokenLedger?: string;
  } = {},
): Promise<StandIns> {
  const remember = (token: string, permissions: Record<string, string>) => {
    if (options.tokenLedger)
      appendFileSync(options.tokenLedger, `${JSON.stringify({ token, permissions })}\n`);
  };
  const requestToken = `oidc-request-${randomBytes(8).toString('hex')}`;
  const claimsByRequestToken = new Map<string, OidcClaims>([
    [
      requestToken,
      { sub: 'repo:mpac/platform:ref:refs/heads/main', ref: 'refs/heads/main', repository: 'mpac/platform' },
    ],
  ]);
  const scopesByToken = new Map<string, Permissions>();
  const allScopes = Object.fromEntries(SCOPES.map((scope) => [scope, 'write'])) as Permissions;
  const githubToken = `ghs_${randomBytes(18).toString('hex')}`;
  scopesByToken.set(githubToken, allScopes);
  const comments: CommentRecord[] = [];
  const approvals: { runId: number; environment: string; reviewer: string }[] = [];
  const refusals: string[] = [];
  const hookSecret = randomBytes(12).toString('hex');
  const deployments: DeploymentRecord[] = [];
  const apps: AppRegistration[] = [];
  const installationTokens = new Map<string, Record<string, 'read' | 'write'>>();
  const releases: ReleaseRecord[] = [];
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
      // The token a GitHub API call presents (`token …` or `Bearer …`).
      const presented = (request.headers.authorization ?? '').replace(/^(token|Bearer) /i, '');
      if (url.pathname === '/oidc') {
        // The runtime's token endpoint takes a bearer token only.
        const bearer = /^Bearer /.test(request.headers.authorization ?? '');
        const claims = bearer ? claimsByRequestToken.get(presented) : undefined;
        if (!claims) return json(401, { message: 'bad token' });
        const audience = url.searchParams.get('audience') ?? 'sts.amazonaws.com';
        const token = fakeJwt(audience, claims);
        issuedTokens.push(token);
        return json(200, { value: token });
      }
      if (url.pathname === `/slack/${hookSecret}`) {
        if (state.slackDown) return response.writeHead(500).end('slack is down');
        slackMessages.push(String(parsed.text ?? ''));
        return response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      }
      if (url.pathname.startsWith('/github/')) {
        const apiPath = url.pathname.slice('/github'.length);
        const refuse = (code: number, message: string) => {
          refusals.push(`${code} ${request.method} ${apiPath}: ${message}`);
          return json(code, { message, documentation_url: 'https://docs.github.com/rest' });
        };
        // A GitHub App authenticates as itself with a JWT it signs: finds its installation, mints tokens.
        const installation = /^\/repos\/([^/]+\/[^/]+)\/installation$/.exec(apiPath);
        const minting = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(apiPath);
        if ((installation && request.method === 'GET') || (minting && request.method === 'POST')) {
          const app = appOfJwt(apps, presented);
          if (typeof app === 'string') return refuse(401, app);
          const index = apps.indexOf(app);
          if (installation) {
            if (installation[1] !== app.repository) return refuse(404, 'Not Found');
            return json(200, { id: 1000 + index, app_id: Number(app.id), permissions: app.permissions });
          }
          if (Number(minting![1]) !== 1000 + index) return refuse(404, 'Not Found');
          const token = `ghs_${randomBytes(18).toString('hex')}`;
          installationTokens.set(token, { ...app.permissions });
          scopesByToken.set(token, { ...(app.permissions as Permissions) });
          remember(token, app.permissions);
          return json(201, {
            token,
            expires_at: new Date(Date.now() + 3_600_000).toISOString(),
            permissions: app.permissions,
          });
        }
        const scopes = scopesByToken.get(presented);
        if (!scopes) return refuse(401, 'Bad credentials');
        // GET /user is for user tokens; a GITHUB_TOKEN is refused it, as on GitHub.
        if (apiPath === '/user') return refuse(403, 'Resource not accessible by integration');
        const route = ROUTES.find((entry) => entry.method === request.method && entry.path.test(apiPath));
        if (route && !route.scopes.some((scope) => allows(scopes, scope, route.level)))
          return refuse(403, 'Resource not accessible by integration');
      }
      const reviews = /^\/github\/repos\/[^/]+\/[^/]+\/actions\/runs\/(\d+)\/approvals$/.exec(url.pathname);
      if (reviews && request.method === 'GET')
        return json(
          200,
          approvals
            .filter((entry) => entry.runId === Number(reviews[1]))
            .map((entry) => ({
              state: 'approved',
              comment: '',
              environments: [{ name: entry.environment }],
              user: { login: entry.reviewer, type: 'User' },
            })),
        );
      const listing = /^\/github\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments$/.exec(url.pathname);
      if (listing && request.method === 'GET')
        return json(
          200,
          comments.filter((comment) => comment.issue === Number(listing[1])),
        );
      if (listing && request.method === 'POST') {
        const comment = {
          id: 5000 + comments.length,
          issue: Number(listing[1]),
          body: String(parsed.body ?? ''),
          user: { login: 'github-actions[bot]' },
        };
        comments.push(comment);
        return json(201, comment);
      }
      const edited = /^\/github\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/.exec(url.pathname);
      if (edited && request.method === 'PATCH') {
        const comment = comments.find((entry) => entry.id === Number(edited[1]));
        if (!comment) return json(404, { message: 'Not Found' });
        comment.body = String(parsed.body ?? '');
        return json(200, comment);
      }
      const created = /^\/github\/repos\/[^/]+\/[^/]+\/deployments$/.exec(url.pathname);
      if (created && request.method === 'GET') {
        const environment = url.searchParams.get('environment');
        // Newest first, paged as GitHub pages (per_page up to 100, default 30).
        const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30) || 30);
        const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
        const listed = deployments
          .filter((entry) => !environment || entry.environment === environment)
          .reverse()
          .slice((page - 1) * perPage, page * perPage);
        return json(
          200,
          listed.map((entry) => ({
            id: entry.id,
            environment: entry.environment,
            ref: entry.ref,
            payload: entry.payload,
          })),
        );
      }
      if (created && request.method === 'POST') {
        const deployment: DeploymentRecord = {
          id: 1000 + deployments.length,
          environment: String(parsed.environment ?? ''),
          ref: String(parsed.ref ?? ''),
          production:
            parsed.production_environment === true ||
            (parsed.production_environment === undefined && parsed.environment === 'production'),
          payload:
            parsed.payload && typeof parsed.payload === 'object'
              ? (parsed.payload as Record<string, unknown>)
              : {},
          statuses: [],
        };
        deployments.push(deployment);
        return json(201, { id: deployment.id });
      }
      const status = /^\/github\/repos\/[^/]+\/[^/]+\/deployments\/(\d+)\/statuses$/.exec(url.pathname);
      if (status && request.method === 'GET') {
        const deployment = deployments.find((entry) => entry.id === Number(status[1]));
        if (!deployment) return json(404, { message: 'Not Found' });
        // Newest first, as GitHub lists them.
        return json(
          200,
          [...deployment.statuses]
            .map((entry, index) => ({
              id: index + 1,
              state: entry.state,
              description: entry.description ?? '',
            }))
            .reverse(),
        );
      }
      if (status && request.method === 'POST') {
        const deployment = deployments.find((entry) => entry.id === Number(status[1]));
        if (!deployment) return json(404, { message: 'Not Found' });
        deployment.statuses.push({ state: String(parsed.state), description: parsed.description as string });
        // auto_inactive (default true): a success marks every earlier deployment of the same
        // environment inactive, except production ones, as GitHub does.
        if (parsed.state === 'success' && parsed.auto_inactive !== false && !deployment.production)
          for (const earlier of deployments)
            if (
              earlier.id < deployment.id &&
              earlier.environment === deployment.environment &&
              earlier.statuses.at(-1)?.state !== 'inactive'
            )
              earlier.statuses.push({ state: 'inactive', description: 'auto_inactive' });
        return json(201, { id: deployment.statuses.length });
      }
      if (/^\/github\/repos\/[^/]+\/[^/]+\/releases$/.test(url.pathname) && request.method === 'POST') {
        const tag = String(parsed.tag_name ?? '');
        if (!tag)
          return json(422, {
            message: 'Validation Failed',
            errors: [{ field: 'tag_name', code: 'missing_field' }],
          });
        if (releases.some((release) => release.tag === tag))
          return json(422, {
            message: 'Validation Failed',
            errors: [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }],
          });
        releases.push({
          tag,
          name: typeof parsed.name === 'string' ? parsed.name : undefined,
          generateNotes: parsed.generate_release_notes === true,
          by: installationTokens.has(presented) ? 'app' : 'other',
        });
        return json(201, {
          id: releases.length,
          tag_name: tag,
          html_url: `https://github.com/releases/tag/${tag}`,
        });
      }
      return json(404, {
        message: `the rehearsal's GitHub stand-in does not serve ${request.method} ${url.pathname}`,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    registerApp: (app) => apps.push(app),
    installationTokens,
    releases,
    oidc: { url: `${base}/oidc?api-version=2.0`, token: requestToken },
    oidcFor: (claims) => {
      const token = `oidc-request-${randomBytes(8).toString('hex')}`;
      claimsByRequestToken.set(token, claims);
      return { url: `${base}/oidc?api-version=2.0`, token };
    },
    githubTokenFor: (permissions, token = `ghs_${randomBytes(18).toString('hex')}`) => {
      scopesByToken.set(token, { ...permissions });
      remember(token, permissions);
      return token;
    },
    githubToken,
    comments,
    refusals,
    recordApproval: (runId, environment, reviewer) => approvals.push({ runId, environment, reviewer }),
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

/**
 * A JWT-shaped token as GitHub's OIDC provider issues, with the job's claims; the twin's STS reads
 * the claims for trust policies and does not check the signature.
 */
function fakeJwt(audience: string, claims: OidcClaims): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return [
    part({ alg: 'RS256', typ: 'JWT' }),
    part({ ...claims, aud: audience, iss: 'https://token.actions.githubusercontent.com' }),
    randomBytes(16).toString('base64url'),
  ].join('.');
}

/**
 * The App a JWT speaks for, as GitHub checks it: RS256 signed by that App's key, `iss` its id,
 * issued at most a minute ahead of now and expiring within ten minutes; else GitHub's words.
 */
function appOfJwt(apps: AppRegistration[], jwt: string): AppRegistration | string {
  const [header, claims, signature] = jwt.split('.');
  if (!header || !claims || !signature) return 'A JSON web token could not be decoded';
  let decoded: { alg?: string; iss?: unknown; iat?: unknown; exp?: unknown };
  try {
    decoded = {
      ...(JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg?: string }),
      ...(JSON.parse(Buffer.from(claims, 'base64url').toString()) as object),
    };
  } catch {
    return 'A JSON web token could not be decoded';
  }
  const app = apps.find((candidate) => String(decoded.iss) === candidate.id);
  if (!app || decoded.alg !== 'RS256') return 'A JSON web token could not be decoded';
  const valid = createVerify('RSA-SHA256')
    .update(`${header}.${claims}`)
    .verify(app.publicKey, Buffer.from(signature, 'base64url'));
  if (!valid) return 'A JSON web token could not be decoded';
  const now = Math.floor(Date.now() / 1000);
  if (typeof decoded.iat !== 'number' || decoded.iat > now + 60)
    return "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued";
  if (typeof decoded.exp !== 'number' || decoded.exp <= now || decoded.exp - decoded.iat > 600)
    return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires";
  return app;
}
