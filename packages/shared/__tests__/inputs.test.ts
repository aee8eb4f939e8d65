import { describe, expect, it } from '@jest/globals';
import { InputError } from '../src/errors.js';
import { InputReader, parseKeyValueLines } from '../src/inputs.js';

function readerOf(values: Record<string, string>): InputReader {
  return new InputReader((name) => values[name] ?? '');
}

/** Asserts that reading throws an InputError naming the input, the problem and an example. */
function expectInputError(read: () => unknown, input: string, problem: RegExp): void {
  let thrown: unknown;
  try {
    read();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(InputError);
  const error = thrown as InputError;
  expect(error.input).toBe(input);
  expect(error.message).toContain(`'${input}'`);
  expect(error.message).toMatch(problem);
  expect(error.message).toMatch(/A valid value looks like: \S/);
}

describe('InputReader.string', () => {
  it('returns trimmed text, undefined when empty, the default when given', () => {
    const reader = readerOf({ cluster: '  prod  ' });
    expect(reader.string('cluster')).toBe('prod');
    expect(reader.string('missing')).toBeUndefined();
    expect(reader.string('missing', { default: 'x' })).toBe('x');
  });
  it('fails on an empty required input, naming it', () => {
    expectInputError(
      () => readerOf({}).string('cluster', { required: true }),
      'cluster',
      /is required but was empty/,
    );
  });
  it('fails on text that does not match the pattern, showing the text', () => {
    expectInputError(
      () => readerOf({ id: '12ab' }).string('id', { pattern: /^\d{12}$/, patternHint: 'a 12-digit account' }),
      'id',
      /must be a 12-digit account; got '12ab'/,
    );
  });
});

describe('InputReader.boolean', () => {
  it.each([
    ['true', true],
    ['True', true],
    ['TRUE', true],
    ['false', false],
    ['FALSE', false],
  ])('reads %s', (text, value) => {
    expect(readerOf({ push: text }).boolean('push')).toBe(value);
  });
  it('uses the default when empty', () => {
    expect(readerOf({}).boolean('push', { default: true })).toBe(true);
  });
  it.each(['yes', '1', 'on', 'ture'])('rejects %s', (text) => {
    expectInputError(() => readerOf({ push: text }).boolean('push'), 'push', /must be true or false; got/);
  });
  it('fails when required and empty', () => {
    expectInputError(() => readerOf({}).boolean('push', { required: true }), 'push', /required/);
  });
});

describe('InputReader.integer', () => {
  it('reads whole numbers within range', () => {
    expect(readerOf({ n: '4' }).integer('n', { min: 1, max: 10 })).toBe(4);
    expect(readerOf({}).integer('n', { default: 3 })).toBe(3);
  });
  it.each(['4.5', 'four', '0x10', '1e3', '--1'])('rejects %s as not whole', (text) => {
    expectInputError(() => readerOf({ n: text }).integer('n'), 'n', /must be a whole number/);
  });
  it('rejects values out of range, naming the bound', () => {
    expectInputError(() => readerOf({ n: '0' }).integer('n', { min: 1 }), 'n', /at least 1; got 0/);
    expectInputError(() => readerOf({ n: '11' }).integer('n', { max: 10 }), 'n', /at most 10; got 11/);
  });
});

describe('InputReader.number', () => {
  it('reads decimals within range', () => {
    expect(readerOf({ t: '79.5' }).number('t', { min: 0, max: 100 })).toBe(79.5);
    expect(readerOf({ t: '.5' }).number('t')).toBe(0.5);
  });
  it.each(['80%', 'eighty', '', 'NaN', 'Infinity'])('rejects %j', (text) => {
    const read = () => readerOf({ t: text }).number('t', { required: true });
    expectInputError(read, 't', text === '' ? /required/ : /must be a number/);
  });
  it('rejects values out of range', () => {
    expectInputError(() => readerOf({ t: '100.01' }).number('t', { min: 0, max: 100 }), 't', /at most 100/);
    expectInputError(() => readerOf({ t: '-1' }).number('t', { min: 0, max: 100 }), 't', /at least 0/);
  });
});

describe('InputReader.enum', () => {
  const phases = ['all', 'prepare', 'shift'] as const;
  it('reads a listed value, ignoring case', () => {
    expect(readerOf({ phase: 'Prepare' }).enum('phase', phases)).toBe('prepare');
    expect(readerOf({}).enum('phase', phases, { default: 'all' })).toBe('all');
  });
  it('lists the allowed values when given another', () => {
    expectInputError(
      () => readerOf({ phase: 'deploy' }).enum('phase', phases),
      'phase',
      /one of all, prepare, shift; got 'deploy'/,
    );
  });
});

describe('InputReader.list', () => {
  it('splits on newlines and commas and drops blanks', () => {
    expect(readerOf({ l: 'a, b\n\nc,\n' }).list('l')).toEqual(['a', 'b', 'c']);
  });
  it('keeps commas inside lines when asked for newline lists', () => {
    expect(readerOf({ l: 'A=1,2\nB=3' }).list('l', { separators: 'newline' })).toEqual(['A=1,2', 'B=3']);
  });
  it('is empty when empty, and fails when required', () => {
    expect(readerOf({}).list('l')).toEqual([]);
    expectInputError(() => readerOf({}).list('files', { required: true }), 'files', /required/);
  });
});

describe('InputReader.duration', () => {
  it('reads durations in milliseconds', () => {
    expect(readerOf({ d: '1h30m' }).duration('d', { max: 86_400_000 })).toBe(5_400_000);
    expect(readerOf({}).duration('d', { default: 1000, max: 60_000 })).toBe(1000);
  });
  it.each([
    ['-5s', /negative/],
    ['soon', /not a duration/],
    ['5 m', /not a duration/],
  ])('rejects %s', (text, problem) => {
    expectInputError(
      () => readerOf({ 'step-bake': text }).duration('step-bake', { max: 21_600_000 }),
      'step-bake',
      problem,
    );
  });
  it('rejects durations out of range', () => {
    expectInputError(
      () => readerOf({ d: '10ms' }).duration('d', { min: 1000, max: 60_000 }),
      'd',
      /at least 1s; got '10ms'/,
    );
    expectInputError(
      () => readerOf({ d: '2d' }).duration('d', { max: 3_600_000 }),
      'd',
      /at most 1h; got '2d'/,
    );
    // A typo'd eternity is refused, not turned into an invalid date later.
    expectInputError(
      () => readerOf({ d: '999999999d' }).duration('d', { max: 86_400_000 }),
      'd',
      /at most 1d/,
    );
  });
});

describe('InputReader.object', () => {
  it('reads JSON and YAML mappings', () => {
    expect(readerOf({ o: '{"a": 1}' }).object('o')).toEqual({ a: 1 });
    expect(readerOf({ o: 'a: 1\nb: [x]' }).object('o')).toEqual({ a: 1, b: ['x'] });
  });
  it.each([
    ['[1, 2]', /mapping.*a list/],
    ['42', /mapping.*number/],
    ['just words', /mapping.*string/],
    ['{"a": ', /not valid JSON or YAML/],
  ])('rejects %j', (text, problem) => {
    expectInputError(() => readerOf({ o: text }).object('o'), 'o', problem);
  });
});

describe('InputReader.arn', () => {
  const rule =
    'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';
  it('accepts an ARN of the service and resource type', () => {
    expect(readerOf({ r: rule }).arn('r', 'elasticloadbalancing', { resourcePrefix: 'listener-rule/' })).toBe(
      rule,
    );
    expect(
      readerOf({ role: 'arn:aws:iam::123456789012:role/deploy' }).arn('role', 'iam', {
        resourcePrefix: 'role/',
      }),
    ).toBe('arn:aws:iam::123456789012:role/deploy');
  });
  it('rejects text that is not an ARN', () => {
    expectInputError(
      () => readerOf({ r: 'listener-rule/abc' }).arn('r', 'elasticloadbalancing'),
      'r',
      /is not an ARN/,
    );
  });
  it('rejects an ARN of another service', () => {
    expectInputError(
      () => readerOf({ r: 'arn:aws:ecs:eu-west-1:123456789012:service/x' }).arn('r', 'elasticloadbalancing'),
      'r',
      /elasticloadbalancing service; got one of 'ecs'/,
    );
  });
  it('rejects an ARN of another resource type', () => {
    const listener =
      'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2';
    expectInputError(
      () => readerOf({ r: listener }).arn('r', 'elasticloadbalancing', { resourcePrefix: 'listener-rule/' }),
      'r',
      /ARN of a listener-rule/,
    );
  });
});

describe('parseKeyValueLines', () => {
  it('keeps = inside values', () => {
    expect([...parseKeyValueLines('env', ['DSN=postgres://u@h/db?sslmode=require', 'EMPTY='])]).toEqual([
      ['DSN', 'postgres://u@h/db?sslmode=require'],
      ['EMPTY', ''],
    ]);
  });
  it('names the input and the bad line', () => {
    expectInputError(
      () => parseKeyValueLines('environment-variables', ['NOEQUALS']),
      'environment-variables',
      /without KEY=value: 'NOEQUALS'/,
    );
    expectInputError(
      () => parseKeyValueLines('environment-variables', ['=x']),
      'environment-variables',
      /without KEY=value/,
    );
    expectInputError(
      () => parseKeyValueLines('environment-variables', ['BAD KEY=x']),
      'environment-variables',
      /invalid key 'BAD KEY'/,
    );
  });
});
