import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inputVariable, parseFileCommands, runBundledAction } from '../testing/run-bundled-action.js';

/** A tiny hand-written action that speaks the runner's file commands directly. */
function fakeAction(script: string, post = true): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fake-action-'));
  mkdirSync(path.join(dir, 'dist'));
  writeFileSync(
    path.join(dir, 'action.yml'),
    `name: fake\ninputs:\n  role-to-assume:\n    description: x\n  greeting:\n    description: x\n    default: hello\nruns:\n  using: node24\n  main: dist/index.js\n${post ? '  post: dist/index.js\n' : ''}`,
  );
  writeFileSync(path.join(dir, 'dist', 'index.js'), script);
  return dir;
}

const SCRIPT = `
import { appendFileSync } from 'node:fs';
const env = process.env;
const file = (name, text) => appendFileSync(env[name], text);
if (env.STATE_phase === 'main-done') {
  console.log('post sees ' + env.STATE_phase + ' and ' + env.EXPORTED);
  file('GITHUB_STEP_SUMMARY', 'post summary\\n');
} else {
  console.log('::add-mask::s3cr3t');
  console.log('role=' + env['INPUT_ROLE-TO-ASSUME'] + ' greeting=' + env.INPUT_GREETING + ' token s3cr3t');
  console.log('::warning file=a.ts,line=3::careful%0Anow');
  file('GITHUB_OUTPUT', 'simple=1\\nmulti<<EOF_1\\nline one\\nline two\\nEOF_1\\n');
  file('GITHUB_STATE', 'phase<<D\\nmain-done\\nD\\n');
  file('GITHUB_ENV', 'EXPORTED=yes\\n');
  file('GITHUB_STEP_SUMMARY', 'main summary\\n');
  process.exitCode = 3;
}
`;

describe('runBundledAction', () => {
  it('passes inputs with the runner name mangling and action.yml defaults', async () => {
    const result = await runBundledAction(fakeAction(SCRIPT), { inputs: { 'role-to-assume': 'arn:role' } });
    expect(result.log).toContain('role=arn:role greeting=hello');
    expect(inputVariable('role to assume')).toBe('INPUT_ROLE_TO_ASSUME');
  });

  it('returns outputs, state, the summary of both steps, and exit codes', async () => {
    const result = await runBundledAction(fakeAction(SCRIPT));
    expect(result.main.exitCode).toBe(3);
    expect(result.outputs).toEqual({ simple: '1', multi: 'line one\nline two' });
    expect(result.state).toEqual({ phase: 'main-done' });
    expect(result.post?.exitCode).toBe(0);
    expect(result.log).toContain('post sees main-done and yes');
    expect(result.summary).toBe('main summary\npost summary\n');
  });

  it('masks what the action masked, keeps the unmasked log for leak scans, and parses annotations', async () => {
    const result = await runBundledAction(fakeAction(SCRIPT));
    expect(result.masks).toEqual(['s3cr3t']);
    expect(result.log).toContain('token ***');
    expect(result.log).not.toContain('s3cr3t');
    expect(result.unmaskedLog).toContain('token s3cr3t');
    expect(result.annotations).toEqual([
      { level: 'warning', message: 'careful\nnow', properties: { file: 'a.ts', line: '3' } },
    ]);
  });

  it('skips the post step when action.yml has none', async () => {
    const result = await runBundledAction(fakeAction(SCRIPT, false));
    expect(result.post).toBeUndefined();
  });

  it('kills a step that runs past its time limit', async () => {
    const result = await runBundledAction(fakeAction('setInterval(() => {}, 1000);', false), {
      timeoutMs: 300,
    });
    expect(result.main.timedOut).toBe(true);
    expect(result.main.signal).toBe('SIGKILL');
  });

  it('parses key=value and heredoc file commands', () => {
    expect(parseFileCommands('a=1\nb<<X\n2\n3\nX\nc=x=y\n')).toEqual({ a: '1', b: '2\n3', c: 'x=y' });
  });
});
