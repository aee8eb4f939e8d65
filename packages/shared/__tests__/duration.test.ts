import { describe, expect, it } from '@jest/globals';
import { formatDuration, parseDuration } from '../src/duration.js';

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['1m30s500ms', 90_500],
    ['90', 90_000],
    ['1.5', 1500],
    ['1.5s', 1500],
    [' 0s ', 0],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ['', /empty/],
    ['   ', /empty/],
    ['-5s', /negative/],
    ['-1', /negative/],
    ['5 minutes', /not a duration/],
    ['abc', /not a duration/],
    ['5x', /not a duration/],
    ['1h1h', /out of order or repeated/],
    ['30m1h', /out of order or repeated/],
    ['1e3', /not a duration/],
  ])('rejects %j', (text, message) => {
    expect(() => parseDuration(text)).toThrow(message);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [250, '250ms'],
    [90_000, '1m30s'],
    [5_400_000, '1h30m'],
    [86_400_000 + 1000, '1d1s'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});
