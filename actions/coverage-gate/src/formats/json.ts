/** coverage.py JSON and Istanbul coverage-final.json / coverage-summary.json. */
import { readFileSync, statSync } from 'node:fs';
import { addCount, addKeyed, addLine, CoverageError, fileCoverage, type CoverageMap } from '../model.js';

type Json = Record<string, unknown>;

/** JSON is parsed whole: larger reports are refused (LCOV and Cobertura are streamed instead). */
export const MAX_JSON_BYTES = 256 * 1024 * 1024;

export function readJson(filePath: string): Json {
  const size = statSync(filePath).size;
  if (size > MAX_JSON_BYTES)
    throw new CoverageError(
      `${filePath}: ${Math.round(size / 1024 / 1024)} MiB of JSON; JSON reports over 256 MiB are not read whole. Write LCOV or Cobertura, which are streamed`,
    );
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(filePath, 'utf8'));
  } catch (error) {
    throw new CoverageError(`${filePath}: not valid JSON (${(error as Error).message})`);
  }
  if (document === null || typeof document !== 'object' || Array.isArray(document))
    throw new CoverageError(`${filePath}: JSON, but not an object, so not a coverage report`);
  if (Object.keys(document).length === 0)
    throw new CoverageError(
      `${filePath}: an empty JSON object ({}), not a coverage report: nothing to count`,
    );
  return document as Json;
}

