import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../src/index.js';

describe('aws-twin CLI', () => {
  it('starts a scenario, prints the endpoint and the env lines to export, and stops by itself', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'twin-cli-')), 'scenario.json');
    writeFileSync(
      file,
      JSON.stringify({ blueGreen: [{ name: 'svc-portal', image: 'svc-portal:v1', desiredCount: 1 }] }),
    );
    const lines: string[] = [];
    const code = await runCli(['--scenario', file, '--max-runtime', '0.2'], (line) => lines.push(line));
    expect(code).toBe(0);
    expect(lines[0]).toMatch(/^aws-twin listening on http:\/\/127\.0\.0\.1:\d+$/);
    expect(lines).toContain('export AWS_REGION=eu-west-1');
    expect(lines.some((line) => /^export AWS_ENDPOINT_URL=http:\/\/127\.0\.0\.1:\d+$/.test(line))).toBe(true);
    expect(lines.some((line) => line.startsWith('# svc-portal: production http://127.0.0.1:'))).toBe(true);
  });

  it('explains bad options and unreadable scenarios', async () => {
    const lines: string[] = [];
    expect(await runCli(['--verbose'], (line) => lines.push(line))).toBe(2);
    expect(lines[0]).toMatch(/unknown or incomplete option '--verbose'/);
    expect(await runCli(['--scenario', '/nonexistent/scenario.json'], (line) => lines.push(line))).toBe(2);
    expect(lines.at(-1)).toMatch(/cannot read scenario \/nonexistent\/scenario.json/);
    expect(await runCli(['--help'], (line) => lines.push(line))).toBe(0);
  });
});

describe('the bundled aws-twin executable', () => {
  it('runs from packages/aws-twin/bin as npx aws-twin would', async () => {
    const { spawn } = await import('node:child_process');
    const bin = path.join(import.meta.dirname, '..', 'bin', 'aws-twin.js');
    const child = spawn(process.execPath, [bin, '--max-runtime', '0.3'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(output).toMatch(/^aws-twin listening on http:\/\/127\.0\.0\.1:\d+\nexport AWS_ENDPOINT_URL=/);
  });
});
