import { createReadStream } from 'node:fs';

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
      onLine(
        text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end),
        ++lineNumber,
      );
      start = end + 1;
    }
    rest = text.slice(start);
  }
  if (rest !== '') onLine(rest, lineNumber + 1);
}
