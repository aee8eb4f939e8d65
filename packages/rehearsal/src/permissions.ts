/**
 * The GITHUB_TOKEN's scopes as GitHub computes them for a job: the job's `permissions`, else the
 * workflow's, else the repository default (restricted: contents and packages read, GitHub's default
 * for new repositories and organisations). A called workflow never gets more than the calling job:
 * a nested job asking for more is refused, in GitHub's words, before it starts.
 */
import type { Json } from './expressions.js';

export type Level = 'none' | 'read' | 'write';
export type Permissions = Record<string, Level>;

export const SCOPES = [
  'actions',
  'attestations',
  'checks',
  'contents',
  'deployments',
  'discussions',
  'id-token',
  'issues',
  'models',
  'packages',
  'pages',
  'pull-requests',
  'repository-projects',
  'security-events',
  'statuses',
] as const;

const RANK: Record<Level, number> = { none: 0, read: 1, write: 2 };

const all = (level: Level): Permissions =>
  Object.fromEntries(
    SCOPES.map((scope) => [scope, scope === 'id-token' && level === 'read' ? 'none' : level]),
  );

/** The repository's default when no `permissions` are written anywhere ("Read repository contents"). */
export const RESTRICTED_DEFAULT: Permissions = { ...all('none'), contents: 'read', packages: 'read' };

/** A `permissions:` value as written (`read-all`, `write-all`, `{}` or a mapping); undefined when absent. */
export function permissionsOf(value: Json | undefined): Permissions | undefined {
  if (value === null || value === undefined) return undefined;
  if (value === 'read-all') return all('read');
  if (value === 'write-all') return all('write');
  if (typeof value !== 'object' || Array.isArray(value)) return undefined;
  const permissions = all('none');
  for (const [scope, level] of Object.entries(value))
    if (level === 'read' || level === 'write' || level === 'none') permissions[scope] = level;
  return permissions;
}

/**
 * A job's token scopes: its own, else its workflow's, else what a calling job passes down (or the
 * repository default). Returns GitHub's refusal when a nested job asks for more than its caller has.
 */
export function jobPermissions(
  jobId: string,
  own: Permissions | undefined,
  workflow: Permissions | undefined,
  caller: Permissions | undefined,
): { permissions: Permissions } | { refused: string } {
  const asked = own ?? workflow;
  if (!caller) return { permissions: asked ?? RESTRICTED_DEFAULT };
  if (!asked) return { permissions: caller };
  for (const scope of Object.keys(asked)) {
    const wanted = asked[scope]!;
    const allowed = caller[scope] ?? 'none';
    if (RANK[wanted] > RANK[allowed])
      return {
        refused: `The nested job '${jobId}' is requesting '${scope}: ${wanted}', but is only allowed '${scope}: ${allowed}'.`,
      };
  }
  return { permissions: asked };
}

/** Whether `permissions` reach `level` on `scope`. */
export function allows(permissions: Permissions, scope: string, level: 'read' | 'write'): boolean {
  return RANK[permissions[scope] ?? 'none'] >= RANK[level];
}
