import { createReadStream } from 'node:fs';
import { CoverageError } from '../model.js';

/** No report line this action reads is anywhere near this long; a longer one is refused, naming it. */
export const MAX_LINE_CHARS = 1 << 20;

function tooLong(filePath: string, lineNumber: number): CoverageError {
  return new CoverageError(
    `${filePath}: line ${lineNumber} is longer than ${MAX_LINE_CHARS} characters (1 MiB), which no LCOV or Go coverage line is; is it the right file?`,
  );
}

/**
 * Calls `onLine` for every line of a file, streamed in chunks (faster than readline for the
 * million-line reports, and the file is never held whole in memory).
 */
export async function forEachLine(
  filePath: string,
  onLine: (line: string, lineNumber: number) => void,
): Promise<void> {
  let rest = '';
  let lineNumber = 0;
  for await (const chunk of createReadStream(filePath, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = rest + (chunk as string);
    let start = 0;
    for (let end = text.indexOf('\n', start); end !== -1; end = text.indexOf('\n', start)) {
      if (end - start > MAX_LINE_CHARS) throw tooLong(filePath, lineNumber + 1);
      onLine(
        text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end),
        ++lineNumber,
      );
      start = end + 1;
    }
    rest = text.slice(start);
    // Memory stays bounded: an unending line is refused as soon as it passes the cap.
    if (rest.length > MAX_LINE_CHARS) throw tooLong(filePath, lineNumber + 1);
  }
  if (rest !== '') onLine(rest, lineNumber + 1);
}
