import * as core from './runner-commands.js';
import { parse as parseYaml } from 'yaml';
import { DurationSyntaxError, formatDuration, parseDuration } from './duration.js';
import { InputError } from './errors.js';
import { registerSecret, registerUrlSecrets, URL_IN_TEXT } from './secrets.js';

/** Where raw input text comes from: `core.getInput` on a runner, a plain map in tests. */
export type InputSource = (name: string) => string;

export const coreInputSource: InputSource = (name) => core.getInput(name);

interface Common<T> {
  /** Fails when the input is empty and no default is given. */
  required?: boolean;
  default?: T;
  /** A valid value shown in the error message. */
  example?: string;
}

type StringOptions = Common<string> & { pattern?: RegExp; patternHint?: string };

const TRUE_WORDS = ['true', 'True', 'TRUE'];
const FALSE_WORDS = ['false', 'False', 'FALSE'];
const ARN = /^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|):(.+)$/;

/**
 * Typed readers over action inputs. Each failure throws one `InputError` naming the input, what was
 * wrong and a valid example, so every input can be checked before the first AWS call.
 */
export class InputReader {
  constructor(private readonly source: InputSource = coreInputSource) {}

  private raw(name: string): string {
    const text = (this.source(name) ?? '').trim();
    // A password in a URL, or a token in its query, is a secret whatever input it came in.
    for (const url of text.match(URL_IN_TEXT) ?? []) registerUrlSecrets(url);
    return text;
  }

  private missing<T>(name: string, options: Common<T>, example: string): T | undefined {
    if (options.default !== undefined) return options.default;
    if (options.required) throw new InputError(name, 'is required but was empty', options.example ?? example);
    return undefined;
  }

  string(name: string, options: StringOptions & ({ required: true } | { default: string })): string;
  string(name: string, options?: StringOptions): string | undefined;
  string(name: string, options: StringOptions = {}): string | undefined {
    const text = this.raw(name);
    const example = options.example ?? 'some-text';
    if (text === '') return this.missing(name, options, example);
    if (options.pattern && !options.pattern.test(text)) {
      throw new InputError(
        name,
        `must be ${options.patternHint ?? `text matching ${options.pattern}`}; got '${text}'`,
        example,
      );
    }
    return text;
  }

  /** A secret (a token): masked in the log the moment it is read. */
  secret(name: string): string | undefined {
    const text = this.raw(name);
    if (text === '') return undefined;
    registerSecret(text);
    return text;
  }

  boolean(name: string, options: Common<boolean> & { default: boolean }): boolean;
  boolean(name: string, options?: Common<boolean>): boolean | undefined;
  boolean(name: string, options: Common<boolean> = {}): boolean | undefined {
    const text = this.raw(name);
    if (text === '') return this.missing(name, options, 'true');
    if (TRUE_WORDS.includes(text)) return true;
    if (FALSE_WORDS.includes(text)) return false;
    throw new InputError(name, `must be true or false; got '${text}'`, options.example ?? 'true');
  }

  integer(name: string, options: Common<number> & { min?: number; max?: number; default: number }): number;
  integer(name: string, options?: Common<number> & { min?: number; max?: number }): number | undefined;
  integer(name: string, options: Common<number> & { min?: number; max?: number } = {}): number | undefined {
    const example = options.example ?? String(options.min ?? 1);
    const text = this.raw(name);
    if (text === '') return this.missing(name, options, example);
    if (!/^[+-]?\d+$/.test(text))
      throw new InputError(name, `must be a whole number; got '${text}'`, example);
    return checkRange(name, Number(text), options, example);
  }

