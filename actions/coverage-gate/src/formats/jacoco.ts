/** JaCoCo XML: <sourcefile> lines (covered when ci > 0), branches from mb/cb, methods from their counters. */
import { addCount, addLine, fileCoverage, type CoverageMap } from '../model.js';
import { count, streamXml } from './xml.js';

export async function parseJacoco(
  filePath: string,
  map: CoverageMap,
  resolvePath: (reported: string) => string,
): Promise<void> {
  let packageName = '';
  let className = '';
  let method: string | undefined;
  let current: ReturnType<typeof fileCoverage> | undefined;
  await streamXml(filePath, {
    open(name, attributes, fail) {
      if (name === 'package') packageName = attributes.name ?? '';
      else if (name === 'class') className = attributes.name ?? '';
      else if (name === 'method') method = `${className}.${attributes.name ?? '?'}${attributes.desc ?? ''}`;
      else if (name === 'counter' && method && attributes.type === 'METHOD') {
        const source = className.split('/').slice(0, -1).join('/');
        const file = fileCoverage(
          map,
          resolvePath(`${source ? `${source}/` : ''}${className.split('/').pop()!.split('$')[0]}.java`),
        );
        addCount(file.functions, method, count(attributes, 'covered', 'counter', fail) > 0 ? 1 : 0);
      } else if (name === 'sourcefile') {
        current = fileCoverage(
          map,
          resolvePath(`${packageName ? `${packageName}/` : ''}${attributes.name ?? ''}`),
        );
      } else if (name === 'line' && current) {
        const line = Number(attributes.nr);
        if (!Number.isInteger(line) || line < 0)
          return fail(`<line> nr '${attributes.nr}' is not a line number`);
        const coveredInstructions = count(attributes, 'ci', 'line', fail);
        const missedInstructions = count(attributes, 'mi', 'line', fail);
        if (coveredInstructions + missedInstructions > 0)
          addLine(current, line, coveredInstructions > 0 ? 1 : 0);
        const coveredBranches = count(attributes, 'cb', 'line', fail);
        const missedBranches = count(attributes, 'mb', 'line', fail);
        for (let index = 0; index < coveredBranches + missedBranches; index++)
          addCount(current.branches, `${line}:${index}`, index < coveredBranches ? 1 : 0);
      }
    },
    close(name) {
      if (name === 'method') method = undefined;
      else if (name === 'sourcefile') current = undefined;
    },
  });
}
