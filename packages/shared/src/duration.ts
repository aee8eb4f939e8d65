const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;
type Unit = keyof typeof UNIT_MS;
const UNIT_ORDER: Unit[] = ['d', 'h', 'm', 's', 'ms'];
const COMPONENT = /(\d+(?:\.\d+)?)(ms|d|h|m|s)/gy;

export class DurationSyntaxError extends Error {}

/**
 * Parses `250ms`, `30s`, `5m`, `1h`, `1h30m`, `2d` or plain seconds (`90`, `1.5`) into milliseconds.
 * Units must appear largest first and at most once; negatives, empty text and garbage are rejected.
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (trimmed === '') throw new DurationSyntaxError('is empty');
  if (trimmed.startsWith('-')) throw new DurationSyntaxError(`is negative ('${text}')`);
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);

  let total = 0;
  let lastUnitIndex = -1;
  COMPONENT.lastIndex = 0;
  let position = 0;
  while (position < trimmed.length) {
    COMPONENT.lastIndex = position;
    const match = COMPONENT.exec(trimmed);
    if (!match) throw new DurationSyntaxError(`is not a duration ('${text}')`);
    const unit = match[2] as Unit;
    const unitIndex = UNIT_ORDER.indexOf(unit);
    if (unitIndex <= lastUnitIndex) {
      throw new DurationSyntaxError(
        `has units out of order or repeated ('${text}'); write them largest first`,
      );
    }
    lastUnitIndex = unitIndex;
    total += Number(match[1]) * UNIT_MS[unit];
    position = COMPONENT.lastIndex;
  }
  return Math.round(total);
}

/** Formats milliseconds as the shortest exact duration text (`1h30m`, `250ms`, `0s`). */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  let remaining = Math.round(ms);
  let text = '';
  for (const unit of UNIT_ORDER) {
    const size = UNIT_MS[unit];
    const count = Math.floor(remaining / size);
    if (count > 0) {
      text += `${count}${unit}`;
      remaining -= count * size;
    }
  }
  return text;
}
