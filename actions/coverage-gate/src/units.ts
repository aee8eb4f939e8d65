/**
 * A file's coverage units, held compactly: memory grows with the number of units, not with the
 * bytes of the reports. Lines are hits in a typed array indexed by line number; Go blocks are
 * numbers packed from their span, pointing into typed arrays of weights and hits; anything else
 * (a unit a report names only by a summary) is keyed by text.
 */

export interface Unit {
  weight: number;
  hits: number;
}

export interface Span {
  start: { line: number; column: number };
  end: { line: number; column: number };
}

/** Lines past this many beyond the highest line so far are kept apart (a stray DA:99999999). */
const DENSE_SLACK = 65_536;

export class Units {
  /** Hits by line number; NaN where there is no line unit. */
  private lineHits = new Float64Array(0);
  private lineUnits = 0;
  private readonly farLines = new Map<number, number>();
  /** Block (or keyed) unit → slot in `weights` and `hits`. */
  private readonly slots = new Map<number | string, number>();
  private weights = new Float64Array(0);
  private hits = new Float64Array(0);
  private freeSlots = 0;

  get size(): number {
    return this.lineUnits + this.farLines.size + this.slots.size;
  }

  /** A line unit (weight 1); hits add up over reports. */
  addLine(line: number, hits: number): void {
    if (!Number.isSafeInteger(line) || line < 0 || (this.farLines.size > 0 && this.farLines.has(line))) {
      this.farLines.set(line, (this.farLines.get(line) ?? 0) + hits);
      return;
    }
    if (line >= this.lineHits.length) {
      // Dense only while the lines are: an array at most four times the units (and some slack).
      if (line > 4 * this.lineUnits + DENSE_SLACK) {
        this.farLines.set(line, hits);
        return;
      }
      this.growLines(line + 1);
    }
    const before = this.lineHits[line]!;
    if (Number.isNaN(before)) {
      this.lineUnits++;
      this.lineHits[line] = hits;
    } else this.lineHits[line] = before + hits;
  }

  /** The hits of a line unit, or undefined when the file has none at that line. */
  line(line: number): number | undefined {
    const hits = line < this.lineHits.length ? this.lineHits[line]! : Number.NaN;
    if (!Number.isNaN(hits)) return hits;
    return this.farLines.get(line);
  }

  /**
   * A Go block (weighted by its statements); the same span adds up its hits. The weight it already
   * has, when another report gave it a different one (the caller reports the disagreement).
   */
  addBlock(span: Span, weight: number, hits: number): number | undefined {
    return this.addSpan(span.start.line, span.start.column, span.end.line, span.end.column, weight, hits);
  }

  /** addBlock without building a span (a profile has a million blocks). */
  addSpan(
    startLine: number,
    startColumn: number,
    endLine: number,
    endColumn: number,
    weight: number,
    hits: number,
  ): number | undefined {
    const packed = packSpan(startLine, startColumn, endLine, endColumn);
    return this.addSlot(
      packed ??
        spanText({
          start: { line: startLine, column: startColumn },
          end: { line: endLine, column: endColumn },
        }),
      weight,
      hits,
    );
  }

  /** A unit named by text (`S…`): as a block. */
  addKeyed(key: string, weight: number, hits: number): number | undefined {
    return this.addSlot(`K${key}`, weight, hits);
  }

  [Symbol.iterator](): Generator<[string, Unit]> {
    return this.entries();
  }

  /** Every unit as `[key, {weight, hits}]`: `L<line>` in line order, then `B<span>` and keyed ones. */
  *entries(): Generator<[string, Unit]> {
    for (const [line, hits] of this.lines()) yield [`L${line}`, { weight: 1, hits }];
    for (const [key, slot] of this.slots)
      yield [keyText(key), { weight: this.weights[slot]!, hits: this.hits[slot]! }];
  }

  /** Line units in line order: [line, hits]. */
  *lines(): Generator<[number, number]> {
    if (this.farLines.size > 0) {
      const all: [number, number][] = [...this.farLines];
      for (let line = 0; line < this.lineHits.length; line++)
        if (!Number.isNaN(this.lineHits[line]!)) all.push([line, this.lineHits[line]!]);
      yield* all.sort(([a], [b]) => a - b);
      return;
    }
    for (let line = 0; line < this.lineHits.length; line++) {
      const hits = this.lineHits[line]!;
      if (!Number.isNaN(hits)) yield [line, hits];
    }
  }

