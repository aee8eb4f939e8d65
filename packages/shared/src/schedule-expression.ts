/**
 * EventBridge schedule expressions, as EventBridge Scheduler and EventBridge rules read them:
 * `cron(minutes hours day-of-month month day-of-week year)`, `rate(value unit)` and (Scheduler only)
 * `at(yyyy-mm-ddThh:mm:ss)`, and when each next fires. Cron fields take `*`, lists, ranges, steps and
 * names; day-of-month `L`, `W` and `nW`, day-of-week `L` (`6L`: the last Friday) and `#` (`2#1`: the
 * first Monday); one of the two day fields must be `?`. Day-of-week counts 1 = Sunday … 7 = Saturday.
 * Times are wall-clock in the schedule's time zone (IANA name; UTC when none).
 */

export type ScheduleExpression =
  | { kind: 'cron'; text: string; cron: Cron }
  | { kind: 'rate'; text: string; everyMs: number }
  | { kind: 'at'; text: string; wallClock: WallClock };

interface Cron {
  minutes: Set<number>;
  hours: Set<number>;
  months: Set<number>;
  years: Set<number> | 'any';
  /** Whether a day (year, month 1-12, day 1-31) matches the day-of-month or day-of-week field. */
  day: (year: number, month: number, day: number) => boolean;
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const UNITS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** Reads a schedule expression; throws an Error that says what is wrong with it. */
export function parseScheduleExpression(text: string): ScheduleExpression {
  const trimmed = text.trim();
  const rate = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(trimmed);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2]!;
    if (value < 1) throw new Error(`${text}: a rate must be at least 1 ${unit.replace(/s$/, '')}`);
    if ((value === 1) !== !unit.endsWith('s'))
      throw new Error(
        `${text}: write rate(1 ${unit.replace(/s$/, '')}) for one, rate(${value} ${unit.replace(/s?$/, 's')}) for more`,
      );
    return { kind: 'rate', text: trimmed, everyMs: value * UNITS[unit.replace(/s$/, '')]! };
  }
  const at = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/.exec(trimmed);
  if (at) {
    const [year, month, day, hour, minute, second] = at.slice(1).map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    if (
      month < 1 ||
      month > 12 ||
      day < 1 ||
      day > daysIn(year, month) ||
      hour > 23 ||
      minute > 59 ||
      second > 59
    )
      throw new Error(`${text}: not a date and time (at(yyyy-mm-ddThh:mm:ss))`);
    return { kind: 'at', text: trimmed, wallClock: { year, month, day, hour, minute, second } };
  }
  const cron = /^cron\((.*)\)$/.exec(trimmed);
  if (!cron)
    throw new Error(
      `${text}: not a schedule expression; write cron(minutes hours day-of-month month day-of-week year), rate(5 minutes) or at(2026-12-24T03:00:00)`,
    );
  return { kind: 'cron', text: trimmed, cron: parseCron(text, cron[1]!.trim().split(/\s+/)) };
}

function parseCron(text: string, fields: string[]): Cron {
  if (fields.length !== 6)
    throw new Error(
      `${text}: a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), not ${fields.length}`,
    );
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if ((dayOfMonth === '?') === (dayOfWeek === '?'))
    throw new Error(`${text}: exactly one of day-of-month and day-of-week must be ?`);
  const field = (value: string, name: string, low: number, high: number, names?: string[]) => {
    try {
      return numbers(value, low, high, names);
    } catch (error) {
      throw new Error(`${text}: ${name} ${(error as Error).message}`, { cause: error });
    }
  };
  return {
    minutes: field(minutes, 'minutes', 0, 59),
    hours: field(hours, 'hours', 0, 23),
    months: field(month, 'month', 1, 12, MONTHS),
    years: year === '*' ? 'any' : field(year, 'year', 1970, 2199),
    day: dayOfMonth === '?' ? weekdayMatcher(text, dayOfWeek) : monthDayMatcher(text, dayOfMonth),
  };
}

/** The numbers a field (`*`, `a`, `a-b`, `*` or a range with `/step`, lists of them) stands for. */
function numbers(value: string, low: number, high: number, names?: string[]): Set<number> {
  const result = new Set<number>();
  const number = (token: string) => {
    const index = names?.indexOf(token.toUpperCase()) ?? -1;
    const parsed = index >= 0 ? index + 1 : /^\d+$/.test(token) ? Number(token) : NaN;
    if (!(parsed >= low && parsed <= high)) throw new Error(`'${token}' is not ${low}-${high}`);
    return parsed;
  };
  for (const part of value.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`'${part}' has a bad step`);
    let from: number;
    let to: number;
    if (range === '*') [from, to] = [low, high];
    else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      [from, to] = [number(a), number(b)];
      if (from > to) throw new Error(`'${part}' runs backwards`);
    } else {
      from = number(range);
      to = stepText === undefined ? from : high;
    }
    for (let item = from; item <= to; item += step) result.add(item);
  }
  return result;
}

