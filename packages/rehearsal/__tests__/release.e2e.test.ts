/**
 * This repository's release.yml, rehearsed: on a clone of the suite's workflows whose origin is a
 * local bare repository, with the GitHub stand-in playing the release App (its JWT verified with
 * the App's public key, installation tokens with contents and workflows) and a `gh` stand-in for
 * `gh release create`; the origin holds pushes to GitHub's rule (a push that changes
 * .github/workflows/ needs a token with the `workflows` permission, which GITHUB_TOKEN never has),
 * reading the pusher's token from the header the release job gives git. The verify job's npm steps
 * are stood in for (the suite's own CI runs them); setup-node's Node 24, which runs
 * `scripts/release.ts` as it is, is emulated on this machine's Node 20 by stripping types on load.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SUITE_ROOT } from '../src/platform.js';
import { findJob, findStep } from '../src/report.js';
import { rehearse, type WorkflowRecord } from '../src/rehearse.js';
import { startStandIns, type StandIns } from '../src/stand-ins.js';

const APP_ID = '424242';
const testing = path.join(SUITE_ROOT, 'packages/rehearsal/testing');

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

interface Repository {
  origin: string;
  work: string;
  /** Where the stand-ins write the tokens they issue; the origin's hook reads it. */
  ledger: string;
  git: (cwd: string, ...args: string[]) => string;
}

/** The suite's workflows and release script at a commit on main, pushed with `v1` on it to a bare origin. */
function repository(): Repository {
  const root = mkdtempSync(path.join(tmpdir(), 'mpac-release-'));
  const origin = path.join(root, 'origin.git');
  const work = path.join(root, 'work');
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', args, {
      cwd,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'maintainer',
        GIT_AUTHOR_EMAIL: 'maintainer@example.com',
        GIT_COMMITTER_NAME: 'maintainer',
        GIT_COMMITTER_EMAIL: 'maintainer@example.com',
      },
    }).trim();
  mkdirSync(origin);
  git(origin, 'init', '-q', '--bare', '-b', 'main');
  mkdirSync(work);
  git(work, 'init', '-q', '-b', 'main');
  cpSync(path.join(SUITE_ROOT, '.github/workflows'), path.join(work, '.github/workflows'), {
    recursive: true,
  });
  cpSync(path.join(SUITE_ROOT, 'scripts/release.ts'), path.join(work, 'scripts/release.ts'));
  git(work, 'add', '-A');
  git(work, 'commit', '-q', '-m', 'The suite at v1.1.0');
  git(work, 'tag', 'v1');
  git(work, 'remote', 'add', 'origin', origin);
  git(work, 'push', '-q', 'origin', 'main', 'refs/tags/v1');
  // From now on the origin holds pushes to GitHub's rules.
  const ledger = path.join(root, 'tokens.jsonl');
  writeFileSync(ledger, '');
  cpSync(path.join(testing, 'github-push/pre-receive'), path.join(origin, 'hooks/pre-receive'));
  writeFileSync(path.join(origin, 'hooks/ledger-path'), ledger);
  cleanup = async () => rmSync(root, { recursive: true, force: true });
  return { origin, work, ledger, git };
}

/** The repository, and the GitHub stand-in with the release App (contents and workflows) installed on it. */
async function setUp(appPublicKey: KeyObject): Promise<{ repo: Repository; standIns: StandIns }> {
  const repo = repository();
  const standIns = await startStandIns({ tokenLedger: repo.ledger });
  const removeRepository = cleanup!;
  cleanup = async () => {
    await standIns.close();
    await removeRepository();
  };
  standIns.registerApp({
    id: APP_ID,
    publicKey: appPublicKey,
    repository: 'mpac/actions',
    permissions: { contents: 'write', workflows: 'write' },
  });
  return { repo, standIns };
}

