/**
 * The rehearsal refuses what GitHub refuses and says what GitHub does quietly, as a table of
 * workflows: variable and secret names GitHub would not let anyone create, and names a run read
 * that were never set (GitHub reads them as '').
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConcurrencyBoard } from '../src/concurrency.js';
import { rehearse, type WorkflowRecord } from '../src/rehearse.js';
import { startStandIns } from '../src/stand-ins.js';

let dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

function workflow(text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'rehearsal-strict-'));
  dirs.push(dir);
  mkdirSync(path.join(dir, '.github/workflows'), { recursive: true });
  writeFileSync(path.join(dir, '.github/workflows/w.yml'), text);
  return dir;
}

function run(dir: string, extra: Partial<Parameters<typeof rehearse>[0]> = {}): Promise<WorkflowRecord> {
  return rehearse({
    workflow: path.join(dir, '.github/workflows/w.yml'),
    suiteRoot: dir,
    workspace: dir,
    event: { name: 'push' },
    ref: 'refs/heads/main',
    sha: 'abc123',
    repository: 'mpac/platform',
    runId: 42,
    stepTimeoutMs: 20_000,
    ...extra,
  });
}

const ECHO = `on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - id: show
        run: echo "rule=[\${{ vars[format('STAGING_RULE_{0}', 'svc-portal')] }}] token=[\${{ secrets.DEPLOY_TOKEN }}] role=[\${{ vars.ROLE_ARN }}]"
`;

describe('variables and secrets as GitHub has them', () => {
  it.each([
    [
      'variable',
      { vars: { 'STAGING_RULE_svc-portal': 'arn:1' } },
      /GitHub refuses the variable name 'STAGING_RULE_svc-portal': variable names can only contain alphanumeric characters/,
    ],
    [
      'variable',
      { vars: { '1ST_RULE': 'arn:1' } },
      /variable name '1ST_RULE': variable names must not start with a number/,
    ],
    [
      'variable',
      { vars: { GITHUB_RULE: 'arn:1' } },
      /variable name 'GITHUB_RULE': variable names must not start with the GITHUB_ prefix/,
    ],
    ['secret', { secrets: { 'slack-webhook': 'x' } }, /GitHub refuses the secret name 'slack-webhook'/],
  ])('refuses a %s name GitHub refuses: %j', async (_kind, given, message) => {
    await expect(run(workflow(ECHO), given)).rejects.toThrow(message);
  });

  it("reads an unset variable or secret as '', and lists every unset name the run read", async () => {
    const lines: string[] = [];
    const record = await run(workflow(ECHO), {
      vars: { ROLE_ARN: 'arn:role' },
      log: (line) => lines.push(line),
    });
    expect(record.result).toBe('success');
    expect(record.jobs[0]!.steps[0]!.log).toContain('rule=[] token=[] role=[arn:role]');
    expect(record.unsetReads).toEqual(['secrets.DEPLOY_TOKEN', 'vars.STAGING_RULE_svc-portal']);
    expect(lines.join('\n')).toContain(
      "Read but never set (GitHub reads them as ''): secrets.DEPLOY_TOKEN, vars.STAGING_RULE_svc-portal",
    );
  });
});

describe('timeout-minutes', () => {
  it("kills a step at its own timeout-minutes, and a job's steps at what is left of the job's", async () => {
    const record = await run(
      workflow(`on: push
jobs:
  step-limit:
    runs-on: ubuntu-latest
    steps:
      - run: sleep 20
        timeout-minutes: 0.02
  job-limit:
    runs-on: ubuntu-latest
    timeout-minutes: 0.04
    steps:
      - run: sleep 1.5
      - run: sleep 20
`),
    );
    const [stepLimit, jobLimit] = ['step-limit', 'job-limit'].map((id) =>
      record.jobs.find((job) => job.path === id)!,
    );
    expect(stepLimit!.result).toBe('failure');
    expect(stepLimit!.steps[0]!.log).toContain('(killed: the step ran past its time limit)');
    expect(jobLimit!.result).toBe('failure');
    expect(jobLimit!.steps.map((step) => step.outcome)).toEqual(['success', 'failure']);
    expect(jobLimit!.steps[1]!.log).toContain('(killed: the step ran past its time limit)');
  }, 30_000);
});

const DEPLOY = `on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: echo deployed
`;

describe('environment protection rules', () => {
  const rules = {
    production: { reviewers: ['alice', 'bob'], preventSelfReview: true, branches: ['main', 'release/*'] },
  };
  it.each([
    [
      'one of two listed reviewers approves',
      { approvals: { production: ['bob'] } },
      'success',
      /approved by bob/,
    ],
    [
      'nobody approves',
      {},
      'failure',
      /Waiting for review: production needs an approval from one of alice, bob\. Nobody who may approve did; GitHub fails a deployment left waiting for review after 30 days\./,
    ],
    [
      'someone not listed approves',
      { approvals: { production: ['mallory'] } },
      'failure',
      /mallory is not a required reviewer/,
    ],
    [
      'the actor approves their own run (prevent self-review)',
      { actor: 'alice', approvals: { production: ['alice'] } },
      'failure',
      /alice started the run and may not approve it \(prevent self-review\)/,
    ],
    [
      'the actor and another reviewer approve',
      { actor: 'alice', approvals: { production: ['alice', 'bob'] } },
      'success',
      /approved by bob/,
    ],
    [
      'a branch outside the policy',
      { ref: 'refs/heads/feature/x', approvals: { production: ['bob'] } },
      'failure',
      /Branch "feature\/x" is not allowed to deploy to production due to environment protection rules\./,
    ],
    [
      'a branch the policy matches',
      { ref: 'refs/heads/release/1.2', approvals: { production: ['bob'] } },
      'success',
      /approved by bob/,
    ],
    [
      'a tag when the policy lists none',
      { ref: 'refs/tags/v1.2.0', approvals: { production: ['bob'] } },
      'failure',
      /Tag "v1.2.0" is not allowed to deploy to production/,
    ],
  ] as const)('%s', async (_case, given, result, said) => {
    const lines: string[] = [];
    const record = await run(workflow(DEPLOY), {
      environments: rules,
      ...given,
      log: (line) => lines.push(line),
    } as Partial<Parameters<typeof rehearse>[0]>);
    const job = record.jobs[0]!;
    expect(job.result).toBe(result);
    expect(lines.join('\n')).toMatch(said);
    // A refused job runs none of its steps.
    expect(job.steps.length).toBe(result === 'success' ? 1 : 0);
    if (result === 'failure') expect(job.refused).toMatch(said);
  });

  it.each([
    [
      { production: { reviewers: 'alice' } },
      /environments\.production\.reviewers must be a list of people; got "alice"/,
    ],
    [{ production: { reviewer: ['alice'] } }, /environments\.production\.reviewer is not a protection rule/],
    [
      { production: { reviewers: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] } },
      /GitHub allows up to 6 required reviewers/,
    ],
    [
      { production: { waitTimerMinutes: 50_000 } },
      /waitTimerMinutes must be a whole number of minutes from 0 to 43200/,
    ],
  ])('refuses rules GitHub would not accept: %j', async (environments, message) => {
    await expect(
      run(workflow(DEPLOY), { environments } as unknown as Partial<Parameters<typeof rehearse>[0]>),
    ).rejects.toThrow(message);
  });
});

/** Waits (bounded) until `file` holds `text`. */
async function waitFor(file: string, text: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(existsSync(file) && readFileSync(file, 'utf8').includes(text))) {
    if (Date.now() > deadline) throw new Error(`${file} never held ${text}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('concurrency groups', () => {
  const inGroup = (cancel: boolean) => `on: push
concurrency:
  group: deploy-\${{ github.ref }}
  cancel-in-progress: ${cancel}
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: ./marker
      - run: echo "start $RUN" >> "$LEDGER"; sleep "$HOLD"; echo "end $RUN" >> "$LEDGER"
      - if: always()
        run: echo "always $RUN" >> "$LEDGER"
      - if: cancelled()
        run: echo "cancelled $RUN" >> "$LEDGER"
      - run: echo "after $RUN" >> "$LEDGER"
`;

  function repository(cancel: boolean): { dir: string; ledger: string } {
    const dir = workflow(inGroup(cancel));
    mkdirSync(path.join(dir, 'marker'));
    writeFileSync(
      path.join(dir, 'marker/action.yml'),
      'name: marker\ndescription: marks the ledger\nruns:\n  using: node20\n  main: main.js\n  post: post.js\n',
    );
    writeFileSync(
      path.join(dir, 'marker/main.js'),
      "require('fs').appendFileSync(process.env.LEDGER, `main ${process.env.RUN}\\n`);\n",
    );
    writeFileSync(
      path.join(dir, 'marker/post.js'),
      "require('fs').appendFileSync(process.env.LEDGER, `post ${process.env.RUN}\\n`);\n",
    );
    return { dir, ledger: path.join(dir, 'ledger') };
  }

  const start = (
    dir: string,
    ledger: string,
    board: ConcurrencyBoard,
    name: string,
    hold: number,
    lines: string[],
  ) =>
    run(dir, {
      concurrency: board,
      runId: name.charCodeAt(0),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LEDGER: ledger, RUN: name, HOLD: String(hold) },
      log: (line) => lines.push(line),
    });

  it('runs one at a time; a newer arrival takes the waiting place and the older waiter is cancelled', async () => {
    const { dir, ledger } = repository(false);
    const board = new ConcurrencyBoard();
    const lines: string[] = [];
    const first = start(dir, ledger, board, 'A', 1.5, lines);
    await waitFor(ledger, 'start A');
    const second = start(dir, ledger, board, 'B', 0, lines);
    const third = start(dir, ledger, board, 'C', 0, lines);
    const [a, b, c] = await Promise.all([first, second, third]);
    expect([a.result, b.result, c.result]).toEqual(['success', 'cancelled', 'success']);
    expect(b.cancelled).toBe(
      "Canceling since a higher priority waiting request for 'deploy-refs/heads/main' exists",
    );
    expect(b.jobs).toEqual([]);
    const ledgerLines = readFileSync(ledger, 'utf8').trim().split('\n');
    // C starts only after A has ended, post step included; B never ran a step.
    expect(ledgerLines.indexOf('main C')).toBeGreaterThan(ledgerLines.indexOf('post A'));
    expect(ledgerLines.filter((line) => line.endsWith(' B'))).toEqual([]);
    expect(lines.join('\n')).toMatch(
      /waiting for w\.yml \(run 65\) in concurrency group 'deploy-refs\/heads\/main'/,
    );
  }, 30_000);

  it('cancel-in-progress cancels the running one: always() and cancelled() steps and post steps still run', async () => {
    const { dir, ledger } = repository(true);
    const board = new ConcurrencyBoard();
    const lines: string[] = [];
    const first = start(dir, ledger, board, 'A', 30, lines);
    await waitFor(ledger, 'start A');
    const [a, b] = await Promise.all([first, start(dir, ledger, board, 'B', 0, lines)]);
    expect(a.result).toBe('cancelled');
    expect(a.jobs[0]!.result).toBe('cancelled');
    expect(a.jobs[0]!.steps.map((step) => step.outcome)).toEqual([
      'success',
      'cancelled',
      'success',
      'success',
      'skipped',
      'success',
    ]);
    expect(a.jobs[0]!.steps[1]!.log).toContain('Error: The operation was canceled.');
    expect(b.result).toBe('success');
    const ledgerLines = readFileSync(ledger, 'utf8').trim().split('\n');
    expect(ledgerLines.slice(0, 5)).toEqual(['main A', 'start A', 'always A', 'cancelled A', 'post A']);
    expect(ledgerLines).not.toContain('end A');
    expect(ledgerLines).not.toContain('after A');
    expect(ledgerLines.slice(5)).toEqual(['main B', 'start B', 'end B', 'always B', 'after B', 'post B']);
  }, 30_000);
});

describe('a lost runner', () => {
  it('kills the step where it is: no later step, no always() step, no post step; the job fails and failure() jobs run', async () => {
    const dir = workflow(`on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - id: shift
        run: |
          echo "Traffic: 5 % on green"
          sleep 15
          echo "Traffic: 100 % on green"
      - id: after
        run: echo after
      - id: always
        if: always()
        run: echo always
  recovery:
    needs: deploy
    if: failure()
    runs-on: ubuntu-latest
    steps:
      - id: recover
        run: echo "recovering after \${{ needs.deploy.result }}"
`);
    const record = await run(dir, { loseRunner: { step: 'deploy/shift', when: /Traffic: 5 % on green/ } });
    const [deploy, recovery] = record.jobs;
    expect(deploy!.result).toBe('failure');
    expect(deploy!.steps.map((step) => [step.id, step.outcome])).toEqual([['shift', 'failure']]);
    expect(deploy!.steps[0]!.log).toContain('Traffic: 5 % on green');
    expect(deploy!.steps[0]!.log).not.toContain('Traffic: 100 %');
    expect(deploy!.steps[0]!.log).toMatch(/lost communication with the server/);
    expect(recovery!.result).toBe('success');
    expect(recovery!.steps[0]!.log).toContain('recovering after failure');
  }, 30_000);
});

describe('permissions', () => {
  const API = `on: push
permissions:
  contents: read
jobs:
  reader:
    runs-on: ubuntu-latest
    steps:
      - run: node "$CALL" "\${{ github.token }}"
  deployer:
    runs-on: ubuntu-latest
    permissions:
      deployments: write
    steps:
      - run: node "$CALL" "\${{ github.token }}"
  oidc-without:
    runs-on: ubuntu-latest
    steps:
      - run: echo "oidc=[\${ACTIONS_ID_TOKEN_REQUEST_URL:-}]"
  oidc-with:
    runs-on: ubuntu-latest
    environment: production
    permissions:
      id-token: write
    steps:
      - run: node "$CLAIMS"
  nested:
    permissions:
      contents: read
    uses: ./.github/workflows/called.yml
`;
  const CALLED = `on: workflow_call
permissions:
  id-token: write
jobs:
  inner:
    runs-on: ubuntu-latest
    steps:
      - run: echo never
`;

  it("holds each job's GITHUB_TOKEN to its permissions, gives OIDC only with id-token: write, and refuses a nested job asking for more", async () => {
    const standIns = await startStandIns();
    try {
      const dir = workflow(API);
      writeFileSync(path.join(dir, '.github/workflows/called.yml'), CALLED);
      writeFileSync(
        path.join(dir, 'call.mjs'),
        `const response = await fetch(process.env.GITHUB_API_URL + '/repos/mpac/platform/deployments', {
  method: 'POST', headers: { authorization: 'token ' + process.argv[2], 'content-type': 'application/json' },
  body: JSON.stringify({ ref: 'main', environment: 'production' }) });
console.log('status ' + response.status + ' ' + (await response.json()).message);
`,
      );
      writeFileSync(
        path.join(dir, 'claims.mjs'),
        `const response = await fetch(process.env.ACTIONS_ID_TOKEN_REQUEST_URL + '&audience=sts.amazonaws.com', {
  headers: { authorization: 'Bearer ' + process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN } });
const { value } = await response.json();
console.log('sub=' + JSON.parse(Buffer.from(value.split('.')[1], 'base64url')).sub);
`,
      );
      const record = await run(dir, {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          GITHUB_API_URL: standIns.githubApiUrl,
          CALL: path.join(dir, 'call.mjs'),
          CLAIMS: path.join(dir, 'claims.mjs'),
        },
        githubTokenFor: (permissions) => standIns.githubTokenFor(permissions),
        oidcFor: (claims) => standIns.oidcFor(claims),
      });
      const job = (id: string) => record.jobs.find((entry) => entry.path === id)!;
      expect(job('reader').steps[0]!.log).toContain('status 403 Resource not accessible by integration');
      expect(job('deployer').steps[0]!.log).toContain('status 201');
      expect(standIns.deployments).toHaveLength(1);
      expect(job('oidc-without').steps[0]!.log).toContain('oidc=[]');
      expect(job('oidc-with').steps[0]!.log).toContain('sub=repo:mpac/platform:environment:production');
      expect(job('nested').result).toBe('failure');
      expect(job('nested').called?.jobs[0]!.refused).toBe(
        "The nested job 'inner' is requesting 'id-token: write', but is only allowed 'id-token: none'.",
      );
      // Each job's token is masked in its log.
      expect(job('reader').steps[0]!.log).not.toMatch(/ghs_[0-9a-f]{6}/);
    } finally {
      await standIns.close();
    }
  }, 30_000);
});
