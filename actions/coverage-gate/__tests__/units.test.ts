import { describe, expect, it } from '@jest/globals';
import { Units } from '../src/units.js';

describe('Units: a file’s coverage, compact', () => {
  it('adds line hits over reports, lists lines in order and counts totals', () => {
    const units = new Units();
    units.addLine(3, 0);
    units.addLine(1, 2);
    units.addLine(3, 4);
    expect([...units.lines()]).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(units.line(2)).toBeUndefined();
    expect(units.totals()).toEqual({ covered: 2, total: 2 });
    expect(Object.fromEntries(units)).toEqual({ L1: { weight: 1, hits: 2 }, L3: { weight: 1, hits: 4 } });
  });

  it('keeps a stray far line apart instead of allocating up to it, and still in order', () => {
    const units = new Units();
    units.addLine(2, 1);
    units.addLine(99_999_999, 1);
    units.addLine(5, 0);
    units.addLine(99_999_999, 2);
    expect([...units.lines()]).toEqual([
      [2, 1],
      [5, 0],
      [99_999_999, 3],
    ]);
    expect(units.size).toBe(3);
    expect(units.dropPast(10)).toEqual([99_999_999]);
    expect(units.totals()).toEqual({ covered: 1, total: 2 });
  });

  it('packs Go block spans exactly, falls back to text for spans that do not fit, and reports a weight disagreement', () => {
    const units = new Units();
    const span = (sl: number, sc: number, el: number, ec: number) => ({
      start: { line: sl, column: sc },
      end: { line: el, column: ec },
    });
    expect(units.addBlock(span(2_000_000, 2047, 2_001_023, 2047), 3, 1)).toBeUndefined();
    expect(units.addBlock(span(10, 5000, 12, 3), 2, 0)).toBeUndefined();
    expect(units.addBlock(span(10, 5000, 12, 3), 2, 4)).toBeUndefined();
    expect(units.addBlock(span(10, 5000, 12, 3), 7, 1)).toBe(2);
    expect([...units.blocks()]).toEqual([
      { ...span(2_000_000, 2047, 2_001_023, 2047), weight: 3, hits: 1 },
      { ...span(10, 5000, 12, 3), weight: 2, hits: 4 },
    ]);
    expect([...units].map(([key]) => key)).toEqual(['B2000000.2047-2001023.2047', 'B10.5000-12.3']);
    expect(units.totals()).toEqual({ covered: 5, total: 5 });
    expect(units.dropPast(11)).toEqual([2_001_023, 12]);
    expect(units.size).toBe(0);
  });
});
