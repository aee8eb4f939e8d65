/** The check list: parsed, variables substituted and every key validated before any request. */
import { parse as parseYaml } from 'yaml';
import { parseDuration } from '../duration.js';
import { SECRET_NAME, urlSecrets } from '../secrets.js';
import { InputError } from '../errors.js';
import { JsonPathError, parseJsonPath, type Segment } from './jsonpath.js';

export type StatusMatcher = { codes: number[]; ranges: number[]; not: boolean };
export interface TextMatcher {
  equals?: string;
  contains?: string;
  matches?: RegExp;
  exists?: boolean;
  not: boolean;
}
export interface JsonMatcher {
  path: string;
  segments: Segment[];
  equals?: unknown;
  contains?: unknown;
  matches?: RegExp;
  exists?: boolean;
  type?: 'string' | 'number' | 'boolean' | 'object' | 'array' | 'null';
  count?: { eq?: number; gt?: number; gte?: number; lt?: number; lte?: number };
  not: boolean;
}

export interface Expectations {
  status: StatusMatcher;
  headers: { name: string; matcher: TextMatcher }[];
  json: JsonMatcher[];
  body?: TextMatcher;
  maxLatencyMs?: number;
  p95Ms?: number;
  tlsDaysLeft?: number;
}

export interface Check {
  name: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  /** Lower-case names of headers whose values are secret (always Authorization and Cookie). */
  secretHeaders: Set<string>;
  body?: string;
  samples: number;
  expect: Expectations;
}

export interface CheckDefaults {
  baseUrl?: string;
  hostHeader?: string;
  vars: Map<string, string>;
}

const CHECK_KEYS = ['name', 'method', 'path', 'url', 'headers', 'body', 'json', 'expect', 'samples'];
const EXPECT_KEYS = ['status', 'headers', 'json', 'body', 'max-latency', 'p95', 'tls-days-left'];
const TEXT_KEYS = ['equals', 'contains', 'matches', 'exists', 'not'];
const JSON_KEYS = ['equals', 'contains', 'matches', 'exists', 'type', 'count', 'not'];
const COUNT_KEYS = ['eq', 'gt', 'gte', 'lt', 'lte'];
const TYPES = ['string', 'number', 'boolean', 'object', 'array', 'null'];
const ALWAYS_SECRET = new Set(['authorization', 'cookie', 'proxy-authorization', 'x-api-key']);
/** RFC 9110 tokens, and the field-value characters Node sends (no CR, LF or NUL: no header injection). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const EXAMPLE = '- name: health\n  path: /health\n  expect:\n    status: 200';

/** Parses checks from YAML or JSON text; `input` names where they came from in errors. */
export function parseChecks(text: string, input: string, defaults: CheckDefaults): Check[] {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new InputError(
      input,
      `is not valid YAML or JSON (${(error as Error).message.split('\n')[0]})`,
      EXAMPLE,
    );
  }
  const list = Array.isArray(document)
    ? document
    : isObject(document) && Array.isArray(document.checks)
      ? document.checks
      : isObject(document)
        ? [document]
        : undefined;
  if (!list || list.length === 0)
    throw new InputError(input, 'has no checks: give a list of checks', EXAMPLE);
  const checks = list.map((raw, index) => parseCheck(raw, index, input, defaults));
  const names = new Set<string>();
  for (const check of checks) {
    if (names.has(check.name))
      throw new InputError(input, `has two checks named '${check.name}'; names must be unique`, EXAMPLE);
    names.add(check.name);
  }
  return checks;
}

