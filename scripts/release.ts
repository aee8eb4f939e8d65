/**
 * What release.yml does to make a release that pins: `node scripts/release.ts pin <X.Y.Z>` rewrites
 * every `mpac/actions/<path>@v<major>` reference inside this repository's reusable workflows to
 * `@vX.Y.Z`, so a caller pinning `@vX.Y.Z` runs exactly that release all the way down (a caller on
 * `@v1` gets the same, once `v1` moves to it). `node scripts/release.ts app-token` mints a GitHub
 * App installation token (the App may push workflow files; GITHUB_TOKEN may not) from
 * RELEASE_APP_ID, RELEASE_APP_PRIVATE_KEY and GITHUB_REPOSITORY, and writes it masked to
 * GITHUB_OUTPUT as `token`. Self-contained (node: imports only) so Node 24 runs it as it is.
 */
import { createSign } from 'node:crypto';
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** A release version as the tag names it, without the `v`. */
export function parseVersion(value: string): { version: string; major: string } {
  const match = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(value.trim());
  if (!match) throw new Error(`version must be X.Y.Z (e.g. 1.4.0); got ${JSON.stringify(value)}`);
  return { version: `${match[1]}.${match[2]}.${match[3]}`, major: match[1]! };
}

/**
 * `uses: mpac/actions/<path>@v<major>` (the moving major tag, or any earlier pin) →
 * `@v<version>`. Returns the text and how many references changed; other actions are untouched.
 */
export function pinReferences(text: string, version: string): { text: string; changed: number } {
  let changed = 0;
  const pinned = text.replace(
    /(uses:\s*['"]?mpac\/actions\/[\w./-]+)@v\d+(?:\.\d+\.\d+)?(?=['"]?\s*(?:#.*)?$)/gm,
    (_whole, target: string) => {
      changed++;
      return `${target}@v${version}`;
    },
  );
  return { text: pinned, changed };
}

/** Pins every workflow file in `directory`; returns the files changed with their counts. */
export function pinWorkflows(directory: string, version: string): Record<string, number> {
  const changed: Record<string, number> = {};
  for (const name of readdirSync(directory).filter((file) => /\.ya?ml$/.test(file))) {
    const file = path.join(directory, name);
    const result = pinReferences(readFileSync(file, 'utf8'), version);
    if (result.changed === 0) continue;
    writeFileSync(file, result.text);
    changed[name] = result.changed;
  }
  return changed;
}

/** The JWT a GitHub App signs to ask for an installation token (RS256; valid 9 minutes, 60 s of skew). */
export function appJwt(appId: string, privateKey: string, nowSeconds: number): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ iat: nowSeconds - 60, exp: nowSeconds + 540, iss: appId })}`;
  const signature = createSign('RSA-SHA256').update(unsigned).sign(privateKey).toString('base64url');
  return `${unsigned}.${signature}`;
}

async function github(api: string, route: string, bearer: string, method = 'GET'): Promise<unknown> {
  const response = await fetch(`${api}${route}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, accept: 'application/vnd.github+json' },
    signal: AbortSignal.timeout(15_000),
  });
  if (!response.ok) throw new Error(`${method} ${route}: HTTP ${response.status}`);
  return response.json();
}

/** An installation token of the App installed on `repository`, allowed to write contents and workflows. */
export async function installationToken(options: {
  api: string;
  appId: string;
  privateKey: string;
  repository: string;
  nowSeconds: number;
}): Promise<string> {
  const jwt = appJwt(options.appId, options.privateKey, options.nowSeconds);
  const installation = (await github(options.api, `/repos/${options.repository}/installation`, jwt)) as {
    id: number;
  };
  const minted = (await github(
    options.api,
    `/app/installations/${installation.id}/access_tokens`,
    jwt,
    'POST',
  )) as { token: string };
  return minted.token;
}

async function main(argv: string[]): Promise<void> {
  const [command, value] = argv;
  if (command === 'pin') {
    const { version } = parseVersion(value ?? '');
    const changed = pinWorkflows(path.join(process.cwd(), '.github/workflows'), version);
    const total = Object.values(changed).reduce((sum, count) => sum + count, 0);
    if (total === 0) throw new Error('no mpac/actions reference found to pin in .github/workflows');
    for (const [file, count] of Object.entries(changed))
      console.log(`${file}: ${count} reference(s) pinned to v${version}`);
    return;
  }
  if (command === 'app-token') {
    const env = process.env;
    for (const name of ['RELEASE_APP_ID', 'RELEASE_APP_PRIVATE_KEY', 'GITHUB_REPOSITORY', 'GITHUB_OUTPUT'])
      if (!env[name])
        throw new Error(
          `${name} is not set: the release needs the App's id (variable) and private key (secret)`,
        );
    const token = await installationToken({
      api: env.GITHUB_API_URL ?? 'https://api.github.com',
      appId: env.RELEASE_APP_ID!,
      privateKey: env.RELEASE_APP_PRIVATE_KEY!,
      repository: env.GITHUB_REPOSITORY!,
      nowSeconds: Math.floor(Date.now() / 1000),
    });
    console.log(`::add-mask::${token}`);
    appendFileSync(env.GITHUB_OUTPUT!, `token=${token}\n`);
    console.log('Minted an installation token of the release App (masked).');
    return;
  }
  throw new Error('usage: node scripts/release.ts pin <X.Y.Z> | app-token');
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename ?? ''))
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.log(`::error title=release::${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
