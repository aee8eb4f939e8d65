import { describe, expect, it } from '@jest/globals';
import { nextRun, parseScheduleExpression } from '../src/schedule-expression.js';

const next = (expression: string, after: string, timezone?: string) =>
  nextRun(parseScheduleExpression(expression), new Date(after), { timezone })?.toISOString();

describe('schedule expressions', () => {
  it('finds the next daily run, in UTC and in the schedule’s own time zone', () => {
    expect(next('cron(0 3 * * ? *)', '2026-12-03T08:00:00Z')).toBe('2026-12-04T03:00:00.000Z');
    expect(next('cron(0 3 * * ? *)', '2026-12-03T02:59:00Z')).toBe('2026-12-03T03:00:00.000Z');
    // 03:00 in Tokyo is 18:00 UTC the day before.
    expect(next('cron(0 3 * * ? *)', '2026-12-03T08:00:00Z', 'Asia/Tokyo')).toBe('2026-12-03T18:00:00.000Z');
    // Across the change to summer time in Berlin (29 March 2026): 03:30 local is 01:30 UTC.
    expect(next('cron(30 3 * * ? *)', '2026-03-28T12:00:00Z', 'Europe/Berlin')).toBe(
      '2026-03-29T01:30:00.000Z',
    );
  });

  it('reads days of the week (1 = Sunday), names, lists, ranges, steps, L, W and #', () => {
    // 2026-12-03 is a Thursday.
    expect(next('cron(0 9 ? * MON-FRI *)', '2026-12-04T10:00:00Z')).toBe('2026-12-07T09:00:00.000Z');
    expect(next('cron(0 9 ? * 1 *)', '2026-12-03T00:00:00Z')).toBe('2026-12-06T09:00:00.000Z');
    expect(next('cron(0/15 * * * ? *)', '2026-12-03T08:16:00Z')).toBe('2026-12-03T08:30:00.000Z');
    expect(next('cron(0 0 L * ? *)', '2026-02-03T00:00:00Z')).toBe('2026-02-28T00:00:00.000Z');
    expect(next('cron(0 0 ? * 6L *)', '2026-12-01T00:00:00Z')).toBe('2026-12-25T00:00:00.000Z');
    expect(next('cron(0 0 ? * 2#1 *)', '2026-12-08T00:00:00Z')).toBe('2027-01-04T00:00:00.000Z');
    expect(next('cron(0 0 ? * 2#1 *)', '2026-12-03T00:00:00Z')).toBe('2026-12-07T00:00:00.000Z');
    // The 1st of August 2026 is a Saturday: the nearest weekday in the month is Monday the 3rd.
    expect(next('cron(0 0 1W * ? *)', '2026-07-15T00:00:00Z')).toBe('2026-08-03T00:00:00.000Z');
    expect(next('cron(0 12 1 JAN,JUL ? 2027)', '2026-12-03T00:00:00Z')).toBe('2027-01-01T12:00:00.000Z');
    expect(next('cron(0 12 1 1 ? 2025)', '2026-12-03T00:00:00Z')).toBeUndefined();
  });

  it('runs a rate every period from its start, and an at() once', () => {
    const rate = parseScheduleExpression('rate(5 minutes)');
    expect(
      nextRun(rate, new Date('2026-12-03T08:07:00Z'), {
        start: new Date('2026-12-03T08:00:00Z'),
      })?.toISOString(),
    ).toBe('2026-12-03T08:10:00.000Z');
    expect(next('at(2026-12-24T03:00:00)', '2026-12-03T00:00:00Z')).toBe('2026-12-24T03:00:00.000Z');
    expect(next('at(2026-12-24T03:00:00)', '2026-12-25T00:00:00Z')).toBeUndefined();
  });

  it('says what is wrong with an expression it cannot read', () => {
    const problem = (text: string) => {
      try {
        parseScheduleExpression(text);
        return 'read';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(problem('cron(0 3 * * * *)')).toBe(
      'cron(0 3 * * * *): exactly one of day-of-month and day-of-week must be ?',
    );
    expect(problem('cron(0 3 * * ?)')).toMatch(/has 6 fields .* not 5/);
    expect(problem('cron(0 24 * * ? *)')).toBe("cron(0 24 * * ? *): hours '24' is not 0-23");
    expect(problem('rate(1 minutes)')).toBe(
      'rate(1 minutes): write rate(1 minute) for one, rate(1 minutes) for more',
    );
    expect(problem('daily at 3')).toMatch(/^daily at 3: not a schedule expression; write cron\(/);
    expect(problem('at(2026-02-30T03:00:00)')).toMatch(/not a date and time/);
  });
});
