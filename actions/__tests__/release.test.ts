/**
 * A release that pins: the reusable workflows' inner `mpac/actions/...@v1` references become the
 * exact version, and the release App's installation token is minted from a JWT GitHub would accept.
 */
import { describe, expect, it } from '@jest/globals';
import { createVerify, generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { appJwt, installationToken, parseVersion, pinReferences } from '../../scripts/release.js';

const workflows = path.resolve(import.meta.dirname, '../../.github/workflows');

describe('pinning a release', () => {
  it('reads X.Y.Z (with or without v) and refuses anything else by name', () => {
    expect(parseVersion('v1.4.0')).toEqual({ version: '1.4.0', major: '1' });
    expect(parseVersion('2.0.13')).toEqual({ version: '2.0.13', major: '2' });
    expect(() => parseVersion('1.4')).toThrow('version must be X.Y.Z (e.g. 1.4.0); got "1.4"');
  });

  it("rewrites every mpac/actions reference of this repository's workflows to the exact version, and nothing else", () => {
    for (const name of readdirSync(workflows).filter((file) => file.endsWith('.yml'))) {
      const text = readFileSync(path.join(workflows, name), 'utf8');
      const references = text.match(/uses:\s*mpac\/actions\/\S+@v1\b/g) ?? [];
      const pinned = pinReferences(text, '1.4.0');
      expect(pinned.changed).toBe(references.length);
      expect(pinned.text).not.toMatch(/mpac\/actions\/\S+@v1\s/);
      // Only those lines changed: third-party pins by SHA and everything else stay as they were.
      const before = text.split('\n');
      const after = pinned.text.split('\n');
      expect(after).toHaveLength(before.length);
      const changedLines = after.filter((line, index) => line !== before[index]);
      expect(changedLines.every((line) => /mpac\/actions\/\S+@v1\.4\.0/.test(line))).toBe(true);
    }
    expect(pinReferences('      uses: mpac/actions/notify@v1 # the notifier', '1.4.0').text).toBe(
      '      uses: mpac/actions/notify@v1.4.0 # the notifier',
    );
    expect(pinReferences('uses: mpac/actions/.github/workflows/rollback.yml@v1.3.9', '1.4.0').text).toBe(
      'uses: mpac/actions/.github/workflows/rollback.yml@v1.4.0',
    );
    expect(
      pinReferences('uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1', '1.4.0')
        .changed,
    ).toBe(0);
  });
});

describe('the release App token', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();

  const verified = (jwt: string) => {
    const [header, claims, signature] = jwt.split('.');
    const ok = createVerify('RSA-SHA256')
      .update(`${header}.${claims}`)
      .verify(publicKey, Buffer.from(signature!, 'base64url'));
    return {
      ok,
      header: JSON.parse(Buffer.from(header!, 'base64url').toString()),
      claims: JSON.parse(Buffer.from(claims!, 'base64url').toString()),
    };
  };

  it('signs an RS256 JWT GitHub accepts: issued a minute back for clock skew, valid under ten minutes', () => {
    const jwt = verified(appJwt('123456', pem, 1_800_000_000));
    expect(jwt.ok).toBe(true);
    expect(jwt.header).toEqual({ alg: 'RS256', typ: 'JWT' });
    expect(jwt.claims).toEqual({ iss: '123456', iat: 1_799_999_940, exp: 1_800_000_540 });
  });

  it("finds the App's installation on the repository and mints its token with that JWT", async () => {
    const seen: string[] = [];
    const server = createServer((request, response) => {
      const bearer = (request.headers.authorization ?? '').replace(/^Bearer /, '');
      seen.push(`${request.method} ${request.url} ${verified(bearer).ok ? 'signed' : 'unsigned'}`);
      response.setHeader('content-type', 'application/json');
      if (request.url === '/repos/mpac/actions/installation') return response.end(JSON.stringify({ id: 77 }));
      if (request.url === '/app/installations/77/access_tokens' && request.method === 'POST')
        return response.writeHead(201).end(JSON.stringify({ token: 'ghs_installation' }));
      response.writeHead(404).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const token = await installationToken({
        api,
        appId: '123456',
        privateKey: pem,
        repository: 'mpac/actions',
        nowSeconds: Math.floor(Date.now() / 1000),
      });
      expect(token).toBe('ghs_installation');
      expect(seen).toEqual([
        'GET /repos/mpac/actions/installation signed',
        'POST /app/installations/77/access_tokens signed',
      ]);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
