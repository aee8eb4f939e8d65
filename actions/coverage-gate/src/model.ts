/**
 * Coverage of any language as counted units: a line (LCOV, Cobertura, coverage.py, Istanbul) is a
 * unit of weight 1; a Go block is a unit weighted by its statement count. Branches and functions
 * are counted alongside. Merging adds hits per unit; all arithmetic is on integers.
 */
import { ActionError } from '../../../packages/shared/src/errors.js';
import { Units } from './units.js';

export type { Unit } from './units.js';

export interface FileCoverage {
  path: string;
  /** Lines, Go blocks and units a report names only by a summary, held compactly. */
  units: Units;
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

export type CoverageMap = Map<string, FileCoverage>;

export function fileCoverage(map: CoverageMap, path: string): FileCoverage {
  let file = map.get(path);
  if (!file) {
    const own = ownCopy(path);
    map.set(own, (file = { path: own, units: new Units(), branches: new Map(), functions: new Map() }));
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

/** A line unit (weight 1); hits add up over reports. */
export function addLine(file: FileCoverage, line: number, hits: number): void {
  file.units.addLine(line, hits);
}

/** A Go block of `weight` statements; `where` (built only on an error) names the report and line. */
export function addBlock(
  file: FileCoverage,
  /** Start line, start column, end line, end column. */
  span: ArrayLike<number>,
  weight: number,
  hits: number,
  where: () => string,
): void {
  const other = file.units.addSpan(span[0]!, span[1]!, span[2]!, span[3]!, weight, hits);
  if (other !== undefined)
    throw new CoverageError(
      `${where()}: ${file.path} block ${span[0]}.${span[1]}-${span[2]}.${span[3]} has ${weight} statements here and ${other} elsewhere; the profiles disagree`,
    );
}

/** A unit a report names only by a summary (covered or not, of a weight). */
export function addKeyed(file: FileCoverage, key: string, weight: number, hits: number, where: string): void {
  const other = file.units.addKeyed(key, weight, hits);
  if (other !== undefined)
    throw new CoverageError(
      `${where}: ${file.path} counts ${weight} ${key} lines here and ${other} elsewhere`,
    );
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
    const units = file.units.totals();
    totals.lines.total += units.total;
    totals.lines.covered += units.covered;
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
