/** Clover XML: <line type="stmt" count>, conditionals with truecount/falsecount, methods. */
import { addCount, addLine, fileCoverage, type CoverageMap } from '../model.js';
import { count, streamXml } from './xml.js';

export async function parseClover(
  filePath: string,
  map: CoverageMap,
  resolvePath: (reported: string) => string,
): Promise<void> {
  let current: ReturnType<typeof fileCoverage> | undefined;
  await streamXml(filePath, {
    open(name, attributes, fail) {
      if (name === 'file') {
        const reported = attributes.path ?? attributes.name;
        if (!reported) return fail('<file> without a path or name');
        current = fileCoverage(map, resolvePath(reported));
      } else if (name === 'line' && current) {
        const line = Number(attributes.num);
        if (!Number.isInteger(line) || line < 0)
          return fail(`<line> num '${attributes.num}' is not a line number`);
        if (attributes.type === 'method') {
          addCount(
            current.functions,
            `${line}:${attributes.name ?? 'method'}`,
            count(attributes, 'count', 'line', fail),
          );
          addLine(current, line, count(attributes, 'count', 'line', fail));
        } else if (attributes.type === 'cond') {
          const whenTrue = count(attributes, 'truecount', 'line', fail);
          const whenFalse = count(attributes, 'falsecount', 'line', fail);
          addCount(current.branches, `${line}:true`, whenTrue);
          addCount(current.branches, `${line}:false`, whenFalse);
          addLine(current, line, whenTrue + whenFalse);
        } else {
          addLine(current, line, count(attributes, 'count', 'line', fail));
        }
      }
    },
    close(name) {
      if (name === 'file') current = undefined;
    },
  });
}
