/**
 * The rehearsal runs workflow files as GitHub would: needs and if, matrix legs, step outputs and the
 * status functions, reusable workflows with inputs, secrets and outputs, composite actions, and
 * the third-party actions it stands in for or lists as not run.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expandMatrix } from '../src/matrix.js';
import { rehearse, type JobRecord, type WorkflowRecord } from '../src/rehearse.js';
import { evaluate } from '../src/expressions.js';
import { consumeWorkflowCommands } from '../src/runner.js';
import { startStandIns } from '../src/stand-ins.js';
import { loadAction, loadWorkflow } from '../src/workflow.js';

let dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

function repository(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'rehearsal-test-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

async function run(
  workspace: string,
  workflow: string,
  extra: Partial<Parameters<typeof rehearse>[0]> = {},
): Promise<WorkflowRecord> {
  return rehearse({
    workflow: path.join(workspace, workflow),
    suiteRoot: workspace,
    workspace,
    event: { name: 'push' },
    ref: 'refs/heads/main',
    sha: 'abc123',
    repository: 'mpac/platform',
    runId: 42,
    stepTimeoutMs: 20_000,
    ...extra,
  });
}

const job = (record: WorkflowRecord, jobPath: string): JobRecord => {
  const all = (jobs: JobRecord[]): JobRecord[] =>
    jobs.flatMap((entry) => [entry, ...all(entry.legs ?? []), ...all(entry.called?.jobs ?? [])]);
  const found = all(record.jobs).find((entry) => entry.name === jobPath || entry.path === jobPath);
  if (!found)
    throw new Error(
      `no job ${jobPath} in ${all(record.jobs)
        .map((entry) => entry.name)
        .join(', ')}`,
    );
  return found;
};

describe('expressions', () => {
  it('evaluates with GitHub’s evaluator: contexts, functions, status functions', () => {
    const contexts = { vars: { RULE_svc: 'arn:1' }, matrix: { service: { name: 'svc' } } };
    expect(evaluate("vars[format('RULE_{0}', matrix.service.name)]", contexts)).toBe('arn:1');
    expect(evaluate("fromJSON('[1,2]')[1]", {})).toBe(2);
    expect(evaluate('failure()', {}, { success: false, failure: true, cancelled: false })).toBe(true);
    expect(evaluate('success()', {}, { success: false, failure: true, cancelled: false })).toBe(false);
    expect(
      evaluate("inputs.target != 'previous' && inputs.target || ''", { inputs: { target: 'previous' } }),
    ).toBe('');
    expect(evaluate("format('echo ''{0}'' ''b''', 'a')", {})).toBe("echo 'a' 'b'");
  });
});

describe('matrix', () => {
  it('expands the product, drops excludes, merges includes as GitHub does', () => {
    expect(
      expandMatrix({
        os: ['linux', 'mac'],
        node: [20, 24],
        exclude: [{ os: 'mac', node: 20 }],
        include: [
          { node: 24, experimental: true },
          { os: 'windows', node: 24 },
        ],
      }),
    ).toEqual([
      { os: 'linux', node: 20 },
      { os: 'linux', node: 24, experimental: true },
      { os: 'mac', node: 24, experimental: true },
      { os: 'windows', node: 24 },
    ]);
  });
});

describe('a workflow file, rehearsed', () => {
  it('reads a block scalar with ${{ }} in it as GitHub does: without its indentation, folded and chomped', async () => {
    const workspace = repository({
      'wf.yml': `
on: push
jobs:
  blocks:
    runs-on: ubuntu-latest
    steps:
      - id: write
        env:
          LITERAL: |
            path: /version
              nested: \${{ github.sha }}
            tail: '{x}'
          FOLDED: >-
            one \${{ github.ref_name }}
            two
          KEPT: |+
            \${{ github.run_id }}

        run: |
          cat > values.json <<EOF
          \${{ toJSON(github.sha) }}
          EOF
          node -e 'require("fs").writeFileSync("env.json", JSON.stringify({ literal: process.env.LITERAL, folded: process.env.FOLDED, kept: process.env.KEPT }))'
`,
    });
    const record = await run(workspace, 'wf.yml');
    expect(job(record, 'blocks').result).toBe('success');
    // The heredoc ends only because its EOF line is read without the block's indentation.
    expect(readFileSync(path.join(workspace, 'values.json'), 'utf8')).toBe('"abc123"\n');
    expect(JSON.parse(readFileSync(path.join(workspace, 'env.json'), 'utf8'))).toEqual({
      literal: "path: /version\n  nested: abc123\ntail: '{x}'\n",
      folded: 'one main two',
      kept: '42\n\n',
    });
  });

  it('runs needs in order, a matrix per leg, passes outputs and skips what its if says', async () => {
    const workspace = repository({
      'wf.yml': `
on: push
jobs:
  plan:
    runs-on: ubuntu-latest
    outputs:
      services: \${{ steps.read.outputs.services }}
    steps:
      - id: read
        run: echo 'services=["a","b"]' >> "$GITHUB_OUTPUT"
  build:
    needs: plan
    runs-on: ubuntu-latest
    strategy:
      fail-fast: false
      matrix:
        service: \${{ fromJSON(needs.plan.outputs.services) }}
    steps:
      - id: say
        env:
          SERVICE: \${{ matrix.service }}
        run: |
          echo "built $SERVICE on $GITHUB_REF_NAME" > "built-$SERVICE.txt"
          [ "$SERVICE" != b ]
      - id: after-failure
        if: failure()
        run: echo "cleanup=\${{ matrix.service }}" >> "$GITHUB_OUTPUT"
  never:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: echo should not run
  always:
    needs: build
    if: always()
    runs-on: ubuntu-latest
    steps:
      - id: result
        run: echo "build was \${{ needs.build.result }}"
`,
    });
    const record = await run(workspace, 'wf.yml');
    expect(job(record, 'build (a)').result).toBe('success');
    expect(job(record, 'build (b)').result).toBe('failure');
    expect(job(record, 'build (b)').steps.map((step) => [step.id, step.conclusion])).toEqual([
      ['say', 'failure'],
      ['after-failure', 'success'],
    ]);
    expect(job(record, 'build (a)').steps.map((step) => step.conclusion)).toEqual(['success', 'skipped']);
    expect(readFileSync(path.join(workspace, 'built-a.txt'), 'utf8')).toBe('built a on main\n');
    expect(job(record, 'build').result).toBe('failure');
    expect(job(record, 'never').result).toBe('skipped');
    expect(job(record, 'always').result).toBe('success');
    expect(job(record, 'always').steps[0]!.log).toContain('build was failure');
    expect(record.result).toBe('failure');
  });

  it('calls a reusable workflow with typed inputs and secrets, and returns its outputs', async () => {
    const workspace = repository({
      'caller.yml': `
on: push
jobs:
  deploy:
    uses: ./.github/workflows/deploy.yml
    with:
      environment: staging
      steps: 3
    secrets:
      token: \${{ secrets.DEPLOY_TOKEN }}
  report:
    needs: deploy
    runs-on: ubuntu-latest
    steps:
      - run: echo "outcome \${{ needs.deploy.outputs.outcome }}"
`,
      '.github/workflows/deploy.yml': `
on:
  workflow_call:
    inputs:
      environment: { type: string, required: true }
      steps: { type: number, default: 1 }
      dry-run: { type: boolean, default: false }
    secrets:
      token: { required: true }
    outputs:
      outcome:
        value: \${{ jobs.go.outputs.outcome }}
jobs:
  go:
    runs-on: ubuntu-latest
    environment: \${{ inputs.environment }}
    outputs:
      outcome: \${{ steps.decide.outputs.outcome }}
    steps:
      - id: decide
        env:
          TOKEN: \${{ secrets.token }}
        run: |
          echo "token is $TOKEN"
          echo "outcome=\${{ inputs.environment }}-\${{ inputs.steps }}-\${{ inputs.dry-run }}" >> "$GITHUB_OUTPUT"
`,
    });
    const record = await run(workspace, 'caller.yml', {
      secrets: { DEPLOY_TOKEN: 'tok-SECRET-1' },
      environmentEnv: (environment) => ({ ACCOUNT: environment ?? 'none' }),
    });
    expect(job(record, 'deploy').outputs).toEqual({ outcome: 'staging-3-false' });
    expect(job(record, 'deploy/go').environment).toBe('staging');
    expect(job(record, 'deploy/go').steps[0]!.log).toContain('token is ***');
    expect(job(record, 'deploy/go').steps[0]!.log).not.toContain('tok-SECRET-1');
    expect(job(record, 'report').steps[0]!.log).toContain('outcome staging-3-false');
  });

  it('refuses an input the called workflow does not declare, as GitHub does', async () => {
    const workspace = repository({
      'caller.yml': `
on: push
jobs:
  deploy:
    uses: ./.github/workflows/deploy.yml
    with:
      enviroment: staging
`,
      '.github/workflows/deploy.yml': `
on:
  workflow_call:
    inputs:
      environment: { type: string, required: true }
jobs:
  go:
    runs-on: ubuntu-latest
    steps:
      - run: echo hi
`,
    });
    const lines: string[] = [];
    const record = await run(workspace, 'caller.yml', { log: (line) => lines.push(line) });
    expect(job(record, 'deploy').result).toBe('failure');
    expect(lines.join('\n')).toMatch(/enviroment is not an input of .*; environment is required/);
  });

  it('runs a composite action and a JavaScript action with its post step; stands in for checkout and artifacts; lists others as not run', async () => {
    const workspace = repository({
      'wf.yml': `
on: push
permissions:
  contents: read
jobs:
  one:
    runs-on: ubuntu-latest
    steps:
      - id: checkout
        uses: actions/checkout@v9
      - id: setup
        uses: actions/setup-python@v9
      - id: greet
        uses: ./greet
        with:
          who: world
      - id: js
        uses: ./js
        with:
          name: report
      - id: make
        run: mkdir -p out && echo data > out/report.txt
      - id: upload
        uses: actions/upload-artifact@v9
        with:
          name: report-one
          path: out/report.txt
  two:
    needs: one
    runs-on: ubuntu-latest
    steps:
      - id: download
        uses: actions/download-artifact@v9
        with:
          pattern: report-*
          path: downloaded
      - id: show
        run: cat downloaded/report-one/report.txt
`,
      'greet/action.yml': `
name: greet
description: says hello
inputs:
  who: { description: who, required: true }
  greeting: { description: how, default: hello }
outputs:
  said:
    description: what
    value: \${{ steps.say.outputs.said }}
runs:
  using: composite
  steps:
    - id: say
      shell: bash
      env:
        WHO: \${{ inputs.who }}
      run: echo "said=\${{ inputs.greeting }} $WHO from $(basename "$GITHUB_ACTION_PATH")" >> "$GITHUB_OUTPUT"
`,
      'js/action.yml': `
name: js
description: a node action
inputs:
  name: { description: n }
  token:
    description: t
    default: \${{ github.token }}
runs:
  using: node20
  main: main.js
  post: post.js
`,
      'js/main.js': `
const fs = require('fs');
fs.appendFileSync(process.env.GITHUB_OUTPUT, 'got=' + process.env.INPUT_NAME + ':' + (process.env.INPUT_TOKEN ? 'token' : 'none') + '\\n');
fs.appendFileSync(process.env.GITHUB_STATE, 'saved=yes\\n');
`,
      'js/post.js': `console.log('post saw ' + process.env.STATE_saved);`,
    });
    const record = await run(workspace, 'wf.yml', { githubToken: 'ghs_rehearsal' });
    const one = job(record, 'one');
    expect(one.steps.map((step) => [step.id, step.kind, step.conclusion])).toEqual([
      ['checkout', 'emulated', 'success'],
      ['setup', 'not-run', 'success'],
      ['greet', 'composite', 'success'],
      ['js', 'action', 'success'],
      ['make', 'run', 'success'],
      ['upload', 'emulated', 'success'],
      ['js (post)', 'action', 'success'],
    ]);
    expect(one.steps[2]!.outputs).toEqual({ said: 'hello world from greet' });
    expect(one.steps[3]!.outputs).toEqual({ got: 'report:token' });
    expect(one.steps.at(-1)!.log).toContain('post saw yes');
    expect(job(record, 'two').steps[1]!.log).toContain('data');
  });
});

describe('the repository’s own workflow and action files, as GitHub’s parser reads them', () => {
  const root = path.resolve(import.meta.dirname, '../../..');
  const inside = (dir: string, pattern: RegExp) =>
    readdirSync(path.join(root, dir))
      .filter((name) => pattern.test(name))
      .map((name) => path.join(root, dir, name));

  it('parses every workflow without an error', async () => {
    const files = [...inside('.github/workflows', /\.ya?ml$/), ...inside('examples/workflows', /\.ya?ml$/)];
    expect(files.length).toBeGreaterThanOrEqual(7);
    for (const file of files) await expect(loadWorkflow(file)).resolves.toMatchObject({ file });
  });

  it('parses every action.yml, published and source, without an error', () => {
    const dirs = readdirSync(root).filter((name) => existsSync(path.join(root, name, 'action.yml')));
    const sources = readdirSync(path.join(root, 'actions')).filter((name) =>
      existsSync(path.join(root, 'actions', name, 'action.yml')),
    );
    expect(dirs.length).toBeGreaterThanOrEqual(6);
    for (const dir of [
      ...dirs.map((name) => path.join(root, name)),
      ...sources.map((name) => path.join(root, 'actions', name)),
    ])
      expect(() => loadAction(dir)).not.toThrow();
  });

  it('names the file and what is wrong when a workflow does not parse', async () => {
    const workspace = repository({
      'bad.yml': 'on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo ${{ nope.x }}\n',
    });
    await expect(loadWorkflow(path.join(workspace, 'bad.yml'))).rejects.toThrow(
      /bad\.yml: .*Unrecognized named-value: 'nope'/,
    );
  });
});

describe('notify, the composite action', () => {
  it('says what happened in words, and a Slack outage never turns the job red', async () => {
    const standIns = await startStandIns();
    try {
      const root = path.resolve(import.meta.dirname, '../../..');
      const workspace = repository({
        'wf.yml': `
on: push
jobs:
  tell:
    runs-on: ubuntu-latest
    steps:
      - id: up
        uses: mpac/actions/notify@v1
        with:
          outcome: rolled-back-by-gate
          service: svc-portal
          environment: production
          image: registry/svc-portal@sha256:abc
          reason: 'Gate failed at 5 %: error rate 100.00 % > 5 %'
          webhook-url: \${{ secrets.SLACK }}
      - id: down
        uses: mpac/actions/notify@v1
        with:
          outcome: promoted
          service: svc-portal
          environment: production
          webhook-url: \${{ secrets.SLACK }}
`,
      });
      const record = await run(workspace, 'wf.yml', {
        suiteRoot: root,
        secrets: { SLACK: standIns.slackWebhookUrl },
        beforeStep: ({ key }) => {
          standIns.slackDown = key.endsWith('/down');
        },
      });
      expect(standIns.slackMessages).toEqual([
        '↩️ svc-portal rolled back in production by a traffic gate: customers are on the previous release\n' +
          'commit abc123, image registry/svc-portal@sha256:abc. Why: Gate failed at 5 %: error rate 100.00 % > 5 %\n' +
          'https://github.com/mpac/platform/actions/runs/42',
      ]);
      const tell = job(record, 'tell');
      expect(tell.result).toBe('success');
      expect(tell.steps[1]!.log).toContain('Slack did not take the message (attempt 3 of 3)');
      expect(tell.steps[1]!.annotations).toEqual([
        expect.objectContaining({
          level: 'warning',
          message: expect.stringMatching(/could not be notified after 3 attempts/),
        }),
      ]);
      expect(tell.steps.map((step) => step.log).join('\n')).not.toContain(standIns.slackWebhookUrl);
    } finally {
      await standIns.close();
    }
  }, 60_000);

  it('prints a reason that tries to run workflow commands without running them', async () => {
    const root = path.resolve(import.meta.dirname, '../../..');
    const workspace = repository({
      'wf.yml': `
on:
  workflow_dispatch:
    inputs:
      reason:
        type: string
jobs:
  tell:
    runs-on: ubuntu-latest
    steps:
      - id: tell
        uses: mpac/actions/notify@v1
        with:
          outcome: failed
          service: svc-portal
          environment: production
          reason: \${{ inputs.reason }}
`,
    });
    const record = await run(workspace, 'wf.yml', {
      suiteRoot: root,
      event: {
        name: 'workflow_dispatch',
        inputs: { reason: 'timeout\n::add-mask::commit\n::warning title=injected::obey me\n::error::and me' },
      },
    });
    const step = job(record, 'tell').steps[0]!;
    expect(step.outcome).toBe('success');
    // Printed as text: nothing masked (the commit is still readable), no annotation raised.
    expect(step.annotations).toEqual([]);
    expect(step.log).toContain('::warning title=injected::obey me');
    expect(step.log).toContain('::add-mask::commit');
    expect(step.log).toContain('commit abc123');
  });

  it('obeys workflow commands again after the stop-commands token', () => {
    const { annotations, masks, visible } = consumeWorkflowCommands(
      ['::stop-commands::t0k', '::warning::inert', '::t0k::', '::warning::live', '::add-mask::s3cret'].join(
        '\n',
      ),
    );
    expect(annotations.map((annotation) => annotation.message)).toEqual(['live']);
    expect(masks).toEqual(['s3cret']);
    expect(visible).toContain('::warning::inert');
  });
});
