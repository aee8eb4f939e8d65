/**
 * The wire shapes the SDK v3 clients speak: awsJson1_1 / awsJson1_0 (query-compatible) and awsQuery
 * (form-encoded in, XML out). See ../shared/AWS_WIRE_NOTES.md.
 */
import type { AwsError } from './errors.js';

export type WireValue =
  string | number | boolean | Date | null | undefined | WireValue[] | { [key: string]: WireValue };

/**
 * Parses an awsQuery form body into nested values: `A.member.2.B=x` → `{ A: [ , { B: 'x' } ] }`.
 * Lists become arrays in member order; all leaves stay strings (callers convert).
 */
export function parseQueryForm(body: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const segments = key.split('.');
    const tokens: (string | number)[] = [];
    for (let index = 0; index < segments.length; index++) {
      const segment = segments[index]!;
      const next = segments[index + 1];
      if ((segment === 'member' || segment === 'entry') && next !== undefined && /^\d+$/.test(next)) {
        tokens.push(Number(next) - 1);
        index++;
      } else {
        tokens.push(segment);
      }
    }
    let node: Record<string | number, unknown> = root;
    tokens.forEach((token, index) => {
      if (index === tokens.length - 1) {
        node[token] = value;
        return;
      }
      const wantsList = typeof tokens[index + 1] === 'number';
      const existing = node[token];
      if (
        wantsList
          ? !Array.isArray(existing)
          : existing === null || typeof existing !== 'object' || Array.isArray(existing)
      ) {
        node[token] = wantsList ? [] : {};
      }
      node = node[token] as Record<string | number, unknown>;
    });
  }
  return compact(root) as Record<string, unknown>;
}

function compact(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((item) => item !== undefined).map(compact);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, compact(item)]));
  }
  return value;
}

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};
const escapeXml = (text: string): string => text.replace(/[&<>"']/g, (character) => XML_ESCAPES[character]!);

/** Serializes a value as awsQuery XML: lists as `<member>` elements, dates as ISO 8601. */
export function toXml(name: string, value: WireValue): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value))
    return `<${name}>${value.map((item) => toXml('member', item)).join('')}</${name}>`;
  if (value instanceof Date) return `<${name}>${value.toISOString()}</${name}>`;
  if (typeof value === 'object') {
    const children = Object.entries(value)
      .map(([key, item]) => toXml(key, item))
      .join('');
    return `<${name}>${children}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

export function queryResponseXml(
  operation: string,
  namespace: string,
  result: WireValue,
  requestId: string,
): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<${operation}Response xmlns="${namespace}">` +
    toXml(`${operation}Result`, result ?? {}) +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`
  );
}

export function queryErrorXml(error: AwsError, namespace: string, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${namespace}"><Error><Type>${error.fault}</Type>` +
    `<Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}

/** JSON protocols send timestamps as epoch seconds. */
export function toJsonWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toJsonWire);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = toJsonWire(item);
    return out;
  }
  return value;
}

/** Reads a query-protocol leaf as a number, or undefined. */
export function queryNumber(value: unknown): number | undefined {
  if (value === undefined || value === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

export function queryBoolean(value: unknown): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  return value === true || value === 'true';
}

/** A query-protocol list leaf: `Names=` (empty) or an array. */
export function queryList<T = string>(value: unknown): T[] {
  if (Array.isArray(value)) return value as T[];
  return [];
}
