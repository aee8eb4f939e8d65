/** Cobertura XML (coverage.py, istanbul, others), streamed: counts from <line number hits>, never the rates. */
import { createReadStream } from 'node:fs';
import { SaxesParser } from 'saxes';
import { addCount, addUnit, CoverageError, fileCoverage, type CoverageMap } from '../model.js';

export async function parseCobertura(
  filePath: string,
  map: CoverageMap,
  resolvePath: (reported: string, sources: string[]) => string,
): Promise<void> {
  const parser = new SaxesParser({ xmlns: false, position: true });
  const sources: string[] = [];
  const stack: string[] = [];
  let text = '';
  let current: ReturnType<typeof fileCoverage> | undefined;
  let method: { name: string; hits: number } | undefined;
  let error: Error | undefined;
  const fail = (problem: string) => {
    error ??= new CoverageError(`${filePath}:${parser.line}: ${problem}`);
  };

  parser.on('doctype', () => fail('has a DOCTYPE; document type definitions are not loaded, remove it'));
  parser.on('opentag', (tag) => {
    stack.push(tag.name);
    text = '';
    const attributes = tag.attributes as Record<string, string>;
    if (tag.name === 'class') {
      if (!attributes.filename) return fail('<class> without a filename');
      current = fileCoverage(map, resolvePath(attributes.filename, sources));
    } else if (tag.name === 'method' && current) {
      method = { name: `${attributes.name ?? 'anonymous'}${attributes.signature ?? ''}`, hits: 0 };
    } else if (tag.name === 'line' && current) {
      const number = Number(attributes.number);
      const hits = Number(attributes.hits);
      if (!Number.isInteger(number) || number < 0)
        return fail(`<line> number '${attributes.number}' is not a line number`);
      if (!Number.isInteger(hits) || hits < 0)
        return fail(`<line number="${number}"> hits '${attributes.hits}' is not a non-negative whole number`);
      if (method) {
        method.hits = Math.max(method.hits, hits);
        return;
      }
      addUnit(current, `L${number}`, 1, hits, filePath);
      const condition = /\((\d+)\/(\d+)\)/.exec(attributes['condition-coverage'] ?? '');
      if (attributes.branch === 'true' && condition) {
        const taken = Number(condition[1]);
        const total = Number(condition[2]);
        for (let index = 0; index < total; index++)
          addCount(current.branches, `${number}:0:${index}`, index < taken ? 1 : 0);
      }
    }
  });
  parser.on('text', (chunk) => {
    text += chunk;
  });
  parser.on('closetag', (tag) => {
    stack.pop();
    if (tag.name === 'source') sources.push(text.trim());
    else if (tag.name === 'method' && current && method) {
      addCount(current.functions, method.name, method.hits);
      method = undefined;
    } else if (tag.name === 'class') current = undefined;
  });
  parser.on('error', (problem) => fail(problem.message.split('\n')[0]!));

  const stream = createReadStream(filePath, { encoding: 'utf8' });
  for await (const chunk of stream) {
    parser.write(chunk as string);
    if (error) break;
  }
  if (!error) {
    try {
      parser.close();
    } catch (problem) {
      fail((problem as Error).message.split('\n')[0]!);
    }
  }
  if (!error && stack.length > 0) fail(`the XML ends inside <${stack.at(-1)}>: truncated?`);
  if (error) throw error;
}
