/**
 * Go coverprofiles (`mode: set|count|atomic`): statement-weighted blocks. Blocks with the same file
 * and span (from -coverpkg=./... or concatenated profiles) merge as `go tool cover` merges them.
 */
import {
  addBlock,
  CoverageError,
  fileCoverage,
  ownCopy,
  type CoverageMap,
  type FileCoverage,
} from '../model.js';
import { forEachLine } from './lines.js';

export async function parseGoProfile(
  filePath: string,
  map: CoverageMap,
  resolvePath: (importPath: string) => string,
): Promise<void> {
  let lineNumber = 0;
  const where = () => `${filePath}:${lineNumber}`;
  // A profile lists a file's blocks together: the file of the line before is nearly always this one.
  let last: { importPath: string; file: FileCoverage } | undefined;
  await forEachLine(filePath, (raw, number) => {
    lineNumber = number;
    const line = raw.trim();
    if (line === '') return;
    if (line.startsWith('mode:')) {
      if (!/^mode: (set|count|atomic)$/.test(line))
        throw new CoverageError(
          `${filePath}:${lineNumber}: unknown coverprofile mode '${line.slice(5).trim()}'`,
        );
      return;
    }
    const spanAt = readBlock(line);
    if (spanAt === 0)
      throw new CoverageError(
        `${filePath}:${lineNumber}: '${line.slice(0, 60)}' is not a coverprofile block (file.go:l.c,l.c statements count)`,
      );
    if (!last || last.importPath.length !== spanAt - 1 || !line.startsWith(last.importPath)) {
      const importPath = ownCopy(line.slice(0, spanAt - 1));
      last = { importPath, file: fileCoverage(map, resolvePath(importPath)) };
    }
    addBlock(last.file, BLOCK, BLOCK[4]!, BLOCK[5]!, where);
  });
}

/** The numbers of the block last read: start line, start column, end line, end column, statements, count. */
const BLOCK = new Float64Array(6);

/**
 * A block as `go test` writes it, read without a regular expression or an allocation (a profile
 * has a million of them): `<path>:<line>.<col>,<line>.<col> <statements> <count>`. Its numbers go
 * to BLOCK; returns where the span starts (after the path's `:`), or 0 for anything else.
 */
function readBlock(line: string): number {
  const countAt = line.lastIndexOf(' ') + 1;
  const statementsAt = line.lastIndexOf(' ', countAt - 2) + 1;
  const spanAt = line.lastIndexOf(':', statementsAt - 2) + 1;
  if (countAt <= 0 || statementsAt <= 0 || spanAt <= 1) return 0;
  let at = spanAt;
  // After each number: . , . space space, then the end of the line.
  let index = 0;
  for (const separator of SEPARATORS) {
    const start = at;
    let value = 0;
    for (let code = line.charCodeAt(at); code >= 48 && code <= 57; code = line.charCodeAt(at)) {
      value = value * 10 + (code - 48);
      at++;
    }
    const ended = separator === -1 ? at === line.length : line.charCodeAt(at) === separator;
    if (at === start || !ended) return 0;
    BLOCK[index++] = value;
    at++;
  }
  return spanAt;
}

const SEPARATORS = [46, 44, 46, 32, 32, -1];
