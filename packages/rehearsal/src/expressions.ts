/**
 * `${{ }}` as GitHub evaluates it, with GitHub's own evaluator (@actions/expressions): the contexts
 * of a job (github, env, vars, secrets, inputs, needs, matrix, strategy, steps, job, runner, jobs)
 * and the status functions, which depend on where the expression stands.
 */
import { Evaluator, Lexer, Parser, data } from '@actions/expressions';
import {
  isBasicExpression,
  isBoolean,
  isMapping,
  isNumber,
  isSequence,
  isString,
} from '@actions/workflow-parser';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The named contexts an expression can read; a missing one reads as null, as on GitHub. */
export type Contexts = Partial<Record<ContextName, Json>>;
export const CONTEXT_NAMES = [
  'github',
  'env',
  'vars',
  'secrets',
  'inputs',
  'needs',
  'matrix',
  'strategy',
  'steps',
  'job',
  'jobs',
  'runner',
] as const;
export type ContextName = (typeof CONTEXT_NAMES)[number];

/**
 * What the status functions answer where the expression stands: in a job's `if`, of the jobs it
 * needs (success: all of them succeeded); in a step's, of the steps before it.
 */
export interface Status {
  success: boolean;
  failure: boolean;
  cancelled: boolean;
}

export class ExpressionError extends Error {
  constructor(expression: string, cause: string) {
    super(`\${{ ${expression} }}: ${cause}`);
    this.name = 'ExpressionError';
  }
}

const toData = (value: Json | undefined): data.ExpressionData =>
  JSON.parse(JSON.stringify(value ?? null), data.reviver) as data.ExpressionData;
const fromData = (value: data.ExpressionData): Json =>
  JSON.parse(JSON.stringify(value, data.replacer)) as Json;

function statusFunctions(status: Status) {
  const flag = (name: string, answer: () => boolean) => ({
    name,
    minArgs: 0,
    maxArgs: 0,
    call: () => new data.BooleanData(answer()),
  });
  return [
    flag('success', () => status.success && !status.cancelled),
    flag('failure', () => status.failure && !status.cancelled),
    flag('cancelled', () => status.cancelled),
    flag('always', () => true),
  ];
}

/** Evaluates one expression (without `${{ }}`) to a JSON value. */
export function evaluate(expression: string, contexts: Contexts, status: Status = NO_FAILURE): Json {
  const functions = statusFunctions(status);
  try {
    const lexed = new Lexer(expression).lex();
    const parsed = new Parser(lexed.tokens, [...CONTEXT_NAMES], functions).parse();
    const context = new data.Dictionary(
      ...CONTEXT_NAMES.map((name) => ({ key: name, value: toData(contexts[name] ?? null) })),
    );
    const result = new Evaluator(parsed, context, new Map(functions.map((fn) => [fn.name, fn]))).evaluate();
    return fromData(result);
  } catch (error) {
    throw new ExpressionError(expression, error instanceof Error ? error.message : String(error));
  }
}

export const NO_FAILURE: Status = { success: true, failure: false, cancelled: false };

/** GitHub's truthiness: false, 0, '', null are false; everything else is true. */
export function truthy(value: Json): boolean {
  return !(value === false || value === 0 || value === '' || value === null);
}

/** A token of the workflow file, expressions evaluated, as a JSON value. */
export function evaluateToken(
  token: TemplateToken | undefined,
  contexts: Contexts,
  status = NO_FAILURE,
): Json {
  if (!token) return null;
  if (isBasicExpression(token)) return evaluate(token.expression, contexts, status);
  if (isString(token)) return token.value;
  if (isNumber(token)) return token.value;
  if (isBoolean(token)) return token.value;
  if (isSequence(token)) return [...token].map((item) => evaluateToken(item, contexts, status));
  if (isMapping(token)) {
    const object: Record<string, Json> = {};
    for (const pair of token)
      object[String(evaluateToken(pair.key, contexts, status))] = evaluateToken(pair.value, contexts, status);
    return object;
  }
  return null;
}

/** As the runner passes a value to a step: text, with objects as JSON. */
export function asText(value: Json): string {
  if (value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** A mapping token (env:, with:) as text values. */
export function evaluateMapping(
  token: TemplateToken | undefined,
  contexts: Contexts,
  status = NO_FAILURE,
): Record<string, string> {
  const value = evaluateToken(token, contexts, status);
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new Error(`expected a mapping, got ${JSON.stringify(value)}`);
  return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, asText(entry)]));
}
