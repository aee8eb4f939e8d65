/**
 * The entry's runner commands write what @actions/core writes: the same lines on stdout, the same
 * GITHUB_STATE file command (up to its random delimiter), the same inputs read.
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import * as core from '@actions/core';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  ])('%s writes the line @actions/core writes', (_name, call) => {
    const ours = stdoutOf(() => call(light));
    const exitCode = process.exitCode;
    process.exitCode = undefined;
    const theirs = stdoutOf(() => call(core as unknown as typeof light));
    expect(ours).toBe(theirs);
    expect(exitCode).toBe(process.exitCode);
  });

  it('saves state as the same file command, and without GITHUB_STATE as the same workflow command', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'runner-commands-'));
    try {
      const file = (name: string) => {
        const at = path.join(dir, name);
        writeFileSync(at, '');
        return at;
      };
      const delimiterless = (text: string) => text.replace(/ghadelimiter_[0-9a-f-]{36}/g, 'DELIMITER');
      process.env.GITHUB_STATE = file('ours');
      light.saveState('deploy', TRICKY);
      process.env.GITHUB_STATE = file('theirs');
      core.saveState('deploy', TRICKY);
      expect(delimiterless(readFileSync(path.join(dir, 'ours'), 'utf8'))).toBe(
        delimiterless(readFileSync(path.join(dir, 'theirs'), 'utf8')),
      );
      delete process.env.GITHUB_STATE;
      expect(stdoutOf(() => light.saveState('isPost', 'true'))).toBe(
        stdoutOf(() => core.saveState('isPost', 'true')),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
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
