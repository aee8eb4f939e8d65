/** `strategy.matrix` expanded as GitHub expands it: the product, minus `exclude`, with `include` merged. */
import type { Json } from './expressions.js';

export type Combination = Record<string, Json>;

export interface Strategy {
  combinations: Combination[];
  failFast: boolean;
  maxParallel: number;
}

const isObject = (value: Json): value is Record<string, Json> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const same = (a: Json | undefined, b: Json | undefined) => JSON.stringify(a) === JSON.stringify(b);

/** The legs of a job; a job without a matrix has one leg with no matrix values. */
export function expandStrategy(strategy: Json): Strategy {
  if (strategy === null) return { combinations: [{}], failFast: true, maxParallel: Infinity };
  if (!isObject(strategy)) throw new Error(`strategy must be a mapping, got ${JSON.stringify(strategy)}`);
  const failFast = strategy['fail-fast'] === undefined ? true : strategy['fail-fast'] !== false;
  const maxParallel = typeof strategy['max-parallel'] === 'number' ? strategy['max-parallel'] : Infinity;
  const matrix = strategy.matrix ?? null;
  if (matrix === null) return { combinations: [{}], failFast, maxParallel };
  if (!isObject(matrix)) throw new Error(`strategy.matrix must be a mapping, got ${JSON.stringify(matrix)}`);
  return { combinations: expandMatrix(matrix), failFast, maxParallel };
}

export function expandMatrix(matrix: Record<string, Json>): Combination[] {
  const { include = [], exclude = [], ...dimensions } = matrix;
  let combinations: Combination[] = [{}];
  for (const [key, values] of Object.entries(dimensions)) {
    if (!Array.isArray(values))
      throw new Error(`matrix.${key} must be a list, got ${JSON.stringify(values)}`);
    combinations = combinations.flatMap((combination) =>
      values.map((value) => ({ ...combination, [key]: value })),
    );
  }
  if (Object.keys(dimensions).length === 0) combinations = [];
  const excluded = (combination: Combination) =>
    (Array.isArray(exclude) ? exclude : []).some(
      (rule) => isObject(rule) && Object.entries(rule).every(([key, value]) => same(combination[key], value)),
    );
  const base = combinations.filter((combination) => !excluded(combination));
  const originalKeys = Object.keys(dimensions);
  const result = base.map((combination) => ({ ...combination }));
  for (const extra of Array.isArray(include) ? include : []) {
    if (!isObject(extra)) continue;
    // An include joins every combination whose original values it does not overwrite.
    let joined = false;
    for (const [index, combination] of result.entries()) {
      const original = base[index];
      const conflicts = Object.entries(extra).some(
        ([key, value]) => originalKeys.includes(key) && original !== undefined && !same(original[key], value),
      );
      if (original !== undefined && !conflicts) {
        Object.assign(combination, extra);
        joined = true;
      }
    }
    if (!joined) result.push({ ...extra });
  }
  return result.length > 0 ? result : [{}];
}

/** How a leg is named in the log: `deploy (svc-portal)`. */
export function legName(job: string, combination: Combination): string {
  const values = Object.values(combination).map((value) =>
    isObject(value) && typeof value.name === 'string'
      ? value.name
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value),
  );
  return values.length > 0 ? `${job} (${values.join(', ')})` : job;
}
