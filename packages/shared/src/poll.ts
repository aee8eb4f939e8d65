import type { Clock } from './clock.js';

export interface PollOptions<T> {
  /** Reads the current state; `done` ends the wait, `key` tells whether anything moved. */
  read: () => Promise<{ done: boolean; key: string; value: T }>;
  timeoutMs: number;
  clock: Clock;
  /** First and shortest interval (default 250 ms). */
  minIntervalMs?: number;
  /** Longest interval: a change is noticed within about this long (default 2 s). */
  maxIntervalMs?: number;
  /** Called when the observed state changes. */
  onChange?: (value: T) => void;
}

export type PollResult<T> =
  { done: true; value: T; polls: number } | { done: false; value: T; polls: number };

/**
 * Adaptive polling: short intervals while things move, backing off (×1.5) while nothing changes,
 * never longer than `maxIntervalMs`, and never past `timeoutMs`. Returns the last state either way.
 */
export async function pollUntil<T>(options: PollOptions<T>): Promise<PollResult<T>> {
  const minInterval = options.minIntervalMs ?? 250;
  const maxInterval = options.maxIntervalMs ?? 2000;
  const deadline = options.clock.now() + options.timeoutMs;
  let interval = minInterval;
  let lastKey: string | undefined;
  let polls = 0;
  for (;;) {
    const state = await options.read();
    polls++;
    if (state.key !== lastKey) {
      options.onChange?.(state.value);
      interval = lastKey === undefined ? interval : minInterval;
      lastKey = state.key;
    } else {
      interval = Math.min(maxInterval, Math.round(interval * 1.5));
    }
    if (state.done) return { done: true, value: state.value, polls };
    const remaining = deadline - options.clock.now();
    if (remaining <= 0) return { done: false, value: state.value, polls };
    await options.clock.sleep(Math.min(interval, remaining));
  }
}
