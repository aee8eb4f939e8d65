/**
 * Go coverprofiles (`mode: set|count|atomic`): statement-weighted blocks. Blocks with the same file
 * and span (from -coverpkg=./... or concatenated profiles) merge as `go tool cover` merges them.
 */
import { addBlock, CoverageError, fileCoverage, type CoverageMap } from '../model.js';
import { forEachLine } from './lines.js';

export async function parseGoProfile(
  filePath: string,
  map: CoverageMap,
  resolvePath: (importPath: string) => string,
): Promise<void> {
  let lineNumber = 0;
  const where = () => `${filePath}:${lineNumber}`;
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
    const block = readBlock(line);
    if (!block)
      throw new CoverageError(
        `${filePath}:${lineNumber}: '${line.slice(0, 60)}' is not a coverprofile block (file.go:l.c,l.c statements count)`,
      );
    const file = fileCoverage(map, resolvePath(block.importPath));
    addBlock(
      file,
      {
        start: { line: block.startLine, column: block.startColumn },
        end: { line: block.endLine, column: block.endColumn },
      },
      block.statements,
      block.count,
      where,
    );
  });
}

interface Block {
  importPath: string;
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
  statements: number;
  count: number;
}

/**
 * A block as `go test` writes it, read without a regular expression (a profile has a million of
 * them): `<path>:<line>.<col>,<line>.<col> <statements> <count>`. Undefined for anything else.
 */
function readBlock(line: string): Block | undefined {
  const countAt = line.lastIndexOf(' ') + 1;
  const statementsAt = line.lastIndexOf(' ', countAt - 2) + 1;
  const spanAt = line.lastIndexOf(':', statementsAt - 2) + 1;
  if (countAt <= 0 || statementsAt <= 0 || spanAt <= 1) return undefined;
  const numbers: number[] = [];
  let at = spanAt;
  // After each number: . , . space space, then the end of the line.
  for (const separator of [46, 44, 46, 32, 32, -1]) {
    const start = at;
    let value = 0;
    for (let code = line.charCodeAt(at); code >= 48 && code <= 57; code = line.charCodeAt(at)) {
      value = value * 10 + (code - 48);
      at++;
    }
    const ended = separator === -1 ? at === line.length : line.charCodeAt(at) === separator;
    if (at === start || !ended) return undefined;
    numbers.push(value);
    at++;
  }
  const [startLine, startColumn, endLine, endColumn, statements, count] = numbers as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return {
    importPath: line.slice(0, spanAt - 1),
    startLine,
    startColumn,
    endLine,
    endColumn,
    statements,
    count,
  };
}
