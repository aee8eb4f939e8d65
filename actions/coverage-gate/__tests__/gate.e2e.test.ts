import { describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runBundledAction } from '../../../packages/shared/testing/run-bundled-action.js';

const actionDir = path.join(import.meta.dirname, '..');

/** A mixed monorepo: Python (Cobertura from coverage.py), Go (coverprofile), TypeScript (LCOV). */
function monorepo(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'mixed-'));
  const files: Record<string, string> = {
    'services/svc-portal/app/main.py': '',
    'services/svc-smarttab/go.mod': 'module github.com/mpac/svc-smarttab\n\ngo 1.23\n',
    'services/svc-smarttab/handler/tab.go': 'package handler\n',
    'frontend/src/app.ts': '',
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
