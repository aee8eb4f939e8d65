/** LCOV, streamed line by line: DA, FN/FNDA (and lcov 2.2 FNL/FNA), BRDA, repeated SF sections merged. */
import { addCount, addLine, CoverageError, fileCoverage, type CoverageMap } from '../model.js';
import { forEachLine } from './lines.js';

export async function parseLcov(
  filePath: string,
  map: CoverageMap,
  resolvePath: (reported: string) => string,
): Promise<void> {
  let current: ReturnType<typeof fileCoverage> | undefined;
  let lineNumber = 0;
  const fail = (problem: string): never => {
    throw new CoverageError(`${filePath}:${lineNumber}: ${problem}`);
  };
  const integer = (text: string | undefined, what: string): number => {
    if (text === undefined || !/^-?\d+$/.test(text)) fail(`${what} '${text ?? ''}' is not a whole number`);
    const value = Number(text);
    if (value < 0) fail(`${what} ${value} is negative`);
    return value;
  };
  await forEachLine(filePath, (raw, number) => {
    lineNumber = number;
    // Nearly every line of a report is a plain DA:<line>,<hits>: read it without splitting.
    if (current) {
      const hitsAt = plainDa(raw);
      if (hitsAt > 0) {
        addLine(current, Number(raw.slice(3, hitsAt - 1)), Number(raw.slice(hitsAt)));
        return;
      }
    }
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const tag = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1);
    if (tag === 'SF') {
      if (!value) fail('SF without a path');
      current = fileCoverage(map, resolvePath(value));
      return;
    }
    if (tag === 'end_of_record') {
      current = undefined;
      return;
    }
    if (tag === 'TN' || tag === 'VER') return;
    if (!current) {
      if (/^(DA|FN|FNDA|FNL|FNA|BRDA|LF|LH|BRF|BRH|FNF|FNH)$/.test(tag)) fail(`${tag} outside an SF record`);
      fail(`'${line.slice(0, 40)}' is not LCOV`);
    }
    const file = current!;
    const parts = value.split(',');
    switch (tag) {
      case 'DA': {
        if (parts.length < 2) fail(`DA needs line,hits; got '${value}'`);
        addLine(file, integer(parts[0], 'DA line'), integer(parts[1], 'DA hits'));
        break;
      }
      case 'FN': {
        // FN:<line>,<name> (or lcov 2.2 FN:<line>,<end line>,<name>)
        if (parts.length < 2) fail(`FN needs line,name; got '${value}'`);
        addCount(file.functions, parts[parts.length - 1]!, 0);
        break;
      }
      case 'FNDA': {
        if (parts.length < 2) fail(`FNDA needs hits,name; got '${value}'`);
        addCount(file.functions, parts.slice(1).join(','), integer(parts[0], 'FNDA hits'));
        break;
      }
      case 'FNL':
        // FNL:<index>,<line>[,<end>] only declares a function; FNA:<index>,<hits>,<name> counts it.
        break;
      case 'FNA': {
        if (parts.length < 3) fail(`FNA needs index,hits,name; got '${value}'`);
        addCount(file.functions, parts.slice(2).join(','), integer(parts[1], 'FNA hits'));
        break;
      }
      case 'BRDA': {
        if (parts.length < 4) fail(`BRDA needs line,block,branch,taken; got '${value}'`);
        const taken = parts[3] === '-' ? 0 : integer(parts[3], 'BRDA taken');
        addCount(file.branches, `${parts[0]}:${parts[1]}:${parts[2]}`, taken);
        break;
      }
      case 'LF':
      case 'LH':
      case 'BRF':
      case 'BRH':
      case 'FNF':
      case 'FNH':
        // Summary counts: the DA/BRDA/FN records are the truth.
        integer(value, tag);
        break;
      default:
        fail(`unknown LCOV record '${tag}'`);
    }
  });
  if (current) fail('the file ends inside an SF record (no end_of_record): truncated?');
}

const DIGIT_0 = 48;
const DIGIT_9 = 57;

/**
 * Where the hits of a plain `DA:<line>,<hits>` start (both whole numbers as written canonically: no
 * sign, no leading zero, no checksum, no spaces, under 16 digits); 0 for any other line, which the
 * general path reads and, if wrong, explains.
 */
function plainDa(line: string): number {
  if (line.charCodeAt(0) !== 68 || line.charCodeAt(1) !== 65 || line.charCodeAt(2) !== 58) return 0;
  const comma = digitsEnd(line, 3);
  if (comma === 0 || line.charCodeAt(comma) !== 44) return 0;
  return digitsEnd(line, comma + 1) === line.length ? comma + 1 : 0;
}

/** The end of a canonical whole number starting at `start`; 0 if there is none. */
function digitsEnd(text: string, start: number): number {
  let end = start;
  for (let code = text.charCodeAt(end); code >= DIGIT_0 && code <= DIGIT_9; code = text.charCodeAt(end))
    end++;
  const digits = end - start;
  if (digits === 0 || digits > 15 || (digits > 1 && text.charCodeAt(start) === DIGIT_0)) return 0;
  return end;
}
