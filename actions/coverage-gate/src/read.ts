/** Finds the reports, detects each format and merges them into one coverage map. */
import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';
import { InputError } from '../../../packages/shared/src/errors.js';
import { isInside } from '../../../packages/shared/src/workspace.js';
import picomatch from 'picomatch';
import { detectFormat, type Format } from './detect.js';
import { parseClover } from './formats/clover.js';
import { parseCobertura } from './formats/cobertura.js';
import { parseJacoco } from './formats/jacoco.js';
import { parseGoProfile } from './formats/go.js';
import { parseCoveragePyJson, parseIstanbulFinal, parseIstanbulSummary, readJson } from './formats/json.js';
import { parseLcov } from './formats/lcov.js';
import { CoverageError, type CoverageMap } from './model.js';
import { findGoModules, PathResolver } from './paths.js';

export interface ReadResult {
  map: CoverageMap;
  reports: { file: string; format: string }[];
  /** What the reading changed to count as the tools count, for the log. */
  notes: string[];
  /** What in the reports cannot be true of the repository (lines past a file's end), for warnings. */
  warnings: string[];
}

export async function readReports(
  patterns: string[],
  root: string,
  pathMap: [string, string][],
  formats: [string, Format][] = [],
  workspace: string = root,
): Promise<ReadResult> {
  const overrides = formats.map(([glob, format]) => [picomatch(glob, { dot: true }), format] as const);
  const files = await fg(patterns, {
    cwd: root,
    absolute: true,
    dot: true,
    onlyFiles: true,
    ignore: ['**/node_modules/**'],
  });
  if (files.length === 0) {
    throw new InputError(
      'files',
      `matched no report under ${root} (patterns: ${patterns.join(', ')})`,
      'coverage/lcov.info',
    );
  }
  for (const file of files) {
    const real = realpathSync(file);
    if (!isInside(workspace, real))
      throw new InputError(
        'files',
        `matched ${file}${real !== file ? ` (a link to ${real})` : ''}, outside the workspace (${workspace}); reports must be inside the repository`,
        'coverage/lcov.info',
      );
  }
  const resolver = new PathResolver(root, pathMap, findGoModules(root), workspace);
  const map: CoverageMap = new Map();
  // JaCoCo names files by package path: look for them under the usual JVM source roots too.
  const sourceRoots = fg.sync('**/src/{main,test}/{java,kotlin}', {
    cwd: root,
    onlyDirectories: true,
    ignore: ['**/node_modules/**'],
  });
  const reports: ReadResult['reports'] = [];
  const notes: string[] = [];
  const readSource = (file: string) => {
    try {
      return readFileSync(path.join(root, file), 'utf8');
    } catch {
      return undefined;
    }
  };
  for (const file of files.sort()) {
    const shown = path.relative(root, file);
    try {
      reports.push(
        await readReport(file, shown, { resolver, overrides, sourceRoots, map, notes, readSource }),
      );
    } catch (error) {
      // Say which report, as the repository knows it, not the runner's absolute path.
      if (error instanceof CoverageError) throw new CoverageError(error.message.split(file).join(shown));
      throw error;
    }
  }
  if (resolver.unmatched.size > 0) {
    const listed = [...resolver.unmatched].slice(0, 10).join(', ');
    const suggestion = resolver.suggestPathMap();
    throw new CoverageError(
      `${resolver.unmatched.size} file(s) in the reports match nothing in the repository: ${listed}${resolver.unmatched.size > 10 ? ', …' : ''}. ` +
        (suggestion
          ? `A path-map entry in the config file would fix them: path-map: { ${suggestion} }`
          : 'Add a path-map entry in the config file that rewrites their prefix to a repository path.'),
    );
  }
  const warnings = dropLinesPastEnd(map, readSource);
  return { map, reports, notes: notes.map((note) => note.split(root + path.sep).join('')), warnings };
}

/** How many lines a text has: a last line without its line end counts; an empty text has none. */
export function lineCount(text: string): number {
  if (text === '') return 0;
  let count = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) count++;
  return text.endsWith('\n') ? count : count + 1;
}

/**
 * Lines a report claims past the end of its source file cannot exist and must not raise coverage
 * (a stale report, or a generated file's line numbers): dropped, with a warning per file, when the
 * source is in the repository; so are Go blocks that end past it.
 */
export function dropLinesPastEnd(
  map: CoverageMap,
  readSource: (file: string) => string | undefined,
): string[] {
  const warnings: string[] = [];
  for (const file of map.values()) {
    const source = readSource(file.path);
    if (source === undefined) continue;
    const last = lineCount(source);
    const dropped = file.units.dropPast(last);
    if (dropped.length === 0) continue;
    const sorted = [...new Set(dropped)].sort((a, b) => a - b);
    const shown =
      sorted.length > 5 ? `${sorted.slice(0, 5).join(', ')}, … (${sorted.length} in all)` : sorted.join(', ');
    warnings.push(
      `${file.path} has ${last} line${last === 1 ? '' : 's'}, but the reports count line${sorted.length === 1 ? '' : 's'} ${shown}: not counted (is a report older than the source?)`,
    );
  }
  return warnings;
}

interface ReadContext {
  resolver: PathResolver;
  overrides: (readonly [(path: string) => boolean, Format])[];
  sourceRoots: string[];
  map: CoverageMap;
  notes: string[];
  /** A repository file's text, undefined when it cannot be read. */
  readSource: (file: string) => string | undefined;
}

/** One report into the map, by its format (detected, or named in the config). */
async function readReport(
  file: string,
  shown: string,
  { resolver, overrides, sourceRoots, map, notes, readSource }: ReadContext,
): Promise<{ file: string; format: string }> {
  const relative = shown.split(path.sep).join('/');
  const format = overrides.find(([matches]) => matches(relative))?.[1] ?? detectFormat(file);
  if (format === 'lcov') await parseLcov(file, map, (reported) => resolver.resolve(reported));
  else if (format === 'go') await parseGoProfile(file, map, (reported) => resolver.resolve(reported));
  else if (format === 'cobertura')
    await parseCobertura(file, map, (reported, sources) => resolver.resolve(reported, sources));
  else if (format === 'jacoco')
    await parseJacoco(file, map, (reported) => resolver.resolve(reported, sourceRoots));
  else if (format === 'clover') await parseClover(file, map, (reported) => resolver.resolve(reported));
  else {
    const document = readJson(file);
    if (document.files && typeof document.files === 'object' && document.meta)
      notes.push(
        ...parseCoveragePyJson(file, document, map, (reported) => resolver.resolve(reported), readSource),
      );
    else if ('total' in document)
      parseIstanbulSummary(file, document, map, (reported) => resolver.resolve(reported));
    else if (
      Object.values(document).every(
        (entry) => entry && typeof entry === 'object' && 'statementMap' in (entry as object),
      )
    )
      parseIstanbulFinal(file, document, map, (reported) => resolver.resolve(reported));
    else
      throw new CoverageError(
        `${shown}: JSON, but neither coverage.py JSON nor Istanbul coverage-final/summary`,
      );
    return {
      file: shown,
      format:
        'files' in document ? 'coverage.py json' : 'total' in document ? 'istanbul summary' : 'istanbul json',
    };
  }
  return { file: shown, format };
}
