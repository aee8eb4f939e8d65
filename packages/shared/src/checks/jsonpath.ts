/**
 * The JSONPath subset checks use: `$`, `.name`, `['name']`, `[0]`, `[-1]`, `[*]`, `.*` and `..name`
 * (any depth). Parsed once, before any request, so a malformed path fails early.
 */
export type Segment =
  | { kind: 'child'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'wildcard' }
  | { kind: 'descendant'; name: string };

export class JsonPathError extends Error {}

export function parseJsonPath(path: string): Segment[] {
  if (!path.startsWith('$')) throw new JsonPathError(`'${path}' must start with $`);
  const segments: Segment[] = [];
  let position = 1;
  const rest = () => path.slice(position);
  while (position < path.length) {
    let match: RegExpExecArray | null;
    if ((match = /^\.\.([A-Za-z_$][\w$-]*)/.exec(rest())))
      segments.push({ kind: 'descendant', name: match[1]! });
    else if ((match = /^\.([A-Za-z_$][\w$-]*)/.exec(rest())))
      segments.push({ kind: 'child', name: match[1]! });
    else if ((match = /^\.\*|^\[\*\]/.exec(rest()))) segments.push({ kind: 'wildcard' });
    else if ((match = /^\[(-?\d+)\]/.exec(rest()))) segments.push({ kind: 'index', index: Number(match[1]) });
    else if ((match = /^\[(?:'([^']*)'|"([^"]*)")\]/.exec(rest())))
      segments.push({ kind: 'child', name: match[1] ?? match[2]! });
    else
      throw new JsonPathError(
        `'${path}' is not a JSONPath this action understands at '${rest()}' (use $.a.b, $['a'], $[0], $[*], $..a)`,
      );
    position += match[0].length;
  }
  return segments;
}

/** Every value the path selects (empty when nothing matches). */
export function queryJsonPath(document: unknown, segments: Segment[]): unknown[] {
  let current: unknown[] = [document];
  for (const segment of segments) {
    const next: unknown[] = [];
    for (const value of current) {
      if (segment.kind === 'child') {
        if (isObject(value) && segment.name in value) next.push(value[segment.name]);
      } else if (segment.kind === 'index') {
        if (Array.isArray(value)) {
          const index = segment.index < 0 ? value.length + segment.index : segment.index;
          if (index >= 0 && index < value.length) next.push(value[index]);
        }
      } else if (segment.kind === 'wildcard') {
        if (Array.isArray(value)) next.push(...value);
        else if (isObject(value)) next.push(...Object.values(value));
      } else {
        collectDescendants(value, segment.name, next);
      }
    }
    current = next;
  }
  return current;
}

function collectDescendants(value: unknown, name: string, out: unknown[]): void {
  if (Array.isArray(value)) {
    for (const item of value) collectDescendants(item, name, out);
  } else if (isObject(value)) {
    if (name in value) out.push(value[name]);
    for (const item of Object.values(value)) collectDescendants(item, name, out);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