  number(name: string, options: Common<number> & { min?: number; max?: number; default: number }): number;
  number(name: string, options?: Common<number> & { min?: number; max?: number }): number | undefined;
  number(name: string, options: Common<number> & { min?: number; max?: number } = {}): number | undefined {
    const example = options.example ?? String(options.min ?? 1.5);
    const text = this.raw(name);
    if (text === '') return this.missing(name, options, example);
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(text))
      throw new InputError(name, `must be a number; got '${text}'`, example);
    return checkRange(name, Number(text), options, example);
  }

  enum<T extends string>(name: string, values: readonly T[], options: Common<T> & { default: T }): T;
  enum<T extends string>(name: string, values: readonly T[], options?: Common<T>): T | undefined;
  enum<T extends string>(name: string, values: readonly T[], options: Common<T> = {}): T | undefined {
    const example = options.example ?? values[0] ?? '';
    const text = this.raw(name);
    if (text === '') return this.missing(name, options, example);
    const match =
      values.find((value) => value === text) ?? values.find((v) => v.toLowerCase() === text.toLowerCase());
    if (match === undefined)
      throw new InputError(name, `must be one of ${values.join(', ')}; got '${text}'`, example);
    return match;
  }

  /** A list separated by newlines or commas; blank entries are dropped. */
  list(
    name: string,
    options: Common<string[]> & { separators?: 'newline' | 'newline-or-comma' } = {},
  ): string[] {
    const text = this.raw(name);
    if (text === '') return this.missing(name, options, options.example ?? 'a, b') ?? [];
    const splitter = options.separators === 'newline' ? /\r?\n/ : /\r?\n|,/;
    return text
      .split(splitter)
      .map((item) => item.trim())
      .filter((item) => item !== '');
  }

  /** A duration (`250ms`, `30s`, `5m`, `1h30m`, plain seconds) in milliseconds. */
  /** A duration; every one has a maximum (documented in action.yml), so none can be a typo'd eternity. */
  duration(name: string, options: Common<number> & { min?: number; max: number; default: number }): number;
  duration(name: string, options: Common<number> & { min?: number; max: number }): number | undefined;
  duration(name: string, options: Common<number> & { min?: number; max: number }): number | undefined {
    const example = options.example ?? '5m';
    const text = this.raw(name);
    if (text === '') return this.missing(name, options, example);
    let ms: number;
    try {
      ms = parseDuration(text);
    } catch (error) {
      if (error instanceof DurationSyntaxError) {
        throw new InputError(
          name,
          `${error.message}; use a number with a unit (ms, s, m, h, d) or plain seconds`,
          example,
        );
      }
      throw error;
    }
    if (options.min !== undefined && ms < options.min) {
      throw new InputError(name, `must be at least ${formatDuration(options.min)}; got '${text}'`, example);
    }
    if (ms > options.max) {
      throw new InputError(name, `must be at most ${formatDuration(options.max)}; got '${text}'`, example);
    }
    return ms;
  }

  /** A JSON or YAML mapping (JSON is YAML); anything but a mapping is rejected. */
  object(name: string, options: Common<Record<string, unknown>> = {}): Record<string, unknown> | undefined {
    const example = options.example ?? '{"key": "value"}';
    const text = this.raw(name);
    if (text === '') return this.missing(name, options, example);
    let value: unknown;
    try {
      value = parseYaml(text);
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      throw new InputError(name, `is not valid JSON or YAML (${reason})`, example);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new InputError(
        name,
        `must be a JSON or YAML mapping of keys to values; got ${describe(value)}`,
        example,
      );
    }
    return value as Record<string, unknown>;
  }

  /** An ARN of the given service, optionally of one resource type (`listener-rule/`, `role/`). */
  arn(
    name: string,
    service: string,
    options: Common<string> & { resourcePrefix?: string } = {},
  ): string | undefined {
    const resource = options.resourcePrefix ?? '';
    const example =
      options.example ??
      `arn:aws:${service}:${service === 'iam' ? '' : 'eu-west-1'}:123456789012:${resource}example`;
    const text = this.raw(name);
    if (text === '') return this.missing(name, options, example);
    const match = ARN.exec(text);
    if (!match) throw new InputError(name, `is not an ARN; got '${text}'`, example);
    if (match[2] !== service) {
      throw new InputError(
        name,
        `must be an ARN of the ${service} service; got one of '${match[2]}'`,
        example,
      );
    }
    if (resource && !match[5]!.startsWith(resource)) {
      throw new InputError(
        name,
        `must be an ARN of a ${resource.replace(/[/:]$/, '')}; got '${text}'`,
        example,
      );
    }
    return text;
  }
}

function checkRange(
  name: string,
  value: number,
  options: { min?: number; max?: number },
  example: string,
): number {
  if (options.min !== undefined && value < options.min) {
    throw new InputError(name, `must be at least ${options.min}; got ${value}`, example);
  }
  if (options.max !== undefined && value > options.max) {
    throw new InputError(name, `must be at most ${options.max}; got ${value}`, example);
  }
  return value;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value} (${JSON.stringify(value)})`;
}

/** Parses `KEY=value` lines (values may contain `=`); names the input and line on a bad line. */
export function parseKeyValueLines(
  input: string,
  lines: string[],
  example = 'LOG_LEVEL=info',
): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const line of lines) {
    const separator = line.indexOf('=');
    if (separator <= 0) throw new InputError(input, `has a line without KEY=value: '${line}'`, example);
    const key = line.slice(0, separator).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key))
      throw new InputError(input, `has an invalid key '${key}'`, example);
    pairs.set(key, line.slice(separator + 1));
  }
  return pairs;
}
