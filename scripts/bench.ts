/**
 * `npm run bench [-- --quick] [cold-start noticing detection customer-cost api idle-capacity runner-minutes coverage]`: the
 * suite's speed and frugality, as medians of repeated runs with baselines measured in the same run.
 * coverage parses a generated 1,000,000-DA-line LCOV and a 1,000,000-block Go profile (200,000 with
 * --quick), each in its own process so peak RSS is its own, against lcov-parse on the same LCOV.
 * Prints a table per benchmark and writes bench-results/<time>.json (and latest.json).
 * Benchmarks print figures; they never fail on a timing. `--lanes N` runs the deploy benchmarks
 * (the twin's scaled minutes, mostly waiting) N at once, after cold-start and coverage have run
 * alone on a quiet machine; the README's figures come from a run without it.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseGoProfile } from '../actions/coverage-gate/src/formats/go.js';
import { parseLcov } from '../actions/coverage-gate/src/formats/lcov.js';
import { totalsOf, type CoverageMap } from '../actions/coverage-gate/src/model.js';
import {
  apiEconomy,
  coldStart,
  customerCost,
  detection,
  idleCapacity,
  noticing,
  runnerMinutes,
  type BenchResult,
} from './bench/deploys.js';
import { inLanes, lanesFrom } from './lanes.js';

let FILES = 1000;
const PER_FILE = 1000;

async function write(file: string, lines: Iterable<string>): Promise<void> {
  const stream = createWriteStream(file);
  for (const line of lines)
    if (!stream.write(line)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
  await new Promise<void>((resolve) => stream.end(() => resolve()));
}

function* lcovLines(files = FILES): Generator<string> {
  for (let file = 0; file < files; file++) {
    yield `TN:\nSF:src/module${file}/file${file}.ts\n`;
    for (let line = 1; line <= PER_FILE; line++) yield `DA:${line},${(line * 7 + file) % 3}\n`;
    yield `LF:${PER_FILE}\nLH:0\nend_of_record\n`;
  }
}

function* goLines(): Generator<string> {
  yield 'mode: count\n';
  for (let file = 0; file < FILES; file++) {
    for (let block = 0; block < PER_FILE; block++)
      yield `example.com/svc/pkg${file}/file.go:${block * 3 + 1}.2,${block * 3 + 2}.10 ${(block % 4) + 1} ${(block + file) % 2}\n`;
  }
}

async function measure(kind: string, file: string): Promise<void> {
  const started = performance.now();
  let units: number;
  if (kind === 'lcov-parse') {
    const lcovParse = createRequire(import.meta.url)('lcov-parse') as (
      file: string,
      done: (error: unknown, data: { lines: { details: unknown[] } }[]) => void,
    ) => void;
    const data = await new Promise<{ lines: { details: unknown[] } }[]>((resolve, reject) =>
      lcovParse(file, (error, result) => (error ? reject(error) : resolve(result))),
    );
    units = data.reduce((sum, record) => sum + record.lines.details.length, 0);
  } else {
    const map: CoverageMap = new Map();
    if (kind === 'lcov') await parseLcov(file, map, (reported) => reported);
    else await parseGoProfile(file, map, (reported) => reported);
    units = [...map.values()].reduce((sum, entry) => sum + entry.units.size, 0);
    totalsOf(map.values());
  }
  const seconds = (performance.now() - started) / 1000;
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const liveMb = gc ? process.memoryUsage().heapUsed / 2 ** 20 : undefined;
  console.log(
    JSON.stringify({ kind, seconds, peakRssMb: process.resourceUsage().maxRSS / 1024, liveMb, units }),
  );
}

async function coverage(quick: boolean): Promise<BenchResult> {
  if (quick) FILES = 200;
  const dir = mkdtempSync(path.join(tmpdir(), 'mpac-bench-'));
  try {
    const lcov = path.join(dir, 'big.info');
    const go = path.join(dir, 'big.out');
    await write(lcov, lcovLines());
    await write(go, goLines());
    // The report of a monorepo's whole suite: 23,500 files of 1,000 lines, about 200 MB (20 MB quick).
    const huge = path.join(dir, 'huge.info');
    await write(huge, lcovLines(quick ? 2350 : 23_500));
    const hugeMb = statSync(huge).size / 2 ** 20;
    const run = (kind: string, target: string) => {
      const child = spawnSync(process.execPath, [process.argv[1]!, '--measure', kind, target], {
        encoding: 'utf8',
        maxBuffer: 10 * 1024 * 1024,
      });
      if (child.status !== 0) throw new Error(`${kind} failed: ${child.stderr}`);
      return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as {
        kind: string;
        seconds: number;
        peakRssMb: number;
        units: number;
      };
    };
    const ours = run('lcov', lcov);
    const baseline = run('lcov-parse', lcov);
    const goResult = run('go', go);
    const hugeResult = run('lcov', huge);
    const label = (kind: string) =>
      kind === 'lcov' ? 'coverage-gate LCOV' : kind === 'go' ? 'coverage-gate Go' : 'lcov-parse (baseline)';
    return {
      name: `coverage (${FILES * PER_FILE} LCOV lines, ${FILES * PER_FILE} Go blocks)`,
      rows: [ours, baseline, goResult, hugeResult].map((result) => ({
        parser:
          result === hugeResult ? `coverage-gate LCOV, ${hugeMb.toFixed(0)} MB report` : label(result.kind),
        units: result.units,
        seconds: result.seconds.toFixed(2),
        'peak RSS MB': result.peakRssMb.toFixed(0),
      })),
      notes: [
        `coverage-gate LCOV vs lcov-parse: ${(baseline.seconds / ours.seconds).toFixed(2)}× the speed, ${(ours.peakRssMb / baseline.peakRssMb).toFixed(2)}× the peak RSS (goal: ≥ 2× the speed)`,
        `peak RSS: Go profile of ${goResult.units} blocks ${goResult.peakRssMb.toFixed(0)} MB (goal at 1,000,000: ≤ 200 MB); LCOV of ${hugeMb.toFixed(0)} MB ${hugeResult.peakRssMb.toFixed(0)} MB (goal at 200 MB: ≤ 400 MB)`,
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const BENCHES: Record<string, (quick: boolean) => BenchResult | Promise<BenchResult>> = {
  'cold-start': coldStart,
  noticing,
  detection,
  'customer-cost': customerCost,
  api: apiEconomy,
  'idle-capacity': idleCapacity,
  'runner-minutes': runnerMinutes,
  coverage,
};

/** What each deploy benchmark took in CI (--quick, three at a time): the longest start first. */
const TYPICAL_SECONDS: Record<string, number> = {
  'idle-capacity': 95,
  'runner-minutes': 55,
  noticing: 30,
  detection: 27,
  api: 21,
  'customer-cost': 20,
};