function parseCheck(raw: unknown, index: number, input: string, defaults: CheckDefaults): Check {
  if (!isObject(raw)) throw new InputError(input, `check ${index + 1} is not a mapping`, EXAMPLE);
  const substituted = substitute(raw, defaults.vars, input, `check ${index + 1}`) as Record<string, unknown>;
  const name =
    typeof substituted.name === 'string' && substituted.name
      ? substituted.name
      : String(substituted.path ?? substituted.url ?? `check ${index + 1}`);
  const fail = (problem: string): never => {
    throw new InputError(input, `check '${name}': ${problem}`, EXAMPLE);
  };
  unknownKeys(substituted, CHECK_KEYS, fail, 'check');
  if (substituted.body !== undefined && substituted.json !== undefined) fail('give body or json, not both');
  const url = resolveUrl(substituted, defaults, fail);
  const headers: Record<string, string> = {};
  const secretHeaders = new Set<string>();
  if (defaults.hostHeader) headers.host = defaults.hostHeader;
  if (substituted.headers !== undefined) {
    if (!isObject(substituted.headers)) fail("'headers' must map names to values");
    for (const [header, value] of Object.entries(substituted.headers as Record<string, unknown>)) {
      if (!HEADER_NAME.test(header))
        fail(
          `header name '${header}' is not a valid HTTP header name (letters, digits and !#$%&'*+.^_\`|~-, no spaces)`,
        );
      if (isObject(value)) {
        unknownKeys(value, ['value', 'secret'], fail, `header '${header}'`);
        headers[header.toLowerCase()] = String(value.value ?? '');
        if (value.secret === true) secretHeaders.add(header.toLowerCase());
      } else {
        headers[header.toLowerCase()] = String(value);
      }
      // Secret by name too (X-Auth-Token, X-Session-Id, …): a header that says it is secret is one.
      if (ALWAYS_SECRET.has(header.toLowerCase()) || SECRET_NAME.test(header))
        secretHeaders.add(header.toLowerCase());
    }
  }
  for (const [header, value] of Object.entries(headers))
    if (!HEADER_VALUE.test(value))
      fail(
        `header '${header}' has a line break or another character HTTP forbids in a header value (after vars are substituted); a header value is one line of text`,
      );
  let body: string | undefined;
  if (substituted.json !== undefined) {
    body = JSON.stringify(substituted.json);
    headers['content-type'] ??= 'application/json';
  } else if (substituted.body !== undefined) {
    body = String(substituted.body);
  }
  const samples = substituted.samples === undefined ? 1 : Number(substituted.samples);
  if (!Number.isInteger(samples) || samples < 1 || samples > 1000)
    fail(`'samples' must be a whole number from 1 to 1000; got ${String(substituted.samples)}`);
  const method = String(substituted.method ?? 'GET').toUpperCase();
  if (!/^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)$/.test(method))
    fail(`'method' ${method} is not an HTTP method`);
  const expectations = parseExpectations(substituted.expect, fail);
  if (expectations.tlsDaysLeft !== undefined && !url.startsWith('https:'))
    fail("'tls-days-left' needs an https URL");
  return { name, method, url, headers, secretHeaders, body, samples, expect: expectations };
}