async function release(repo: Repository, standIns: StandIns, privateKey: string): Promise<WorkflowRecord> {
  const stub = (what: string) => `echo "stand-in for: ${what} (the suite's CI runs it)"`;
  return rehearse({
    workflow: path.join(repo.work, '.github/workflows/release.yml'),
    suiteRoot: SUITE_ROOT,
    workspace: repo.work,
    event: { name: 'workflow_dispatch', inputs: { version: '1.2.3' } },
    ref: 'refs/heads/main',
    sha: repo.git(repo.work, 'rev-parse', 'HEAD'),
    repository: 'mpac/actions',
    runId: 9100,
    vars: { RELEASE_APP_ID: APP_ID },
    secrets: { RELEASE_APP_PRIVATE_KEY: privateKey },
    githubTokenFor: (permissions) => standIns.githubTokenFor(permissions),
    stubs: {
      'verify/install': stub('npm ci'),
      'verify/lint': stub('npm run lint'),
      'verify/typecheck': stub('npm run typecheck'),
      'verify/test': stub('npm test'),
      'verify/check-dist': stub('npm run check-dist'),
    },
    env: {
      PATH: `${path.join(testing, 'fake-gh')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: process.env.HOME ?? repo.work,
      GITHUB_API_URL: standIns.githubApiUrl,
      NODE_OPTIONS: `--import ${path.join(testing, 'node24/register.mjs')}`,
      GIT_TERMINAL_PROMPT: '0',
    },
    stepTimeoutMs: 60_000,
  });
}

function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { pem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), publicKey };
}

describe('release.yml, rehearsed', () => {
  it('tags a commit whose reusable workflows call the exact release, moves v1 to it, publishes with the App token', async () => {
    const app = keyPair();
    const { repo, standIns } = await setUp(app.publicKey);
    const mainBefore = repo.git(repo.origin, 'rev-parse', 'main');

    const record = await release(repo, standIns, app.pem);
    expect(findJob(record, 'publish')?.result).toBe('success');
    expect(findStep(record, 'verify/test')?.kind).toBe('stubbed');

    // v1.2.3 and v1 name the same new commit; main is where it was (the release commit is the tag's).
    const tagged = repo.git(repo.origin, 'rev-parse', 'v1.2.3^{commit}');
    expect(repo.git(repo.origin, 'rev-parse', 'v1^{commit}')).toBe(tagged);
    expect(repo.git(repo.origin, 'rev-parse', 'main')).toBe(mainBefore);
    expect(repo.git(repo.origin, 'rev-parse', `${tagged}^`)).toBe(mainBefore);
    expect(repo.git(repo.origin, 'cat-file', '-t', 'v1.2.3')).toBe('tag');
    // Every inner reference of every reusable workflow is pinned: none left on the moving v1.
    const inner: string[] = [];
    for (const file of readdirSync(path.join(SUITE_ROOT, '.github/workflows'))) {
      const text = repo.git(repo.origin, 'show', `v1.2.3:.github/workflows/${file}`);
      inner.push(
        ...[...text.matchAll(/uses:\s*['"]?(mpac\/actions\/[\w./-]+@[\w.]+)/g)].map((match) => match[1]!),
      );
    }
    expect(inner.length).toBeGreaterThan(5);
    expect(inner.filter((reference) => !reference.endsWith('@v1.2.3'))).toEqual([]);
    expect(repo.git(repo.origin, 'log', '-1', '--format=%an %s', 'v1.2.3')).toBe(
      'mpac-release[bot] Release v1.2.3: inner mpac/actions references pinned to v1.2.3',
    );
    // Published with notes by the App's installation token; neither the key nor the token was printed.
    expect(standIns.releases).toEqual([{ tag: 'v1.2.3', name: 'v1.2.3', generateNotes: true, by: 'app' }]);
    const logs = record.jobs.flatMap((job) => job.steps.map((step) => step.log)).join('\n');
    expect(logs).toContain('Minted an installation token of the release App (masked).');
    for (const token of standIns.installationTokens.keys()) expect(logs).not.toContain(token);
    expect(logs).not.toContain('PRIVATE KEY');

    // The same move of v1 with a GITHUB_TOKEN (contents: write, as a job can grant) is refused.
    const githubToken = standIns.githubTokenFor({ contents: 'write' });
    repo.git(repo.work, 'tag', '--force', 'v1', 'v1.2.3^{commit}');
    repo.git(repo.origin, 'tag', '--force', 'v1', mainBefore);
    const refused = (() => {
      try {
        execFileSync('git', ['push', '--force', 'origin', 'refs/tags/v1'], {
          cwd: repo.work,
          encoding: 'utf8',
          stdio: 'pipe',
          env: {
            ...process.env,
            GIT_CONFIG_COUNT: '1',
            GIT_CONFIG_KEY_0: 'http.https://github.com/.extraheader',
            GIT_CONFIG_VALUE_0: `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${githubToken}`).toString('base64')}`,
          },
        });
        return '';
      } catch (error) {
        return String((error as { stderr?: string }).stderr);
      }
    })();
    expect(refused).toContain(
      'refusing to allow a GitHub App to create or update workflow `.github/workflows/',
    );
    expect(refused).toContain('without `workflows` permission');
    expect(repo.git(repo.origin, 'rev-parse', 'v1^{commit}')).toBe(mainBefore);
  }, 120_000);

  it('pushes nothing when the App does not recognise the key: the token step fails in GitHub’s words', async () => {
    const { repo, standIns } = await setUp(keyPair().publicKey);
    const record = await release(repo, standIns, keyPair().pem);
    expect(findJob(record, 'publish')?.result).toBe('failure');
    expect(findStep(record, 'publish/token')?.annotations.map((entry) => entry.message)).toEqual([
      'GET /repos/mpac/actions/installation: HTTP 401',
    ]);
    expect(standIns.refusals).toContain(
      '401 GET /repos/mpac/actions/installation: A JSON web token could not be decoded',
    );
    expect(findStep(record, 'publish/release')?.outcome).toBe('skipped');
    expect(repo.git(repo.origin, 'tag', '--list')).toBe('v1');
    expect(standIns.releases).toEqual([]);
  }, 120_000);
});
