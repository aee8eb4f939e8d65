/**
 * The entry's runner commands write what @actions/core writes: the same lines on stdout, the same
 * GITHUB_STATE file command (up to its random delimiter), the same inputs read.
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import * as core from '@actions/core';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as light from '../src/runner-commands.js';

const TRICKY = 'line one\r\nline two: 100% done, a,b';

function stdoutOf(work: () => void): string {
  const written: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    work();
  } finally {
    spy.mockRestore();
  }
  return written.join('');
}

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
  process.exitCode = undefined;
});

describe('runner commands without @actions/core', () => {
  it.each([
    ['setFailed', (api: typeof light) => api.setFailed(TRICKY)],
    ['warning', (api: typeof light) => api.warning(TRICKY)],
    ['debug', (api: typeof light) => api.debug(TRICKY)],
    ['setSecret', (api: typeof light) => api.setSecret(TRICKY)],
    ['info', (api: typeof light) => api.info(TRICKY)],
    ['notice', (api: typeof light) => api.notice(TRICKY)],
    [
      'warning at a place',
      (api: typeof light) =>
        api.warning(TRICKY, { title: 'Uncovered, change', file: 'src/a:b.ts', startLine: 3, endLine: 5 }),
    ],
    ['notice with a title', (api: typeof light) => api.notice(TRICKY, { title: 'Superseded: 50%' })],
  ])('%s writes the line @actions/core writes', (_name, call) => {
    const ours = stdoutOf(() => call(light));
    const exitCode = process.exitCode;
    process.exitCode = undefined;
    const theirs = stdoutOf(() => call(core as unknown as typeof light));
    expect(ours).toBe(theirs);
    expect(exitCode).toBe(process.exitCode);
  });

  it.each([
    ['saves state', 'GITHUB_STATE', 'saveState', ['deploy', 'isPost', 'true']],
    ['sets outputs', 'GITHUB_OUTPUT', 'setOutput', ['summary', 'outcome', 'promoted']],
  ] as const)(
    '%s as the same file command, and without %s as the same workflow command',
    (_what, variable, command, [name, plainName, plainValue]) => {
      const dir = mkdtempSync(path.join(tmpdir(), 'runner-commands-'));
      try {
        const delimiterless = (text: string) => text.replace(/ghadelimiter_[0-9a-f-]{36}/g, 'DELIMITER');
        for (const file of ['ours', 'theirs']) writeFileSync(path.join(dir, file), '');
        process.env[variable] = path.join(dir, 'ours');
        light[command](name, TRICKY);
        process.env[variable] = path.join(dir, 'theirs');
        core[command](name, TRICKY);
        expect(delimiterless(readFileSync(path.join(dir, 'ours'), 'utf8'))).toBe(
          delimiterless(readFileSync(path.join(dir, 'theirs'), 'utf8')),
        );
        delete process.env[variable];
        expect(stdoutOf(() => light[command](plainName, plainValue))).toBe(
          stdoutOf(() => core[command](plainName, plainValue)),
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('folds a group as @actions/core does, closing it when the work fails', async () => {
    const lines = async (api: typeof light) => {
      const written: string[] = [];
      const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      });
      try {
        await api.group('Watching svc-portal, 50%', async () => api.info('inside'));
        await api.group('fails', async () => Promise.reject(new Error('boom'))).catch(() => undefined);
      } finally {
        spy.mockRestore();
      }
      return written.join('');
    };
    const ours = await lines(light);
    expect(ours).toBe(await lines(core as unknown as typeof light));
    expect(ours.match(/::endgroup::/g)).toHaveLength(2);
  });

  it('appends to the job summary as core.summary.addRaw(text, true).write() does', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'runner-commands-'));
    try {
      for (const name of ['ours', 'theirs']) writeFileSync(path.join(dir, name), '<p>before</p>\n');
      process.env.GITHUB_STEP_SUMMARY = path.join(dir, 'ours');
      light.appendSummary('<h2>shift</h2>\n```mermaid\nx\n```');
      process.env.GITHUB_STEP_SUMMARY = path.join(dir, 'theirs');
      await core.summary.addRaw('<h2>shift</h2>\n```mermaid\nx\n```', true).write();
      expect(readFileSync(path.join(dir, 'ours'), 'utf8')).toBe(
        readFileSync(path.join(dir, 'theirs'), 'utf8'),
      );
      delete process.env.GITHUB_STEP_SUMMARY;
      expect(() => light.appendSummary('x')).toThrow(/GITHUB_STEP_SUMMARY/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('asks for the OIDC token as @actions/core does, masks it, and says why it could not', async () => {
    const seen: { url: string; authorization?: string }[] = [];
    let answer = { status: 200, body: JSON.stringify({ value: 'eyJ.oidc.token' }) };
    const server = createServer((request, response) => {
      seen.push({ url: request.url!, authorization: request.headers.authorization });
      response.writeHead(answer.status, { 'content-type': 'application/json' });
      response.end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      process.env.ACTIONS_ID_TOKEN_REQUEST_URL = `http://127.0.0.1:${port}/token?api-version=2.0`;
      process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = 'runner-bearer';
      const written: string[] = [];
      const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      });
      let token: string;
      let theirs: string;
      let ours: string;
      try {
        token = await light.getIDToken('sts.amazonaws.com');
        ours = written.splice(0).join('');
        theirs = await core.getIDToken('sts.amazonaws.com');
      } finally {
        spy.mockRestore();
      }
      expect(token).toBe('eyJ.oidc.token');
      expect(theirs).toBe(token);
      // Masked the moment it arrives, as @actions/core masks it.
      expect(ours).toMatch(/::add-mask::eyJ\.oidc\.token\n$/);
      expect(written.join('')).toBe(ours);
      expect(seen[0]).toEqual(seen[1]);
      expect(seen[0]).toEqual({
        url: '/token?api-version=2.0&audience=sts.amazonaws.com',
        authorization: 'Bearer runner-bearer',
      });
      answer = { status: 403, body: JSON.stringify({ message: 'no id-token: write' }) };
      await expect(light.getIDToken('sts.amazonaws.com')).rejects.toThrow(
        'Failed to get ID Token. Error Code : 403',
      );
      expect(seen).toHaveLength(3);
      delete process.env.ACTIONS_ID_TOKEN_REQUEST_URL;
      await expect(light.getIDToken('sts.amazonaws.com')).rejects.toThrow(/ACTIONS_ID_TOKEN_REQUEST_URL/);
    } finally {
      server.close();
    }
  });

  it('reads inputs and state as @actions/core does', () => {
    process.env['INPUT_TRAFFIC STEPS'] = 'x';
    process.env.INPUT_TRAFFIC_STEPS = '  5,50,100 \n';
    process.env.STATE_deploy = '{"a":1}';
    process.env.RUNNER_DEBUG = '1';
    expect(light.getInput('traffic steps')).toBe(core.getInput('traffic steps'));
    expect(light.getInput('traffic-steps')).toBe(core.getInput('traffic-steps'));
    expect(light.getInput('missing')).toBe('');
    expect(light.getState('deploy')).toBe(core.getState('deploy'));
    expect(light.isDebug()).toBe(true);
  });
});