  /** Go blocks: their span and counts. */
  *blocks(): Generator<Span & Unit> {
    for (const [key, slot] of this.slots) {
      const span = typeof key === 'number' ? unpackSpan(key) : parseSpanText(key);
      if (span) yield { ...span, weight: this.weights[slot]!, hits: this.hits[slot]! };
    }
  }

  /** Total weight and covered weight, without building a unit. */
  totals(): { covered: number; total: number } {
    let covered = 0;
    let total = 0;
    for (let line = 0; line < this.lineHits.length; line++) {
      const hits = this.lineHits[line]!;
      if (Number.isNaN(hits)) continue;
      total++;
      if (hits > 0) covered++;
    }
    for (const hits of this.farLines.values()) {
      total++;
      if (hits > 0) covered++;
    }
    for (const slot of this.slots.values()) {
      total += this.weights[slot]!;
      if (this.hits[slot]! > 0) covered += this.weights[slot]!;
    }
    return { covered, total };
  }

  /** Drops line units past `last` and blocks that end past it; the lines (or block ends) dropped. */
  dropPast(last: number): number[] {
    const dropped: number[] = [];
    for (let line = last + 1; line < this.lineHits.length; line++)
      if (!Number.isNaN(this.lineHits[line]!)) {
        this.lineHits[line] = Number.NaN;
        this.lineUnits--;
        dropped.push(line);
      }
    for (const line of [...this.farLines.keys()])
      if (line > last) {
        this.farLines.delete(line);
        dropped.push(line);
      }
    for (const key of [...this.slots.keys()]) {
      const span = typeof key === 'number' ? unpackSpan(key) : parseSpanText(key);
      if (span && span.end.line > last) {
        this.slots.delete(key);
        dropped.push(span.end.line);
      }
    }
    return dropped;
  }

  private addSlot(key: number | string, weight: number, hits: number): number | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) {
      if (this.freeSlots === this.weights.length) this.growSlots();
      const fresh = this.freeSlots++;
      this.weights[fresh] = weight;
      this.hits[fresh] = hits;
      this.slots.set(key, fresh);
      return undefined;
    }
    if (this.weights[slot] !== weight) return this.weights[slot];
    this.hits[slot]! += hits;
    return undefined;
  }

  private growLines(length: number): void {
    const doubled = Math.min(this.lineHits.length * 2, 4 * this.lineUnits + DENSE_SLACK + 1);
    const grown = new Float64Array(Math.max(length, doubled, 64)).fill(Number.NaN);
    grown.set(this.lineHits);
    this.lineHits = grown;
  }

  private growSlots(): void {
    const size = Math.max(16, this.weights.length * 2);
    const weights = new Float64Array(size);
    weights.set(this.weights);
    const hits = new Float64Array(size);
    hits.set(this.hits);
    this.weights = weights;
    this.hits = hits;
  }
}

// A span packed into one number: start line (21 bits), start column (11), end line - start line
// (10), end column (11): 53 bits, exact in a double. Larger spans are kept as text.
const COLUMN = 2 ** 11;
const LINES = 2 ** 10;

function packSpan(
  startLine: number,
  startColumn: number,
  endLine: number,
  endColumn: number,
): number | undefined {
  const lines = endLine - startLine;
  if (startLine >= 2 ** 21 || startColumn >= COLUMN || endColumn >= COLUMN || lines < 0 || lines >= LINES)
    return undefined;
  return ((startLine * COLUMN + startColumn) * LINES + lines) * COLUMN + endColumn;
}

function unpackSpan(packed: number): Span {
  const endColumn = packed % COLUMN;
  let rest = (packed - endColumn) / COLUMN;
  const lines = rest % LINES;
  rest = (rest - lines) / LINES;
  const startColumn = rest % COLUMN;
  const startLine = (rest - startColumn) / COLUMN;
  return {
    start: { line: startLine, column: startColumn },
    end: { line: startLine + lines, column: endColumn },
  };
}

function spanText({ start, end }: Span): string {
  return `B${start.line}.${start.column}-${end.line}.${end.column}`;
}

function parseSpanText(key: string): Span | undefined {
  const match = /^B(\d+)\.(\d+)-(\d+)\.(\d+)$/.exec(key);
  if (!match) return undefined;
  return {
    start: { line: Number(match[1]), column: Number(match[2]) },
    end: { line: Number(match[3]), column: Number(match[4]) },
  };
}

function keyText(key: number | string): string {
  if (typeof key === 'number') return spanText(unpackSpan(key));
  return key.startsWith('K') ? key.slice(1) : key;
}
