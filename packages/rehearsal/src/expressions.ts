/**
 * `${{ }}` as GitHub evaluates it, with GitHub's own evaluator (@actions/expressions): the contexts
 * of a job (github, env, vars, secrets, inputs, needs, matrix, strategy, steps, job, runner, jobs)
 * and the status functions, which depend on where the expression stands.
 */
import { Evaluator, Lexer, Parser, data } from '@actions/expressions';
import { TokenType } from '@actions/expressions/lexer';
import {
  isBasicExpression,
  isBoolean,
  isMapping,
  isNumber,
  isSequence,
  isString,
} from '@actions/workflow-parser';
import type { BasicExpressionToken } from '@actions/workflow-parser/templates/tokens/basic-expression-token';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
import { parse as parseYaml } from 'yaml';

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

/**
 * Contexts whose reads of an unset name are reported (vars, secrets): GitHub reads them as '' and
 * says nothing; the rehearsal says which names a run read without their being set.
 */
const unsetReaders = new WeakMap<object, (name: string) => void>();

export function reportUnsetReads<T extends Record<string, string>>(
  values: T,
  onUnset: (name: string) => void,
): T {
  unsetReaders.set(values, onUnset);
  return values;
}

/** A dictionary that tells its reader about every name it does not hold. */
class ReportingDictionary extends data.Dictionary {
  constructor(
    private readonly onUnset: (name: string) => void,
    ...pairs: { key: string; value: data.ExpressionData }[]
  ) {
    super(...pairs);
  }

  override get(key: string): data.ExpressionData | undefined {
    const found = super.get(key);
    if (found === undefined) this.onUnset(key);
    return found;
  }
}

function contextData(value: Json | undefined): data.ExpressionData {
  const onUnset =
    value && typeof value === 'object' && !Array.isArray(value) ? unsetReaders.get(value) : undefined;
  if (!onUnset) return toData(value);
  return new ReportingDictionary(
    onUnset,
    ...Object.entries(value as Record<string, Json>).map(([key, item]) => ({ key, value: toData(item) })),
  );
}

/** Evaluates one expression (without `${{ }}`) to a JSON value. */
export function evaluate(expression: string, contexts: Contexts, status: Status = NO_FAILURE): Json {
  const functions = statusFunctions(status);
  try {
    const lexed = new Lexer(expression).lex();
    // The lexer unescapes only the first '' of a string literal; GitHub unescapes every one.
    for (const token of lexed.tokens)
      if (token.type === TokenType.STRING) token.value = token.lexeme.slice(1, -1).replaceAll("''", "'");
    const parsed = new Parser(lexed.tokens, [...CONTEXT_NAMES], functions).parse();
    const context = new data.Dictionary(
      ...CONTEXT_NAMES.map((name) => ({ key: name, value: contextData(contexts[name] ?? null) })),
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
  if (isBasicExpression(token))
    return evaluate(blockScalarExpression(token) ?? token.expression, contexts, status);
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

/**
 * A block scalar (`|`, `>`) with `${{ }}` in it, as GitHub reads it: the parser builds its format()
 * from the scalar's source lines, indentation included, where GitHub formats the YAML value (the
 * lines without their indentation, folded and chomped as the header says). Undefined for any other
 * expression, or if the value does not hold the same expressions.
 */
function blockScalarExpression(token: BasicExpressionToken): string | undefined {
  const header = token.blockScalarHeader;
  if (!header || token.source === undefined || !token.originalExpressions) return undefined;
  // An indentation indicator counts from the parent's indentation, which the source does not show;
  // without it the indentation is the first line's, the same for any block that starts at it.
  const value: unknown = parseYaml(`value: ${header.replace(/[0-9]/g, '')}\n${token.source}`)?.value;
  if (typeof value !== 'string') return undefined;
  const format: string[] = [];
  const args: string[] = [];
  let rest = value;
  for (let open = rest.indexOf('${{'); open >= 0; open = rest.indexOf('${{')) {
    const close = expressionEnd(rest, open + 3);
    if (close < 0) return undefined;
    format.push(escapeFormat(rest.slice(0, open)), `{${args.length}}`);
    args.push(rest.slice(open + 3, close).trim());
    rest = rest.slice(close + 2);
  }
  format.push(escapeFormat(rest));
  const original = token.originalExpressions.map((expression) => expression.expression.trim());
  if (args.join('\n') !== original.join('\n')) return undefined;
  return `format('${format.join('')}'${args.map((arg) => `, ${arg}`).join('')})`;
}

/** Where the `}}` that closes an expression stands, outside its quoted strings; -1 if none. */
function expressionEnd(text: string, from: number): number {
  let quoted = false;
  for (let i = from; i < text.length - 1; i++) {
    if (text[i] === "'") quoted = !quoted;
    else if (!quoted && text[i] === '}' && text[i + 1] === '}') return i;
  }
  return -1;
}

const escapeFormat = (text: string) => text.replace(/'/g, "''").replace(/\{/g, '{{').replace(/\}/g, '}}');

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
