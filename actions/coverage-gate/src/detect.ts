/** Which format a report is, from its first bytes. */
import { closeSync, openSync, readSync } from 'node:fs';
import { CoverageError } from './model.js';

export const FORMATS = ['lcov', 'cobertura', 'jacoco', 'clover', 'go', 'json'] as const;
export type Format = (typeof FORMATS)[number];

export function detectFormat(filePath: string): Format {
  const buffer = Buffer.alloc(4096);
  const fd = openSync(filePath, 'r');
  let length: number;
  try {
    length = readSync(fd, buffer, 0, buffer.length, 0);
  } finally {
    closeSync(fd);
  }
  if (length === 0) throw new CoverageError(`${filePath}: the file is empty`);
  const head = buffer.subarray(0, length);
  if (head.includes(0)) throw new CoverageError(`${filePath}: binary content, not a coverage report`);
  const text = head
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (text.startsWith('mode:')) return 'go';
  if (text.startsWith('{')) return 'json';
  if (text.startsWith('<')) {
    if (/<report[\s>]/.test(text) || /JACOCO/.test(text)) return 'jacoco';
    if (/<coverage[^>]*\sclover=/.test(text) || /<project[\s>]/.test(text)) return 'clover';
    if (/<coverage[\s>]/.test(text)) return 'cobertura';
    throw new CoverageError(`${filePath}: XML, but not a Cobertura, JaCoCo or Clover report`);
  }
  if (/^(TN|SF|VER|DA|FN|FNDA|BRDA|LF|LH):/m.test(text)) return 'lcov';
  throw new CoverageError(
    `${filePath}: not a coverage report this action reads (LCOV, Cobertura, JaCoCo or Clover XML, coverage.py JSON, Go coverprofile, Istanbul JSON)`,
  );
}