function resolveUrl(
  raw: Record<string, unknown>,
  defaults: CheckDefaults,
  fail: (problem: string) => never,
): string {
  if (raw.url !== undefined && raw.path !== undefined) fail('give path or url, not both');
  let text: string;
  if (raw.url !== undefined) text = String(raw.url);
  else if (raw.path !== undefined) {
    if (!defaults.baseUrl) fail(`'path' ${String(raw.path)} needs the base-url input (or give a full url)`);
    const path = String(raw.path);
    text = defaults.baseUrl!.replace(/\/$/, '') + (path.startsWith('/') ? path : `/${path}`);
  } else if (defaults.baseUrl) text = defaults.baseUrl;
  else return fail('has neither path nor url');
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return fail(`'${text}' is not a valid URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') fail(`'${text}' must be http or https`);
  return parsed.toString();
}

function parseExpectations(raw: unknown, fail: (problem: string) => never): Expectations {
  const expectations: Expectations = {
    status: { codes: [], ranges: [2], not: false },
    headers: [],
    json: [],
  };
  if (raw === undefined) return expectations;
  if (!isObject(raw)) return fail("'expect' must be a mapping");
  unknownKeys(raw, EXPECT_KEYS, fail, 'expect');
  if (raw.status !== undefined) expectations.status = parseStatus(raw.status, fail);
  if (raw.headers !== undefined) {
    if (!isObject(raw.headers)) fail("'expect.headers' must map header names to matchers");
    for (const [name, value] of Object.entries(raw.headers as Record<string, unknown>)) {
      expectations.headers.push({
        name: name.toLowerCase(),
        matcher: parseText(value, fail, `expect.headers.${name}`),
      });
    }
  }
  if (raw.json !== undefined) {
    if (!isObject(raw.json)) fail("'expect.json' must map JSONPaths to matchers");
    for (const [path, value] of Object.entries(raw.json as Record<string, unknown>))
      expectations.json.push(parseJson(path, value, fail));
  }
  if (raw.body !== undefined) expectations.body = parseText(raw.body, fail, 'expect.body', 'contains');
  if (raw['max-latency'] !== undefined)
    expectations.maxLatencyMs = duration(raw['max-latency'], 'expect.max-latency', fail);
  if (raw.p95 !== undefined) expectations.p95Ms = duration(raw.p95, 'expect.p95', fail);
  if (raw['tls-days-left'] !== undefined) {
    const days = Number(raw['tls-days-left']);
    if (!Number.isInteger(days) || days < 0)
      fail(`'expect.tls-days-left' must be a whole number of days; got ${String(raw['tls-days-left'])}`);
    expectations.tlsDaysLeft = days;
  }
  return expectations;
}

function parseStatus(raw: unknown, fail: (problem: string) => never): StatusMatcher {
  let not = false;
  let value = raw;
  if (isObject(raw)) {
    unknownKeys(raw, ['is', 'not'], fail, 'expect.status');
    if (raw.not !== undefined && typeof raw.not !== 'boolean') {
      value = raw.not;
      not = true;
    } else {
      value = raw.is;
      not = raw.not === true;
    }
  }
  const items = Array.isArray(value) ? value : [value];
  const matcher: StatusMatcher = { codes: [], ranges: [], not };
  for (const item of items) {
    const text = String(item);
    if (/^[1-5]\d\d$/.test(text)) matcher.codes.push(Number(text));
    else if (/^[1-5]xx$/i.test(text)) matcher.ranges.push(Number(text[0]));
    else fail(`'expect.status' ${text} is not a status code (200), a range (2xx) or a list of them`);
  }
  return matcher;
}

function parseText(
  raw: unknown,
  fail: (problem: string) => never,
  where: string,
  plain: 'equals' | 'contains' = 'equals',
): TextMatcher {
  if (!isObject(raw)) return { [plain]: String(raw), not: false };
  unknownKeys(raw, TEXT_KEYS, fail, where);
  return {
    equals: raw.equals === undefined ? undefined : String(raw.equals),
    contains: raw.contains === undefined ? undefined : String(raw.contains),
    matches: raw.matches === undefined ? undefined : regex(raw.matches, `${where}.matches`, fail),
    exists: raw.exists === undefined ? undefined : raw.exists === true,
    not: raw.not === true,
  };
}

function parseJson(path: string, raw: unknown, fail: (problem: string) => never): JsonMatcher {
  let segments: Segment[];
  try {
    segments = parseJsonPath(path);
  } catch (error) {
    if (error instanceof JsonPathError) return fail(`expect.json: ${error.message}`);
    throw error;
  }
  if (!isObject(raw)) return { path, segments, equals: raw, not: false };
  unknownKeys(raw, JSON_KEYS, fail, `expect.json '${path}'`);
  const matcher: JsonMatcher = { path, segments, not: raw.not === true };
  if ('equals' in raw) matcher.equals = raw.equals;
  if ('contains' in raw) matcher.contains = raw.contains;
  if (raw.matches !== undefined) matcher.matches = regex(raw.matches, `expect.json '${path}'.matches`, fail);
  if (raw.exists !== undefined) matcher.exists = raw.exists === true;
  if (raw.type !== undefined) {
    if (!TYPES.includes(String(raw.type)))
      fail(`expect.json '${path}'.type must be one of ${TYPES.join(', ')}; got ${String(raw.type)}`);
    matcher.type = raw.type as JsonMatcher['type'];
  }
  if (raw.count !== undefined) {
    if (typeof raw.count === 'number') matcher.count = { eq: raw.count };
    else if (isObject(raw.count)) {
      unknownKeys(raw.count, COUNT_KEYS, fail, `expect.json '${path}'.count`);
      matcher.count = Object.fromEntries(
        Object.entries(raw.count).map(([key, value]) => [key, Number(value)]),
      );
      if (Object.values(matcher.count).some((value) => !Number.isFinite(value)))
        fail(`expect.json '${path}'.count needs numbers`);
    } else fail(`expect.json '${path}'.count must be a number or {gt, gte, lt, lte, eq}`);
  }
  return matcher;
}

function regex(raw: unknown, where: string, fail: (problem: string) => never): RegExp {
  try {
    return new RegExp(String(raw));
  } catch (error) {
    return fail(`'${where}' is not a valid regular expression: ${(error as Error).message}`);
  }
}

function duration(raw: unknown, where: string, fail: (problem: string) => never): number {
  try {
    return parseDuration(String(raw));
  } catch (error) {
    return fail(`'${where}' ${(error as Error).message}; use e.g. 500ms or 2s`);
  }
}

function unknownKeys(
  object: Record<string, unknown>,
  known: string[],
  fail: (problem: string) => never,
  where: string,
): void {
  const unknown = Object.keys(object).filter((key) => !known.includes(key));
  if (unknown.length > 0) fail(`unknown key '${unknown[0]}' in ${where} (known: ${known.join(', ')})`);
}

/** Replaces `${{ env.NAME }}` in every string with the vars input's value. */
function substitute(value: unknown, vars: Map<string, string>, input: string, where: string): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_, name: string) => {
      const found = vars.get(name);
      if (found === undefined)
        throw new InputError(
          input,
          `${where} refers to \${{ env.${name} }}, which the vars input does not define`,
          `${name}=value`,
        );
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((item) => substitute(item, vars, input, where));
  if (isObject(value))
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, substitute(item, vars, input, where)]),
    );
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The secrets a check carries, to register before it runs: its URL's userinfo and secret query values, secret headers. */
export function checkSecrets(check: Check): string[] {
  return [
    ...urlSecrets(check.url),
    ...[...check.secretHeaders].map((name) => check.headers[name] ?? ''),
  ].filter(Boolean);
}