/** Benchmarks that time processes of their own (spawnSync): never beside another. */
const RUN_ALONE = new Set(['cold-start', 'coverage']);

function printTable(result: BenchResult, seconds: number): void {
  console.log(`\n## ${result.name} (${seconds.toFixed(0)} s)`);
  const columns = Object.keys(result.rows[0] ?? {});
  console.log(`| ${columns.join(' | ')} |`);
  console.log(`|${columns.map(() => '---').join('|')}|`);
  for (const row of result.rows)
    console.log(`| ${columns.map((column) => String(row[column] ?? '')).join(' | ')} |`);
  for (const note of result.notes) console.log(note);
}

async function main(): Promise<void> {
  const [mode, kind, file] = process.argv.slice(2);
  if (mode === '--measure') return measure(kind!, file!);
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const { lanes, named } = lanesFrom(args, 'bench', 'benchmarks');
  const unknown = named.filter((name) => !(name in BENCHES));
  if (unknown.length > 0) {
    console.log(`No benchmark named ${unknown.join(', ')}; available: ${Object.keys(BENCHES).join(', ')}`);
    process.exit(2);
  }
  const chosen = named.length > 0 ? named : Object.keys(BENCHES);
  console.log(
    `mpac bench${quick ? ' (quick)' : ''}: ${chosen.join(', ')}; medians, baselines measured in this run${lanes > 1 ? `; deploy benchmarks ${lanes} at once` : ''}`,
  );
  const byName = new Map<string, BenchResult>();
  const runOne = async (name: string): Promise<void> => {
    const began = Date.now();
    const result = await BENCHES[name]!(quick);
    byName.set(name, result);
    printTable(result, (Date.now() - began) / 1000);
  };
  // Process timings and peak RSS, measured by blocking child processes: alone, first.
  for (const name of chosen.filter((entry) => RUN_ALONE.has(entry))) await runOne(name);
  await inLanes(
    chosen.filter((entry) => !RUN_ALONE.has(entry)),
    lanes,
    runOne,
    TYPICAL_SECONDS,
  );
  const results = chosen.map((name) => byName.get(name)!);
  const dir = path.join(process.cwd(), 'bench-results');
  mkdirSync(dir, { recursive: true });
  const record = { at: new Date().toISOString(), quick, lanes, node: process.version, results };
  writeFileSync(path.join(dir, `${record.at.replace(/[:.]/g, '-')}.json`), JSON.stringify(record, null, 2));
  writeFileSync(path.join(dir, 'latest.json'), JSON.stringify(record, null, 2));
  console.log(`\nbench-results/latest.json written`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
