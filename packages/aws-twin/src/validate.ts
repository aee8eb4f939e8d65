/**
 * Requests validated as AWS validates them, before any lookup: required members, enums, number
 * ranges, string and list lengths, from botocore's own service models (models/regenerate.py writes
 * constraints.json). A bad request gets the code the service declares for one, with AWS's message
 * form: "1 validation error detected: Value null at 'services' failed to satisfy constraint:
 * Member must not be null".
 */
import constraints from './models/constraints.json' with { type: 'json' };
import { AwsError } from './errors.js';

interface Shape {
  type: string;
  min?: number;
  max?: number;
  enum?: string[];
  members?: Record<string, Shape>;
  required?: string[];
  member?: Shape;
  value?: Shape;
}

interface ServiceConstraints {
  validationError: string;
  operations: Record<string, Shape>;
}

const SERVICES = (constraints as unknown as { services: Record<string, ServiceConstraints> }).services;

/** The model's input shape of an operation, when the twin has one. */
export function inputShape(service: string, operation: string): Shape | undefined {
  return SERVICES[service]?.operations[operation];
}

/**
 * Throws the service's validation error when `input` breaks its model. Query-protocol services
 * (ELBv2, STS) send every value as a string and an empty list as an empty string; JSON ones send
 * typed values.
 */
export function validateRequest(service: string, operation: string, input: Record<string, unknown>): void {
  const model = SERVICES[service];
  const shape = model?.operations[operation];
  if (!model || !shape) return;
  const problems: string[] = [];
  check(shape, input, '', problems, service === 'elbv2' || service === 'sts');
  if (problems.length === 0) return;
  const shown = problems.slice(0, 3);
  throw new AwsError(
    model.validationError,
    `${problems.length} validation error${problems.length === 1 ? '' : 's'} detected: ${shown.join('; ')}`,
    400,
  );
}

/** AWS names members by the wire name with a lower-case first letter in these messages. */
const named = (path: string) =>
  path.replace(/(^|\.)([A-Z])/g, (_, dot: string, letter: string) => dot + letter.toLowerCase());

function check(shape: Shape, value: unknown, path: string, problems: string[], query: boolean): void {
  if (value === undefined || value === null) return;
  const at = (constraint: string, shown: string) =>
    problems.push(`Value ${shown} at '${named(path)}' failed to satisfy constraint: ${constraint}`);
  switch (shape.type) {
    case 'structure':
      return checkStructure(shape, value, path, problems, query);
    case 'list': {
      const list = query && value === '' ? [] : value;
      if (!Array.isArray(list)) return void at('Member must be a list', JSON.stringify(value));
      lengthOf(shape, list.length, at, 'length');
      list.forEach((item, index) =>
        check(shape.member!, item, `${path}.${index + 1}.member`, problems, query),
      );
      return;
    }
    case 'map':
      if (typeof value !== 'object') return void at('Member must be a map', JSON.stringify(value));
      for (const [key, item] of Object.entries(value as Record<string, unknown>))
        check(shape.value!, item, `${path}.${key}`, problems, query);
      return;
    case 'string': {
      const text = String(value);
      if (shape.enum && !shape.enum.includes(text))
        at(`Member must satisfy enum value set: [${shape.enum.join(', ')}]`, `'${text}'`);
      lengthOf(shape, text.length, at, 'length');
      return;
    }
    case 'integer':
    case 'long':
    case 'double':
    case 'float': {
      const number = Number(value);
      if (Number.isNaN(number)) return void at('Member must be a number', JSON.stringify(value));
      if (shape.min !== undefined && number < shape.min)
        at(`Member must have value greater than or equal to ${shape.min}`, `'${number}'`);
      if (shape.max !== undefined && number > shape.max)
        at(`Member must have value less than or equal to ${shape.max}`, `'${number}'`);
      return;
    }
    default:
      return;
  }
}

function checkStructure(
  shape: Shape,
  value: unknown,
  path: string,
  problems: string[],
  query: boolean,
): void {
  if (typeof value !== 'object' || Array.isArray(value)) {
    problems.push(
      `Value ${JSON.stringify(value)} at '${named(path)}' failed to satisfy constraint: Member must be a structure`,
    );
    return;
  }
  const fields = value as Record<string, unknown>;
  for (const member of shape.required ?? []) {
    const given = fields[member];
    // An empty string is how the query protocol writes an empty list: present, and then judged by length.
    if (given === undefined || given === null)
      problems.push(
        `Value null at '${named(path ? `${path}.${member}` : member)}' failed to satisfy constraint: Member must not be null`,
      );
  }
  for (const [member, memberShape] of Object.entries(shape.members ?? {}))
    check(memberShape, fields[member], path ? `${path}.${member}` : member, problems, query);
}

function lengthOf(
  shape: Shape,
  length: number,
  at: (constraint: string, shown: string) => number,
  what: string,
): void {
  if (shape.min !== undefined && length < shape.min)
    at(`Member must have ${what} greater than or equal to ${shape.min}`, `with ${what} ${length}`);
  if (shape.max !== undefined && length > shape.max)
    at(`Member must have ${what} less than or equal to ${shape.max}`, `with ${what} ${length}`);
}
