/**
 * Go coverprofiles (`mode: set|count|atomic`): statement-weighted blocks. Blocks with the same file
 * and span (from -coverpkg=./... or concatenated profiles) merge as `go tool cover` merges them.
 */
import { addUnit, blockKey, CoverageError, fileCoverage, type CoverageMap } from '../model.js';
import { forEachLine } from './lines.js';

const BLOCK = /^(.+):(\d+)\.(\d+),(\d+)\.(\d+) (\d+) (\d+)$/;

export async function parseGoProfile(
  filePath: string,
  map: CoverageMap,
  resolvePath: (importPath: string) => string,
): Promise<void> {
  await forEachLine(filePath, (raw, lineNumber) => {
    const line = raw.trim();
    if (line === '') return;
    if (line.startsWith('mode:')) {
      if (!/^mode: (set|count|atomic)$/.test(line))
        throw new CoverageError(
          `${filePath}:${lineNumber}: unknown coverprofile mode '${line.slice(5).trim()}'`,
        );
      return;
    }
    const match = BLOCK.exec(line);
    if (!match)
      throw new CoverageError(
        `${filePath}:${lineNumber}: '${line.slice(0, 60)}' is not a coverprofile block (file.go:l.c,l.c statements count)`,
      );
    const [, importPath, startLine, startColumn, endLine, endColumn, statements, count] = match;
    const file = fileCoverage(map, resolvePath(importPath!));
    addUnit(
      file,
      blockKey(
        { line: Number(startLine), column: Number(startColumn) },
        { line: Number(endLine), column: Number(endColumn) },
      ),
      Number(statements),
      Number(count),
      `${filePath}:${lineNumber}`,
    );
  });
}
