/** Image tags: the commit, and on a branch the branch name made tag-safe. */

/** Docker tags: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`. */
export function tagSafe(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[.-]+/, '');
  return (safe || 'branch').slice(0, 128);
}

/**
 * The commit SHA, plus the branch (tag-safe) when the repository lets tags move. An immutable
 * repository would refuse the second push of a branch tag, so there the commit alone is used.
 */
export function defaultTags(env: NodeJS.ProcessEnv, mutable: boolean): { tags: string[]; notice?: string } {
  const sha = env.GITHUB_SHA;
  const tags = sha ? [sha] : [];
  const branch = env.GITHUB_REF_TYPE === 'branch' ? env.GITHUB_REF_NAME : undefined;
  if (branch && mutable) tags.push(tagSafe(branch));
  const notice =
    branch && !mutable
      ? `The repository has immutable tags, so the moving branch tag '${tagSafe(branch)}' was not added`
      : undefined;
  return { tags, notice };
}