/** A line that starts with a Python string literal: `"""`, `'''`, `"`, `'`, with r/b/u/f prefixes. */
const STRING_START = /^\s*(?:[rRbBuUfF]{1,2})?(?:"|')/;

/**
 * coverage.py (before 7.13) lists among executed_lines docstrings that ran (a module's, a class's):
 * they are not statements, and its own summary leaves them out. When the summary counts fewer
 * covered lines than the list, the source tells which: executed lines that begin with a string
 * literal. When the source does not say exactly, the difference is taken off the file's totals
 * (`surplus`), so the totals still equal coverage.py's.
 */
export function nonStatementLines(
  executed: number[],
  coveredBySummary: number,
  source: string | undefined,
): { lines: Set<number>; surplus: number } {
  const extra = executed.length - coveredBySummary;
  if (extra <= 0) return { lines: new Set(), surplus: 0 };
  const text = source?.split(/\r?\n/) ?? [];
  const docstrings = executed.filter((line) => STRING_START.test(text[line - 1] ?? ''));
  if (docstrings.length === extra) return { lines: new Set(docstrings), surplus: 0 };
  return { lines: new Set(), surplus: extra };
}

export function parseCoveragePyJson(
  filePath: string,
  document: Json,
  map: CoverageMap,
  resolvePath: (reported: string) => string,
  readSource: (path: string) => string | undefined = () => undefined,
): string[] {
  const notes: string[] = [];
  for (const [reported, raw] of Object.entries(document.files as Record<string, Json>)) {
    const file = fileCoverage(map, resolvePath(reported));
    const lines = (key: string) => {
      const value = raw[key] ?? [];
      if (!Array.isArray(value) || value.some((line) => !Number.isInteger(line) || line < 0)) {
        throw new CoverageError(`${filePath}: files['${reported}'].${key} must be a list of line numbers`);
      }
      return value as number[];
    };
    // coverage.py lists excluded lines that ran among executed_lines; its own totals leave them out.
    const excluded = new Set(lines('excluded_lines'));
    const missing = lines('missing_lines');
    const executed = lines('executed_lines').filter((line) => !excluded.has(line));
    const summary = raw.summary as { covered_lines?: unknown } | undefined;
    const covered = summary?.covered_lines;
    const other =
      Number.isInteger(covered) && (covered as number) >= 0
        ? nonStatementLines(executed, covered as number, readSource(file.path))
        : { lines: new Set<number>(), surplus: 0 };
    for (const line of executed) if (!other.lines.has(line)) addLine(file, line, 1);
    for (const line of missing) addLine(file, line, 0);
    if (other.surplus > 0) {
      // The same file in several reports has the same docstrings: counted once.
      file.surplus = Math.max(file.surplus ?? 0, other.surplus);
      notes.push(
        `${filePath}: ${file.path} lists ${executed.length} executed lines where its summary counts ${String(covered)} statements; ${other.surplus} taken off its totals, as coverage.py counts it`,
      );
    } else if (other.lines.size > 0) {
      notes.push(
        `${filePath}: ${file.path} lines ${[...other.lines].join(', ')} ran but are docstrings, not statements (coverage.py's summary does not count them): left out`,
      );
    }
    for (const [from, to] of (raw.executed_branches as [number, number][] | undefined) ?? [])
      addCount(file.branches, `${from}:${to}`, 1);
    for (const [from, to] of (raw.missing_branches as [number, number][] | undefined) ?? [])
      addCount(file.branches, `${from}:${to}`, 0);
    for (const [name, fn] of Object.entries((raw.functions as Record<string, Json> | undefined) ?? {})) {
      if (name === '') continue;
      addCount(file.functions, name, ((fn.executed_lines as number[] | undefined) ?? []).length > 0 ? 1 : 0);
    }
  }
  return notes;
}

/** Istanbul coverage-final.json: a line is covered when a statement starting on it ran. */
export function parseIstanbulFinal(
  filePath: string,
  document: Json,
  map: CoverageMap,
  resolvePath: (reported: string) => string,
): void {
  for (const [reported, raw] of Object.entries(document as Record<string, Json>)) {
    const file = fileCoverage(map, resolvePath(String(raw.path ?? reported)));
    const statementMap = (raw.statementMap ?? {}) as Record<string, { start: { line: number } }>;
    const statements = (raw.s ?? {}) as Record<string, number>;
    const lineHits = new Map<number, number>();
    for (const [id, location] of Object.entries(statementMap)) {
      const hits = statements[id];
      if (typeof hits !== 'number' || hits < 0)
        throw new CoverageError(`${filePath}: ${reported} statement ${id} has no valid count`);
      lineHits.set(location.start.line, Math.max(lineHits.get(location.start.line) ?? 0, hits));
    }
    for (const [line, hits] of lineHits) addLine(file, line, hits);
    const functionMap = (raw.fnMap ?? {}) as Record<
      string,
      { name: string; line?: number; decl?: { start: { line: number } } }
    >;
    const functionHits = (raw.f ?? {}) as Record<string, number>;
    for (const [id, fn] of Object.entries(functionMap))
      addCount(file.functions, `${fn.decl?.start.line ?? fn.line ?? id}:${fn.name}`, functionHits[id] ?? 0);
    const branchHits = (raw.b ?? {}) as Record<string, number[]>;
    for (const [id, counts] of Object.entries(branchHits))
      counts.forEach((hits, index) => addCount(file.branches, `${id}:${index}`, hits));
  }
}

/**
 * Istanbul coverage-summary.json has counts, not lines: each file becomes one covered and one
 * uncovered unit of the right weights, so totals stay exact (it cannot merge line by line).
 */
export function parseIstanbulSummary(
  filePath: string,
  document: Json,
  map: CoverageMap,
  resolvePath: (reported: string) => string,
): void {
  for (const [reported, raw] of Object.entries(document as Record<string, Json>)) {
    if (reported === 'total') continue;
    const lines = raw.lines as { total: number; covered: number } | undefined;
    if (
      !lines ||
      !Number.isInteger(lines.total) ||
      !Number.isInteger(lines.covered) ||
      lines.covered > lines.total ||
      lines.covered < 0
    ) {
      throw new CoverageError(`${filePath}: ${reported}.lines needs whole total and covered counts`);
    }
    const file = fileCoverage(map, resolvePath(reported));
    if (lines.covered > 0) addKeyed(file, 'Scovered', lines.covered, 1, filePath);
    if (lines.total - lines.covered > 0)
      addKeyed(file, 'Suncovered', lines.total - lines.covered, 0, filePath);
  }
}
