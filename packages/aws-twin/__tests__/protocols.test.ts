import { describe, expect, it } from '@jest/globals';
import { matches } from '../src/dataplane/health-checker.js';
import { evaluateExpression, MetricStore, parseExpression } from '../src/metrics.js';
import { parseQueryForm, toXml } from '../src/protocols.js';

describe('awsQuery wire format', () => {
  it('nests member lists from a form body', () => {
    const form = parseQueryForm(
      'Action=ModifyRule&Version=2015-12-01&RuleArn=arn%3Ax&Actions.member.1.Type=forward' +
        '&Actions.member.1.ForwardConfig.TargetGroups.member.1.TargetGroupArn=a&Actions.member.1.ForwardConfig.TargetGroups.member.1.Weight=95' +
        '&Actions.member.1.ForwardConfig.TargetGroups.member.2.TargetGroupArn=b&Actions.member.1.ForwardConfig.TargetGroups.member.2.Weight=5' +
        '&ResourceArns.member.1=r1&ResourceArns.member.2=r2&Names=',
    );
    expect(form).toEqual({
      Action: 'ModifyRule',
      Version: '2015-12-01',
      RuleArn: 'arn:x',
      Actions: [
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: 'a', Weight: '95' },
              { TargetGroupArn: 'b', Weight: '5' },
            ],
          },
        },
      ],
      ResourceArns: ['r1', 'r2'],
      Names: '',
    });
  });

  it('writes lists as member elements, dates as ISO 8601, and escapes text', () => {
    expect(toXml('R', { Items: ['a<b', 'c'], At: new Date(0), Skip: undefined, N: 5, B: false })).toBe(
      '<R><Items><member>a&lt;b</member><member>c</member></Items><At>1970-01-01T00:00:00.000Z</At><N>5</N><B>false</B></R>',
    );
  });
});

describe('metric math', () => {
  const series = new Map([
    ['a', { timestamps: [0, 60, 120], values: [1, 2, 3] }],
    ['b', { timestamps: [60, 120], values: [10, 20] }],
  ]);
  it('keeps operator precedence and parentheses', () => {
    expect(evaluateExpression(parseExpression('1 + 2 * 3'), series, [0]).values).toEqual([7]);
    expect(evaluateExpression(parseExpression('(1 + 2) * 3'), series, [0]).values).toEqual([9]);
    expect(evaluateExpression(parseExpression('-a + 1'), series, [0, 60, 120]).values).toEqual([0, -1, -2]);
  });
  it('aligns series by timestamp, and FILL fills the gaps', () => {
    expect(evaluateExpression(parseExpression('a + b'), series, [0, 60, 120])).toEqual({
      timestamps: [60, 120],
      values: [12, 23],
    });
    expect(evaluateExpression(parseExpression('FILL(b, 0) + a'), series, [0, 60, 120])).toEqual({
      timestamps: [0, 60, 120],
      values: [1, 12, 23],
    });
  });
  it('drops points divided by zero and rejects unknown ids and functions', () => {
    const zero = new Map([['z', { timestamps: [0], values: [0] }], ...series]);
    expect(evaluateExpression(parseExpression('a / z'), zero, [0]).values).toEqual([]);
    expect(() => evaluateExpression(parseExpression('nope * 2'), series, [0])).toThrow(/unknown id 'nope'/);
    expect(() => evaluateExpression(parseExpression('RATE(a)'), series, [0])).toThrow(
      /Unsupported metric math function RATE/,
    );
    expect(() => parseExpression('1 +')).toThrow(/ends too early/);
  });
});

describe('MetricStore', () => {
  const query = (periodSeconds: number) => ({
    namespace: 'AWS/ApplicationELB',
    metricName: 'RequestCount',
    dimensions: [],
    periodSeconds,
    stat: 'Sum',
  });

  it('idealised by default: 1-second data, visible at once', () => {
    const store = new MetricStore(() => 10_500);
    store.put('AWS/ApplicationELB', 'RequestCount', [], 1, 10_200);
    expect(store.query(query(1), 0, 20_000)).toEqual({ timestamps: [10], values: [1] });
  });

  it('as AWS publishes ALB metrics: a minute becomes visible two minutes after it ends, whole', () => {
    let now = 150_000;
    const store = new MetricStore(() => now, {
      periodSeconds: 60,
      publicationDelayMs: 120_000,
      wholePeriods: true,
    });
    store.put('AWS/ApplicationELB', 'RequestCount', [], 1, 61_000);
    store.put('AWS/ApplicationELB', 'RequestCount', [], 1, 119_000);
    expect(store.query(query(60), 0, 400_000).values).toEqual([]);
    now = 239_999;
    expect(store.query(query(60), 0, 400_000).values).toEqual([]);
    now = 240_000;
    expect(store.query(query(60), 0, 400_000)).toEqual({ timestamps: [60], values: [2] });
  });

  it('gives no datapoints for a period that is not a multiple of the native one', () => {
    const store = new MetricStore(() => 1_000_000, {
      periodSeconds: 60,
      publicationDelayMs: 0,
      wholePeriods: true,
    });
    store.put('AWS/ApplicationELB', 'RequestCount', [], 1, 61_000);
    expect(store.query(query(1), 0, 400_000).values).toEqual([]);
    expect(store.query(query(30), 0, 400_000).values).toEqual([]);
    expect(store.query(query(120), 0, 400_000)).toEqual({ timestamps: [0], values: [1] });
  });
});

describe('health-check matchers', () => {
  it.each([
    ['200', 200, true],
    ['200', 204, false],
    ['200,202', 202, true],
    ['200-299', 299, true],
    ['200-299', 301, false],
  ])('%s against %d is %s', (matcher, status, expected) => {
    expect(matches(matcher, status)).toBe(expected);
  });
});
