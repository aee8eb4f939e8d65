/** Report paths → repository paths: path-map rewrites, Cobertura sources, Go import paths via go.mod. */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { isInside } from '../../../packages/shared/src/workspace.js';
import path from 'node:path';
import fg from 'fast-glob';
import { CoverageError, ownCopy } from './model.js';

export interface GoModule {
  module: string;
  /** Directory of go.mod, relative to the root ('' for the root). */
  dir: string;
}

export function findGoModules(root: string): GoModule[] {
  return fg
    .sync('**/go.mod', { cwd: root, ignore: ['**/node_modules/**', '**/vendor/**'], dot: false })
    .map((file) => {
      const module = /^module\s+(\S+)/m.exec(readFileSync(path.join(root, file), 'utf8'))?.[1];
      return module
        ? { module, dir: path.posix.dirname(file) === '.' ? '' : path.posix.dirname(file) }
        : undefined;
    })
    .filter((entry): entry is GoModule => entry !== undefined)
    .sort((a, b) => b.module.length - a.module.length);
}

export class PathResolver {
  readonly unmatched = new Set<string>();
  /** Answers already found: a Go profile names its file once per block, a million times in a big one. */
  private readonly resolved = new Map<string, string>();

  constructor(
    private readonly root: string,
    private readonly pathMap: [string, string][],
    private readonly goModules: GoModule[] = [],
    /** Nothing a report names is counted outside it (symlinks followed). */
    private readonly workspace: string = root,
  ) {}

  /** A repository-relative POSIX path; reported paths that exist nowhere are remembered as unmatched. */
  resolve(reported: string, sources: string[] = []): string {
    const key = sources.length === 0 ? reported : `${reported}\0${sources.join('\0')}`;
    let answer = this.resolved.get(key);
    if (answer === undefined)
      this.resolved.set(ownCopy(key), (answer = ownCopy(this.find(reported, sources))));
    return answer;
  }

  private find(reported: string, sources: string[]): string {
    const mapped = this.applyPathMap(reported.replace(/\\/g, '/'));
    const candidates: string[] = [];
    if (path.isAbsolute(mapped)) {
      const relative = path.relative(this.root, mapped);
      if (relative.startsWith('..') || path.isAbsolute(relative)) {
        throw new CoverageError(
          `'${reported}' is an absolute path outside the workspace (${this.root}); add a path-map entry that rewrites its prefix`,
        );
      }
      candidates.push(relative);
    } else {
      candidates.push(mapped);
      for (const source of sources) {
        const base = path.isAbsolute(source) ? path.relative(this.root, source) : source;
        if (!base.startsWith('..')) candidates.push(path.join(base, mapped));
      }
      for (const go of this.goModules) {
        if (mapped === go.module || mapped.startsWith(`${go.module}/`))
          candidates.unshift(path.posix.join(go.dir, mapped.slice(go.module.length + 1)));
      }
    }
    const normalized = candidates.map((candidate) =>
      path.posix.normalize(candidate.replace(/\\/g, '/')).replace(/^\.\//, ''),
    );
    const found = normalized.find((candidate) => existsSync(path.join(this.root, candidate)));
    const outside = this.outsideWorkspace(path.join(this.root, found ?? normalized[0]!));
    if (outside)
      throw new CoverageError(
        `'${reported}' names ${outside}, outside the workspace (${this.workspace}); a report may only count files of the repository`,
      );
    if (!found) this.unmatched.add(reported);
    return found ?? normalized[0]!;
  }

  /** The real path of a file outside the workspace, or undefined when it is inside (or does not exist). */
  private outsideWorkspace(file: string): string | undefined {
    const resolved = path.resolve(file);
    if (!isInside(this.workspace, resolved)) return resolved;
    if (!existsSync(resolved)) return undefined;
    const real = realpathSync(resolved);
    return isInside(this.workspace, real) ? undefined : real;
  }

  private applyPathMap(reported: string): string {
    for (const [from, to] of this.pathMap)
      if (reported.startsWith(from)) return to + reported.slice(from.length);
    return reported;
  }

  /** A path-map entry that would make the first unmatched path exist, when one can be found. */
  suggestPathMap(): string | undefined {
    const first = [...this.unmatched][0];
    if (!first) return undefined;
    const segments = first.replace(/\\/g, '/').split('/');
    for (let cut = 1; cut < segments.length; cut++) {
      const rest = segments.slice(cut).join('/');
      if (existsSync(path.join(this.root, rest))) return `'${segments.slice(0, cut).join('/')}/': ''`;
    }
    return undefined;
  }
}
