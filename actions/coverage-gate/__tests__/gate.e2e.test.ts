import { describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runBundledAction } from '../../../packages/shared/testing/run-bundled-action.js';

const actionDir = path.join(import.meta.dirname, '..');

/** A mixed monorepo: Python (Cobertura from coverage.py), Go (coverprofile), TypeScript (LCOV). */
function monorepo(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'mixed-'));
  // Sources as long as the reports say (lines past a file's end are not counted).
  const lines = (count: number) => 'code\n'.repeat(count);
  const files: Record<string, string> = {
    'services/svc-portal/app/main.py': lines(10),
    'services/svc-smarttab/go.mod': 'module github.com/mpac/svc-smarttab\n\ngo 1.23\n',
    'services/svc-smarttab/handler/tab.go': `package handler\n${lines(11)}`,
    'frontend/src/app.ts': lines(4),
    // 9 of 10 lines
    'services/svc-portal/coverage.xml':
      `<?xml version="1.0" ?>\n<coverage version="7.6.1" line-rate="0.9"><sources><source>${root}/services/svc-portal</source></sources><packages><package name="app"><classes>` +
      `<class name="main.py" filename="app/main.py"><methods/><lines>${Array.from({ length: 10 }, (_, i) => `<line number="${i + 1}" hits="${i === 9 ? 0 : 1}"/>`).join('')}</lines></class>` +
      `</classes></package></packages></coverage>\n`,
    // 6 of 10 statements
    'services/svc-smarttab/cover.out':
      'mode: set\ngithub.com/mpac/svc-smarttab/handler/tab.go:3.20,6.2 6 1\ngithub.com/mpac/svc-smarttab/handler/tab.go:8.20,12.2 4 0\n',
    // 3 of 4 lines
    'frontend/coverage/lcov.info': 'TN:\nSF:src/app.ts\nDA:1,1\nDA:2,1\nDA:3,1\nDA:4,0\nend_of_record\n',
    'coverage.yml':
      'components:\n  - name: svc-portal\n    paths: ["services/svc-portal/**"]\n    threshold: 85\n  - name: svc-smarttab\n    paths: ["services/svc-smarttab/**"]\n  - name: frontend\n    paths: ["frontend/**"]\n    threshold: 70\npath-map:\n  "src/": "frontend/src/"\n',
  };
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
  return root;
}

describe('coverage-gate, bundled, on a mixed Python + Go + TypeScript repository', () => {
  it('merges all three exactly and fails the component under its threshold', async () => {
    const root = monorepo();
    const result = await runBundledAction(actionDir, {
      inputs: {
        files: 'services/*/coverage.xml\nservices/*/cover.out\nfrontend/coverage/lcov.info',
        config: 'coverage.yml',
        threshold: '75',
      },
      env: { GITHUB_WORKSPACE: root },
      cwd: root,
    });
    // 9 + 6 + 3 = 18 of 10 + 10 + 4 = 24 → 75.00 %
    expect(result.outputs).toMatchObject({ coverage: '75.00', covered: '18', total: '24', passed: 'false' });
    const components = JSON.parse(result.outputs.components!) as {
      name: string;
      percent: string;
      passed: boolean;
    }[];
    expect(components.map((component) => [component.name, component.percent, component.passed])).toEqual([
      ['svc-portal', '90.00', true],
      ['svc-smarttab', '60.00', false],
      ['frontend', '75.00', true],
    ]);
    expect(result.main.exitCode).toBe(1);
    expect(result.annotations[0]?.message).toBe(
      'Coverage gate failed: svc-smarttab: 60.00 % (6/10) is below 75 %',
    );
    expect(result.summary).toContain('Coverage 75.00 % (line) against 75 %');
    expect(result.summary).toContain(
      '<td>services/svc-smarttab/handler/tab.go</td><td>6/10</td><td>60.00</td>',
    );
  });

  it('never rounds up into a pass: 75.00 % fails a 75.01 % gate', async () => {
    const root = monorepo();
    const result = await runBundledAction(actionDir, {
      inputs: {
        files: 'services/*/coverage.xml\nservices/*/cover.out\nfrontend/coverage/lcov.info',
        config: 'coverage.yml',
        threshold: '75.01',
      },
      env: { GITHUB_WORKSPACE: root },
      cwd: root,
    });
    expect(result.outputs.coverage).toBe('75.00');
    expect(result.annotations[0]?.message).toMatch(/line coverage 75.00 % \(18\/24\) is below 75.01 %/);
  });

  it('reports an empty report as empty, never as 100 %', async () => {
    const root = monorepo();
    writeFileSync(path.join(root, 'empty.info'), 'TN:\nSF:frontend/src/app.ts\nend_of_record\n');
    const result = await runBundledAction(actionDir, {
      inputs: { files: 'empty.info' },
      env: { GITHUB_WORKSPACE: root },
      cwd: root,
    });
    expect(result.main.exitCode).toBe(1);
    expect(result.outputs).toMatchObject({ coverage: '', covered: '0', total: '0', passed: 'false' });
    expect(result.annotations[0]?.message).toBe(
      'The reports have no coverable lines (0 of 0): an empty report is not 100 %',
    );
  });

  it('fails clearly when the globs match no report, and on an unknown config key', async () => {
    const root = monorepo();
    const none = await runBundledAction(actionDir, {
      inputs: { files: 'nothing/**/*.xml' },
      env: { GITHUB_WORKSPACE: root },
      cwd: root,
    });
    expect(none.annotations[0]?.message).toMatch(/^Input 'files' matched no report/);
    writeFileSync(path.join(root, 'bad.yml'), 'componets: []\n');
    const bad = await runBundledAction(actionDir, {
      inputs: { files: 'frontend/coverage/lcov.info', config: 'bad.yml' },
      env: { GITHUB_WORKSPACE: root },
      cwd: root,
    });
    expect(bad.annotations[0]?.message).toMatch(/^Input 'config' .*unknown key 'componets'/);
  });
});

