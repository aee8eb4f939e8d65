/** Writing the merged coverage for other tools: LCOV (`.info`) or Cobertura (`.xml`). */
import { writeFileSync } from 'node:fs';
import { escapeXml } from '../../../packages/shared/src/xml.js';
import type { CoverageMap, FileCoverage } from './model.js';

/** Per-line hits of a file: line units as they are; Go blocks spread over the lines they span. */
function lineHits(file: FileCoverage): Map<number, number> {
  const lines = new Map<number, number>();
  for (const [line, hits] of file.units.lines()) lines.set(line, Math.max(lines.get(line) ?? 0, hits));
  for (const block of file.units.blocks())
    for (let number = block.start.line; number <= block.end.line; number++)
      lines.set(number, Math.max(lines.get(number) ?? 0, block.hits));
  return new Map([...lines].sort(([a], [b]) => a - b));
}

export function toLcov(map: CoverageMap): string {
  const records: string[] = [];
  for (const file of [...map.values()].sort((a, b) => a.path.localeCompare(b.path))) {
    const lines = lineHits(file);
    const out = ['TN:', `SF:${file.path}`];
    for (const [name, hits] of file.functions) out.push(`FN:0,${name}`, `FNDA:${hits},${name}`);
    out.push(
      `FNF:${file.functions.size}`,
      `FNH:${[...file.functions.values()].filter((hits) => hits > 0).length}`,
    );
    for (const [line, hits] of lines) out.push(`DA:${line},${hits}`);
    out.push(
      `LF:${lines.size}`,
      `LH:${[...lines.values()].filter((hits) => hits > 0).length}`,
      'end_of_record',
    );
    records.push(out.join('\n'));
  }
  return `${records.join('\n')}\n`;
}

export function toCobertura(map: CoverageMap, now = Date.now()): string {
  let valid = 0;
  let covered = 0;
  const classes = [...map.values()]
    .sort((a, b) => a.path.localeCompare(b.path))
    .map((file) => {
      const lines = lineHits(file);
      valid += lines.size;
      covered += [...lines.values()].filter((hits) => hits > 0).length;
      const rate = lines.size === 0 ? 0 : [...lines.values()].filter((hits) => hits > 0).length / lines.size;
      const body = [...lines].map(([line, hits]) => `<line number="${line}" hits="${hits}"/>`).join('');
      return `<class name="${escapeXml(file.path)}" filename="${escapeXml(file.path)}" line-rate="${rate.toFixed(4)}"><methods/><lines>${body}</lines></class>`;
    });
  const rate = valid === 0 ? 0 : covered / valid;
  return (
    `<?xml version="1.0" ?>\n<coverage version="mpac-coverage-gate" timestamp="${now}" lines-valid="${valid}" lines-covered="${covered}" line-rate="${rate.toFixed(4)}">` +
    `<sources><source>.</source></sources><packages><package name="merged" line-rate="${rate.toFixed(4)}"><classes>${classes.join('')}</classes></package></packages></coverage>\n`
  );
}

export function writeMerged(map: CoverageMap, paths: string[]): void {
  for (const target of paths) {
    if (target.endsWith('.info')) writeFileSync(target, toLcov(map));
    else if (target.endsWith('.xml')) writeFileSync(target, toCobertura(map));
    // inputs.ts accepts only .info and .xml.
    else throw new Error(`merged-output ${target} has no known extension`);
  }
}
