/**
 * `npm run bench -- coverage`: parse a generated 1,000,000-DA-line LCOV and a 1,000,000-block Go
 * profile; print seconds and peak RSS of each, and the ratio against lcov-parse on the same LCOV,
 * measured in the same run. Each measurement runs in its own process so peak RSS is its own.
 * Benchmarks print figures; they never fail on a timing.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseGoProfile } from '../actions/coverage-gate/src/formats/go.js';
import { parseLcov } from '../actions/coverage-gate/src/formats/lcov.js';
import { totalsOf, type CoverageMap } from '../actions/coverage-gate/src/model.js';

const FILES = 1000;
const PER_FILE = 1000;

async function write(file: string, lines: Iterable<string>): Promise<void> {
  const stream = createWriteStream(file);
  for (const line of lines)
    if (!stream.write(line)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
  await new Promise<void>((resolve) => stream.end(() => resolve()));
}

function* lcovLines(): Generator<string> {
  for (let file = 0; file < FILES; file++) {
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
  console.log(JSON.stringify({ kind, seconds, peakRssMb: process.resourceUsage().maxRSS / 1024, units }));
}

async function main(): Promise<void> {
  const [mode, kind, file] = process.argv.slice(2);
  if (mode === '--measure') return measure(kind!, file!);
  const only = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
  if (only.length > 0 && !only.includes('coverage')) {
    console.log(`No benchmark named ${only.join(', ')}; available: coverage`);
    return;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'mpac-bench-'));
  try {
    const lcov = path.join(dir, 'big.info');
    const go = path.join(dir, 'big.out');
    await write(lcov, lcovLines());
    await write(go, goLines());
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
    console.log(`coverage benchmark: ${FILES * PER_FILE} DA lines of LCOV, ${FILES * PER_FILE} Go blocks`);
    console.log('| parser | units | seconds | peak RSS (MB) |');
    console.log('|---|---|---|---|');
    for (const result of [ours, baseline, goResult]) {
      console.log(
        `| ${result.kind === 'lcov' ? 'coverage-gate LCOV' : result.kind === 'go' ? 'coverage-gate Go' : 'lcov-parse (baseline)'} | ${result.units} | ${result.seconds.toFixed(2)} | ${result.peakRssMb.toFixed(0)} |`,
      );
    }
    console.log(
      `coverage-gate LCOV vs lcov-parse: ${(ours.seconds / baseline.seconds).toFixed(2)}× the time, ${(ours.peakRssMb / baseline.peakRssMb).toFixed(2)}× the peak RSS`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
