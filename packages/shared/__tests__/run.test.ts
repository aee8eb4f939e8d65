import { beforeEach, describe, expect, it, jest } from '@jest/globals';

const state: Record<string, string> = {};
const core = {
  getState: jest.fn((name: string) => state[name] ?? ''),
  saveState: jest.fn((name: string, value: string) => {
    state[name] = value;
  }),
  setFailed: jest.fn(),
  warning: jest.fn(),
  debug: jest.fn(),
  isDebug: jest.fn(() => false),
  setSecret: jest.fn(),
};
jest.unstable_mockModule('../src/runner-commands.js', () => core);

const { runAction } = await import('../src/run.js');
const { ActionError, InputError } = await import('../src/errors.js');
const { registerSecret } = await import('../src/secrets.js');

beforeEach(() => {
  for (const key of Object.keys(state)) delete state[key];
  jest.clearAllMocks();
});

describe('runAction', () => {
  it('runs main, saves the post flag, and fails the step with the error message', async () => {
    await runAction({
      main: async () =>
        Promise.reject(new InputError('phase', "must be one of all, prepare; got 'x'", 'all')),
    });
    expect(state.isPost).toBe('true');
    expect(core.setFailed).toHaveBeenCalledWith(
      "Input 'phase' must be one of all, prepare; got 'x'. A valid value looks like: all",
    );
  });

  it('prints no stack for unexpected errors unless step debug is on', async () => {
    await runAction({ main: async () => Promise.reject(new Error('socket hang up')) });
    expect(core.setFailed).toHaveBeenCalledWith('socket hang up');
    expect(core.debug).not.toHaveBeenCalled();

    core.isDebug.mockReturnValue(true);
    for (const key of Object.keys(state)) delete state[key];
    await runAction({ main: async () => Promise.reject(new Error('socket hang up')) });
    expect(core.debug).toHaveBeenCalledWith(expect.stringContaining('at '));
    core.isDebug.mockReturnValue(false);
  });

  it('redacts registered secrets from failure messages and masks them at once', async () => {
    registerSecret('hunter2-token');
    expect(core.setSecret).toHaveBeenCalledWith('hunter2-token');
    await runAction({
      main: async () => Promise.reject(new ActionError('login failed with password hunter2-token')),
    });
    expect(core.setFailed).toHaveBeenCalledWith('login failed with password ***');
  });

  it('runs the post step on the second run and turns its failure into a warning', async () => {
    const main = jest.fn(async () => undefined);
    const post = jest.fn(async () => Promise.reject(new Error('logout failed')));
    await runAction({ main, post });
    await runAction({ main, post });
    expect(main).toHaveBeenCalledTimes(1);
    expect(post).toHaveBeenCalledTimes(1);
    expect(core.warning).toHaveBeenCalledWith('Post step: logout failed');
    expect(core.setFailed).not.toHaveBeenCalled();
  });
});
