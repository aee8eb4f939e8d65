/** The job summary of a push: the image, its tags, and the scan's findings against the threshold. */
import { escapeHtml, htmlTable, keyValueList } from '../../../packages/shared/src/summary.js';
import type { Finding } from './ecr.js';

export function builtSummary(digest: string, tags: string[]): string[] {
  return [
    `<h2>Image built (not pushed)</h2>\n`,
    keyValueList([
      ['digest', digest],
      ['tags', tags.join(', ')],
    ]),
  ];
}

export function pushedSummary(
  imageUri: string,
  tags: string[],
  findings: Finding[],
  blocking: Finding[],
  threshold: string,
): string[] {
  const parts = [
    `<h2>${blocking.length > 0 ? '❌ Image blocked by the scan' : '✅ Image pushed'}</h2>\n`,
    keyValueList([
      ['image', imageUri],
      ['tags', tags.join(', ')],
      ['scan threshold', threshold],
      ['findings', findings.length],
    ]),
  ];
  const shown = blocking.length > 0 ? blocking : findings;
  if (shown.length > 0) {
    parts.push(
      `<h3>${blocking.length > 0 ? `Findings at or above ${escapeHtml(threshold)}` : 'Findings below the threshold'}</h3>\n`,
    );
    parts.push(
      htmlTable(
        ['CVE', 'severity', 'package', 'version', 'fixed in'],
        shown
          .slice(0, 200)
          .map((finding) => [
            finding.id,
            finding.severity,
            finding.package,
            finding.version,
            finding.fixedVersion ?? 'no fix yet',
          ]),
      ),
    );
  }
  return parts;
}
