/**
 * Coverage of any language as counted units: a line (LCOV, Cobertura, coverage.py, Istanbul) is a
 * unit of weight 1; a Go block is a unit weighted by its statement count. Branches and functions
 * are counted alongside. Merging adds hits per unit; all arithmetic is on integers.
 */
import { ActionError } from '../../../packages/shared/src/errors.js';
export interface Unit {
  weight: number;
  hits: number;
}

export interface FileCoverage {
  path: string;
  /** `L<line>` for lines, `B<start>-<end>` for Go blocks. */
  units: Map<string, Unit>;
  /** Branch key → hits (`<line>:<block>:<branch>`). */
  branches: Map<string, number>;
  /** Function name (or `<line>:<name>`) → hits. */
  functions: Map<string, number>;
  /**
   * Covered lines among the units that are not statements, when a report said how many but not
   * which (coverage.py's summary below its executed_lines): taken off the file's totals.
   */
  surplus?: number;
}

/** A report that cannot be read as coverage: the user's to fix, reported without a stack. */
export class CoverageError extends ActionError {}

/** Go blocks are keyed `B<startLine>.<startColumn>-<endLine>.<endColumn>`: one pattern reads them back. */
export function blockKey(
  start: { line: number; column: number },
  end: { line: number; column: number },
): string {
  return `B${start.line}.${start.column}-${end.line}.${end.column}`;
}

export function blockLines(key: string): { start: number; end: number } | undefined {
  const match = /^B(\d+)\.\d+-(\d+)\.\d+$/.exec(key);
  return match ? { start: Number(match[1]), end: Number(match[2]) } : undefined;
}

export type CoverageMap = Map<string, FileCoverage>;

export function fileCoverage(map: CoverageMap, path: string): FileCoverage {
  let file = map.get(path);
  if (!file) {
    const own = ownCopy(path);
    map.set(own, (file = { path: own, units: new Map(), branches: new Map(), functions: new Map() }));
  }
  return file;
}

/**
 * A string that holds only its own characters. A path cut from a line of a streamed report shares
 * the memory of the whole chunk it was read in (1 MiB); kept as a key, it would keep the chunk.
 */
export function ownCopy(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

/** `where` names the report (and line) in an error; a function when it costs something to build. */
export function addUnit(
  file: FileCoverage,
  key: string,
  weight: number,
  hits: number,
  where: string | (() => string),
): void {
  const existing = file.units.get(key);
  if (!existing) {
    file.units.set(key, { weight, hits });
    return;
  }
  if (existing.weight !== weight) {
    throw new CoverageError(
      `${typeof where === 'string' ? where : where()}: ${file.path} block ${key.slice(1)} has ${weight} statements here and ${existing.weight} elsewhere; the profiles disagree`,
    );
  }
  existing.hits += hits;
}

export function addCount(counts: Map<string, number>, key: string, hits: number): void {
  counts.set(key, (counts.get(key) ?? 0) + hits);
}

export interface Totals {
  lines: { covered: number; total: number };
  branches: { covered: number; total: number };
  functions: { covered: number; total: number };
}

export function totalsOf(files: Iterable<FileCoverage>): Totals {
  const totals: Totals = {
    lines: { covered: 0, total: 0 },
    branches: { covered: 0, total: 0 },
    functions: { covered: 0, total: 0 },
  };
  for (const file of files) {
    for (const unit of file.units.values()) {
      totals.lines.total += unit.weight;
      if (unit.hits > 0) totals.lines.covered += unit.weight;
    }
    totals.lines.total -= file.surplus ?? 0;
    totals.lines.covered -= file.surplus ?? 0;
    for (const hits of file.branches.values()) {
      totals.branches.total++;
      if (hits > 0) totals.branches.covered++;
    }
    for (const hits of file.functions.values()) {
      totals.functions.total++;
      if (hits > 0) totals.functions.covered++;
    }
  }
  return totals;
}

/**
 * `covered / total` as a percentage rounded DOWN to 2 decimals, as text ("79.99"); undefined when
 * there is nothing to cover (never shown as 100 %).
 */
export function percentFloor(covered: number, total: number): string | undefined {
  if (total === 0) return undefined;
  const hundredths = (BigInt(covered) * 10000n) / BigInt(total);
  const whole = hundredths / 100n;
  const fraction = hundredths % 100n;
  return `${whole}.${fraction.toString().padStart(2, '0')}`;
}

/** Threshold text ("80", "79.5", "79.99") as hundredths of a percent, exactly. */
export function thresholdHundredths(threshold: number): bigint {
  const [whole, fraction = ''] = String(threshold).split('.');
  if (fraction.length > 2) throw new CoverageError(`threshold ${threshold} has more than 2 decimals`);
  return BigInt(whole!) * 100n + BigInt(fraction.padEnd(2, '0'));
}

/** Pass means covered·100 ≥ threshold·total, in exact integer arithmetic. */
export function meetsThreshold(covered: number, total: number, threshold: number): boolean {
  return BigInt(covered) * 10000n >= thresholdHundredths(threshold) * BigInt(total);
}