function monthDayMatcher(text: string, value: string): Cron['day'] {
  if (value === 'L') return (year, month, day) => day === daysIn(year, month);
  if (value === 'LW') return (year, month, day) => day === nearestWeekday(year, month, daysIn(year, month));
  const weekday = /^(\d{1,2})W$/.exec(value);
  if (weekday) {
    const wanted = Number(weekday[1]);
    if (wanted < 1 || wanted > 31) throw new Error(`${text}: day-of-month '${value}' is not 1-31`);
    return (year, month, day) => wanted <= daysIn(year, month) && day === nearestWeekday(year, month, wanted);
  }
  let days: Set<number>;
  try {
    days = numbers(value, 1, 31);
  } catch (error) {
    throw new Error(`${text}: day-of-month ${(error as Error).message}`, { cause: error });
  }
  return (_year, _month, day) => days.has(day);
}

function weekdayMatcher(text: string, value: string): Cron['day'] {
  const nth = /^(\w{1,3})#([1-5])$/.exec(value);
  const last = /^(\w{1,3})L$/.exec(value);
  const one = (token: string) => {
    try {
      return [...numbers(token, 1, 7, WEEKDAYS)][0]!;
    } catch (error) {
      throw new Error(`${text}: day-of-week ${(error as Error).message}`, { cause: error });
    }
  };
  if (nth) {
    const [weekday, which] = [one(nth[1]!), Number(nth[2])];
    return (year, month, day) => weekdayOf(year, month, day) === weekday && Math.ceil(day / 7) === which;
  }
  if (value === 'L') return (year, month, day) => weekdayOf(year, month, day) === 7;
  if (last) {
    const weekday = one(last[1]!);
    return (year, month, day) => weekdayOf(year, month, day) === weekday && day + 7 > daysIn(year, month);
  }
  let weekdays: Set<number>;
  try {
    weekdays = numbers(value, 1, 7, WEEKDAYS);
  } catch (error) {
    throw new Error(`${text}: day-of-week ${(error as Error).message}`, { cause: error });
  }
  return (year, month, day) => weekdays.has(weekdayOf(year, month, day));
}

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();
/** 1 = Sunday … 7 = Saturday. */
const weekdayOf = (year: number, month: number, day: number) =>
  new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;

function nearestWeekday(year: number, month: number, day: number): number {
  const weekday = weekdayOf(year, month, day);
  if (weekday === 7) return day === 1 ? day + 2 : day - 1;
  if (weekday === 1) return day === daysIn(year, month) ? day - 2 : day + 1;
  return day;
}

/**
 * When the expression next fires strictly after `after` (a rate: after its start, every period),
 * or undefined when it never will again (an `at` in the past, a cron whose years are over).
 */
export function nextRun(
  expression: ScheduleExpression,
  after: Date,
  options: { timezone?: string; start?: Date } = {},
): Date | undefined {
  const zone = options.timezone || 'UTC';
  if (expression.kind === 'rate') {
    const start = (options.start ?? after).getTime();
    if (after.getTime() < start) return new Date(start);
    return new Date(
      start + (Math.floor((after.getTime() - start) / expression.everyMs) + 1) * expression.everyMs,
    );
  }
  if (expression.kind === 'at') {
    const at = fromWallClock(expression.wallClock, zone);
    return at.getTime() > after.getTime() ? at : undefined;
  }
  const { cron } = expression;
  // Search wall-clock days from the day `after` falls on, for at most five years.
  const from = toWallClock(after, zone);
  const cursor = new Date(Date.UTC(from.year, from.month - 1, from.day));
  for (let days = 0; days < 5 * 366; days++, cursor.setUTCDate(cursor.getUTCDate() + 1)) {
    const [year, month, day] = [cursor.getUTCFullYear(), cursor.getUTCMonth() + 1, cursor.getUTCDate()];
    if (cron.years !== 'any' && !cron.years.has(year)) {
      if ([...cron.years].every((wanted) => wanted < year)) return undefined;
      continue;
    }
    if (!cron.months.has(month) || !cron.day(year, month, day)) continue;
    for (const hour of [...cron.hours].sort((a, b) => a - b))
      for (const minute of [...cron.minutes].sort((a, b) => a - b)) {
        const at = fromWallClock({ year, month, day, hour, minute, second: 0 }, zone);
        if (at.getTime() > after.getTime()) return at;
      }
  }
  return undefined;
}

function toWallClock(at: Date, zone: string): WallClock {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
      .formatToParts(at)
      .filter((part) => part.type !== 'literal')
      .map((part) => [part.type, Number(part.value)]),
  ) as Record<string, number>;
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
  };
}

/** The instant a wall-clock time in `zone` names (the zone's offset read at that instant). */
function fromWallClock(wall: WallClock, zone: string): Date {
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  const offsetAt = (instant: number) => {
    const seen = toWallClock(new Date(instant), zone);
    return Date.UTC(seen.year, seen.month - 1, seen.day, seen.hour, seen.minute, seen.second) - instant;
  };
  const first = asUtc - offsetAt(asUtc);
  return new Date(asUtc - offsetAt(first));
}

/** Whether a string is an IANA time zone this Node knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
