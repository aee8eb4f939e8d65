/**
 * The workspace is the boundary: a path an input names, or a report names, resolves inside
 * GITHUB_WORKSPACE (symlinks followed) or is refused, naming the input. An action never reads or
 * writes elsewhere because someone wrote `../../etc/passwd`.
 */
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { InputError } from './errors.js';

export function workspaceRoot(env: NodeJS.ProcessEnv = process.env): string {
  return realpathSync(path.resolve(env.GITHUB_WORKSPACE ?? process.cwd()));
}

/** The real path of `target`, or of its nearest existing parent joined with the rest (a file to be written). */
function realPath(target: string): string {
  let existing = target;
  const rest: string[] = [];
  while (!existsSync(existing)) {
    const parent = path.dirname(existing);
    if (parent === existing) break;
    rest.unshift(path.basename(existing));
    existing = parent;
  }
  return path.join(realpathSync(existing), ...rest);
}

export function isInside(root: string, target: string): boolean {
  const relative = path.relative(root, target);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * `value` (relative to `base`, default the workspace) as a real absolute path inside the
 * workspace; an InputError naming `input` when it leads outside.
 */
export function inWorkspace(
  input: string,
  value: string,
  options: { base?: string; root?: string; example?: string } = {},
): string {
  const root = options.root ?? workspaceRoot();
  const resolved = realPath(path.resolve(options.base ?? root, value));
  if (!isInside(root, resolved))
    throw new InputError(
      input,
      `'${value}' resolves to ${resolved}, outside the workspace (${root}); name a path inside the repository`,
      options.example ?? 'coverage/lcov.info',
    );
  return resolved;
}