describe('the sticky pull-request comment', () => {
  it('is created once and then updated in place, never a person’s comment that quotes the marker; a refusing token only warns', async () => {
    const { createServer } = await import('node:http');
    const person = {
      id: 1,
      body: 'Why does <!-- mpac-coverage-gate --> say 75 %?',
      user: { login: 'carol' },
    };
    const comments: { id: number; body: string; user: { login: string } }[] = [person];
    const requests: string[] = [];
    let refuse = false;
    const api = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        requests.push(`${request.method} ${request.url!.split('?')[0]}`);
        if (refuse)
          return void response
            .writeHead(403, { 'content-type': 'application/json' })
            .end('{"message":"Resource not accessible by integration"}');
        const json = (status: number, payload: unknown) =>
          response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
        // The job's GITHUB_TOKEN may not ask who it is; it writes as github-actions[bot].
        if (request.url === '/user') return json(403, { message: 'Resource not accessible by integration' });
        if (request.method === 'GET') return json(200, comments);
        const text = (JSON.parse(body) as { body: string }).body;
        if (request.method === 'POST') {
          comments.push({ id: comments.length + 1, body: text, user: { login: 'github-actions[bot]' } });
          return json(201, comments.at(-1));
        }
        const id = Number(request.url!.split('/').pop());
        comments.find((comment) => comment.id === id)!.body = text;
        return json(
          200,
          comments.find((comment) => comment.id === id),
        );
      });
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const root = monorepo();
    writeFileSync(path.join(root, 'event.json'), JSON.stringify({ pull_request: { number: 42 } }));
    const run = () =>
      runBundledAction(actionDir, {
        inputs: {
          files: 'frontend/coverage/lcov.info',
          config: 'coverage.yml',
          threshold: '50',
          'github-token': 'ghs_secret_token_value',
        },
        env: {
          GITHUB_WORKSPACE: root,
          GITHUB_REPOSITORY: 'mpac/platform',
          GITHUB_EVENT_PATH: path.join(root, 'event.json'),
          GITHUB_API_URL: `http://127.0.0.1:${(api.address() as { port: number }).port}`,
        },
        cwd: root,
      });
    try {
      const first = await run();
      const second = await run();
      expect(requests.filter((entry) => !entry.startsWith('GET'))).toEqual([
        'POST /repos/mpac/platform/issues/42/comments',
        'PATCH /repos/mpac/platform/issues/comments/2',
      ]);
      expect(comments).toHaveLength(2);
      expect(comments[0]).toEqual({
        id: 1,
        body: 'Why does <!-- mpac-coverage-gate --> say 75 %?',
        user: { login: 'carol' },
      });
      expect(comments[1]!.body.startsWith('<!-- mpac-coverage-gate -->')).toBe(true);
      expect(comments[1]!.body).toContain('Coverage 75.00 %');
      expect(first.log).toContain('Pull-request comment: created');
      expect(second.log).toContain('Pull-request comment: updated');
      expect(second.unmaskedLog).not.toContain('ghs_secret_token_value');

      refuse = true;
      const fork = await run();
      expect(fork.outputs.passed).toBe('false'); // the frontend component is the only one with data; others have none
      expect(
        fork.annotations.some(
          (annotation) =>
            annotation.level === 'warning' &&
            /tokens of forked pull requests cannot comment/.test(annotation.message),
        ),
      ).toBe(true);
    } finally {
      await new Promise((resolve) => api.close(resolve));
    }
  });
});
