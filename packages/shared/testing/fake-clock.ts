import type { Clock } from '../src/clock.js';

/** A clock whose sleep advances time at once, recording every sleep. */
export function fakeClock(
  start = Date.parse('2026-11-22T10:00:00Z'),
): Clock & { sleeps: number[]; advance(ms: number): void } {
  let now = start;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    advance: (ms: number) => {
      now += ms;
    },
    sleeps,
  };
}
