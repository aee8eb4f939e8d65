import { describe, expect, it } from '@jest/globals';
import { pollUntil } from '../src/poll.js';
import { fakeClock } from '../testing/fake-clock.js';

describe('pollUntil', () => {
  it('backs off while nothing moves, never beyond 2 s, and resets when the state changes', async () => {
    const clock = fakeClock();
    const states = ['a', 'a', 'a', 'a', 'a', 'a', 'a', 'b', 'b', 'done'];
    let index = 0;
    const seen: string[] = [];
    const result = await pollUntil({
      clock,
      timeoutMs: 60_000,
      read: async () => {
        const key = states[Math.min(index++, states.length - 1)]!;
        return { done: key === 'done', key, value: key };
      },
      onChange: (value) => seen.push(value),
    });
    expect(result).toMatchObject({ done: true, value: 'done', polls: 10 });
    expect(seen).toEqual(['a', 'b', 'done']);
    expect(clock.sleeps).toEqual([250, 375, 563, 845, 1268, 1902, 2000, 250, 375]);
    expect(Math.max(...clock.sleeps)).toBeLessThanOrEqual(2000);
  });

  it('gives up at the timeout with the last state, never sleeping past it', async () => {
    const clock = fakeClock();
    const started = clock.now();
    const result = await pollUntil({
      clock,
      timeoutMs: 5000,
      read: async () => ({ done: false, key: 'stuck', value: 'stuck' }),
    });
    expect(result.done).toBe(false);
    expect(result.value).toBe('stuck');
    expect(clock.now() - started).toBe(5000);
  });
});
