import { describe, expect, it } from '@jest/globals';
import { judgeResponse } from '../../../packages/shared/src/checks/assertions.js';
import { parseChecks, type CheckDefaults } from '../../../packages/shared/src/checks/checks.js';
import type { HttpResponse } from '../../../packages/shared/src/checks/http.js';
import { parseJsonPath, queryJsonPath } from '../../../packages/shared/src/checks/jsonpath.js';
import { curlCommand, junitXml } from '../src/report.js';

const defaults: CheckDefaults = { baseUrl: 'http://127.0.0.1:8080', vars: new Map([['SHA', '3f2c1ab']]) };
const parse = (yaml: string) => parseChecks(yaml, 'checks', defaults);
const response = (overrides: Partial<HttpResponse> = {}): HttpResponse => ({
  status: 200,
  headers: { 'content-type': 'application/json' },
  body: '{}',
  latencyMs: 10,
  ...overrides,
});

describe('parseChecks', () => {
  it('resolves paths against base-url, substitutes vars and marks Authorization secret', () => {
    const [check] = parse(`
- name: version
  path: /version
  headers:
    Authorization: Bearer t0ken
    X-Trace: { value: abc, secret: true }
  expect:
    body: \${{ env.SHA }}
`);
    expect(check).toMatchObject({
      name: 'version',
      method: 'GET',
      url: 'http://127.0.0.1:8080/version',
      samples: 1,
    });
    expect(check!.expect.body).toEqual({ contains: '3f2c1ab', not: false });
    expect([...check!.secretHeaders].sort()).toEqual(['authorization', 'x-trace']);
  });

  it.each([
    [
      '- name: a\n  path: /\n  expect: { statuss: 200 }',
      /check 'a': unknown key 'statuss' in expect \(known: status, headers/,
    ],
    ['- name: a\n  path: /\n  retries: 3', /check 'a': unknown key 'retries' in check/],
    [
      '- name: a\n  path: /\n  expect: { body: { matches: "([" } }',
      /check 'a': 'expect.body.matches' is not a valid regular expression/,
    ],
    [
      '- name: a\n  path: /\n  expect: { json: { "items[0]": 1 } }',
      /check 'a': expect.json: 'items\[0\]' must start with \$/,
    ],
    [
      '- name: a\n  path: /\n  expect: { json: { "$.a[x]": 1 } }',
      /is not a JSONPath this action understands at '\[x\]'/,
    ],
    ['- name: a\n  url: "ftp://x"', /check 'a': 'ftp:\/\/x\/?' must be http or https/],
    ['- name: a\n  url: "not a url"', /check 'a': 'not a url' is not a valid URL/],
    [
      '- name: a\n  path: /\n  expect: { max-latency: soon }',
      /check 'a': 'expect.max-latency' is not a duration/,
    ],
    ['- name: a\n  path: /\n  expect: { status: 2xy }', /'expect.status' 2xy is not a status code/],
    [
      '- name: a\n  path: /x/${{ env.NOPE }}',
      /refers to \$\{\{ env.NOPE \}\}, which the vars input does not define/,
    ],
    ['- name: a\n  path: /\n- name: a\n  path: /b', /two checks named 'a'/],
    ['{ "checks": [', /'checks' is not valid YAML or JSON/],
  ])('rejects %j naming the check and key', (yaml, message) => {
    expect(() => parse(yaml)).toThrow(message);
    expect(() => parse(yaml)).toThrow(/^Input 'checks'/);
  });
});

describe('JSONPath', () => {
  const document = {
    data: {
      items: [
        { id: 1, tags: ['a'] },
        { id: 2, tags: [] },
      ],
      'odd key': true,
    },
  };
  it.each([
    ['$.data.items[0].id', [1]],
    ['$.data.items[-1].id', [2]],
    ['$.data.items[*].id', [1, 2]],
    ["$.data['odd key']", [true]],
    ['$..id', [1, 2]],
    ['$.data.missing', []],
  ])('%s selects %j', (path, expected) => {
    expect(queryJsonPath(document, parseJsonPath(path))).toEqual(expected);
  });
});

describe('assertions', () => {
  const judge = (yaml: string, res: HttpResponse) =>
    judgeResponse(parse(`- name: x\n  path: /\n  expect:\n${yaml}`)[0]!.expect, res);

  it('passes a matching response', () => {
    expect(
      judge(
        '    status: [200, 201]\n    json: { "$.version": "v2" }',
        response({ body: '{"version":"v2"}' }),
      ),
    ).toEqual([]);
  });
  it('reports a status outside a range or a list', () => {
    expect(judge('    status: 2xx', response({ status: 503 }))).toEqual([
      { assertion: 'status', expected: '2xx', actual: '503' },
    ]);
    expect(judge('    status: { not: 500 }', response({ status: 500 }))).toEqual([
      { assertion: 'status', expected: 'not 500', actual: '500' },
    ]);
  });
  it('checks headers by equals, matches, exists and not', () => {
    const res = response({ headers: { 'content-type': 'text/html', 'x-version': 'v2' } });
    expect(judge('    headers: { content-type: application/json }', res)).toEqual([
      { assertion: 'header content-type', expected: "equal to 'application/json'", actual: 'text/html' },
    ]);
    expect(judge('    headers: { x-version: { matches: "^v\\\\d+$" } }', res)).toEqual([]);
    expect(judge('    headers: { x-missing: { exists: true } }', res)).toEqual([
      { assertion: 'header x-missing', expected: 'present', actual: '(absent)' },
    ]);
    expect(judge('    headers: { x-version: { equals: v2, not: true } }', res)).toEqual([
      { assertion: 'header x-version', expected: "not equal to 'v2'", actual: 'v2' },
    ]);
  });
  it('checks JSON by equals, contains, type and count', () => {
    const res = response({ body: JSON.stringify({ items: [1, 2, 3], name: 'portal', ok: true }) });
    expect(judge('    json: { "$.items": { count: { gte: 2, lt: 3 } } }', res)[0]).toEqual({
      assertion: 'json $.items',
      expected: 'a count gte 2, lt 3 (got 3)',
      actual: '[1,2,3]',
    });
    expect(
      judge('    json: { "$.items": { contains: 2 }, "$.name": { type: string }, "$.ok": true }', res),
    ).toEqual([]);
    expect(judge('    json: { "$.name": { type: number } }', res)[0]?.expected).toBe('of type number');
    expect(judge('    json: { "$.x": 1 }', response({ body: '<html>' }))).toEqual([
      { assertion: 'json', expected: 'a JSON body', actual: '<html>' },
    ]);
  });
  it('checks the body and the latency', () => {
    expect(judge('    body: { contains: ok, not: true }', response({ body: 'all ok' }))[0]?.expected).toBe(
      "not containing 'ok'",
    );
    expect(judge('    max-latency: 50ms', response({ latencyMs: 80 }))).toEqual([
      { assertion: 'max-latency', expected: '≤ 50 ms', actual: '80 ms' },
    ]);
  });
});

describe('reports', () => {
  it('writes a curl line with secret headers redacted and shell quoting', () => {
    const [check] = parse(
      '- name: x\n  method: post\n  path: /orders\n  headers: { Authorization: Bearer s3cret, X-Note: "it\'s" }\n  json: { a: 1 }',
    );
    const line = curlCommand(check!);
    expect(line).toBe(
      `curl -sS -X POST 'http://127.0.0.1:8080/orders' -H 'authorization: ***' -H 'x-note: it'\\''s' -H 'content-type: application/json' --data '{"a":1}'`,
    );
    expect(line).not.toContain('s3cret');
  });
  it('writes JUnit XML with failures and skips', () => {
    const [a, b, c] = parse('- name: a\n  path: /a\n- name: b\n  path: /b\n- name: "c<>"\n  path: /c');
    const xml = junitXml(
      [
        { check: a!, passed: true, attempts: 1, failures: [], response: response() },
        {
          check: b!,
          passed: false,
          attempts: 2,
          failures: [{ assertion: 'status', expected: '2xx', actual: '503' }],
        },
        { check: c!, passed: false, attempts: 0, failures: [], skipped: true },
      ],
      'smoke-test',
    );
    expect(xml).toContain('<testsuite name="smoke-test" tests="3" failures="1" skipped="1">');
    expect(xml).toContain('<failure message="status: expected 2xx, got 503">');
    expect(xml).toContain('name="c&lt;&gt;"');
  });
});
