/** Cobertura XML (coverage.py, istanbul, others), streamed: counts from <line number hits>, never the rates. */
import { addCount, addLine, fileCoverage, type CoverageMap } from '../model.js';
import { count, streamXml } from './xml.js';

export async function parseCobertura(
  filePath: string,
  map: CoverageMap,
  resolvePath: (reported: string, sources: string[]) => string,
): Promise<void> {
  const sources: string[] = [];
  let current: ReturnType<typeof fileCoverage> | undefined;
  let method: { name: string; hits: number } | undefined;
  await streamXml(filePath, {
    open(name, attributes, fail) {
      if (name === 'class') {
        if (!attributes.filename) return fail('<class> without a filename');
        current = fileCoverage(map, resolvePath(attributes.filename, sources));
      } else if (name === 'method' && current) {
        method = { name: `${attributes.name ?? 'anonymous'}${attributes.signature ?? ''}`, hits: 0 };
      } else if (name === 'line' && current) {
        const number = Number(attributes.number);
        if (!Number.isInteger(number) || number < 0)
          return fail(`<line> number '${attributes.number}' is not a line number`);
        const hits = count(attributes, 'hits', 'line', fail);
        if (method) {
          method.hits = Math.max(method.hits, hits);
          return;
        }
        addLine(current, number, hits);
        const condition = /\((\d+)\/(\d+)\)/.exec(attributes['condition-coverage'] ?? '');
        if (attributes.branch === 'true' && condition) {
          const taken = Number(condition[1]);
          for (let index = 0; index < Number(condition[2]); index++)
            addCount(current.branches, `${number}:0:${index}`, index < taken ? 1 : 0);
        }
      }
    },
    close(name, text) {
      if (name === 'source') sources.push(text.trim());
      else if (name === 'method' && current && method) {
        addCount(current.functions, method.name, method.hits);
        method = undefined;
      } else if (name === 'class') current = undefined;
    },
  });
}
