/**
 * `npm run chaos [-- --quick] [--lanes N] [scenario ...]`: the suite's promises tried under load,
 * cancellation, AWS faults and races, on the local AWS twin (127.0.0.1 only), plus the bad-input
 * table and the secrets scan. Prints one verdict line per scenario with its numbers as it ends, a
 * table in the scenarios' order, and writes chaos-results/<time>.json (and latest.json). Exits 1
 * when a promise did not hold. `--lanes N` runs N scenarios at once (each has its own twin); the
 * bad-input table and the secrets scan, a jest run of their own, always run alone.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { interplay } from './chaos/interplay.js';
import { inLanes, lanesFrom } from './lanes.js';
import { native } from './chaos/native.js';
import { cancel, credentials, faults, load, races, type Size, type Verdict } from './chaos/scenarios.js';

const SCENARIOS: Record<string, (size: Size) => Promise<Verdict>> = {
  load,
  cancel,
  faults,
  races,
  credentials,
  interplay,
  native,
  'inputs-and-secrets': inputsAndSecrets,
};

/** What each scenario took in CI (--quick, three at a time): the longest start first. */
const TYPICAL_SECONDS: Record<string, number> = {
  cancel: 90,
  faults: 70,
  interplay: 62,
  native: 58,
  load: 25,
  races: 25,
  credentials: 13,
};

/** The bad-input table and the secrets scan are jest tests; their counts are summarised here. */
async function inputsAndSecrets(): Promise<Verdict> {
  const out = path.join(tmpdir(), `mpac-chaos-jest-${process.pid}.json`);
  const run = spawnSync(
    'npx',
    [
      'jest',
      'actions/__tests__/bad-inputs.e2e.test.ts',
      'actions/__tests__/secrets.e2e.test.ts',
      '--json',
      `--outputFile=${out}`,
    ],
    {
      encoding: 'utf8',
      env: {
        ...process.env,
        NODE_OPTIONS: '--experimental-vm-modules',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      timeout: 600_000,
    },
  );
  let passed = 0;
  let failed = 0;
  const problems: string[] = [];
  try {
    const report = JSON.parse(readFileSync(out, 'utf8')) as {
      numPassedTests: number;
      numFailedTests: number;
      testResults: { assertionResults: { fullName: string; status: string }[] }[];
    };
    passed = report.numPassedTests;
    failed = report.numFailedTests;
    for (const result of report.testResults)
      for (const assertion of result.assertionResults)
        if (assertion.status === 'failed') problems.push(assertion.fullName);
  } catch {
    problems.push(`jest did not report (exit ${run.status}): ${run.stderr.slice(-500)}`);
  } finally {
    rmSync(out, { force: true });
  }
  return {
    scenario: 'inputs-and-secrets',
    passed: problems.length === 0,
    summary: `bad-input table and secrets scan: ${passed} checks passed, ${failed} failed`,
    numbers: { passed, failed },
    problems,
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const { lanes, named } = lanesFrom(args, 'chaos', 'scenarios');
  const unknown = named.filter((name) => !(name in SCENARIOS));
  if (unknown.length > 0) {
    console.error(`chaos: no scenario ${unknown.join(', ')}; there are ${Object.keys(SCENARIOS).join(', ')}`);
    process.exit(2);
  }
  // The bad-input table and the secrets scan are in npm test already; --quick leaves them to it.
  const chosen =
    named.length > 0
      ? named
      : Object.keys(SCENARIOS).filter((name) => !quick || name !== 'inputs-and-secrets');
  console.log(
    `mpac chaos${quick ? ' (quick)' : ''}: ${chosen.join(', ')}, on the AWS twin (127.0.0.1 only)${lanes > 1 ? `, ${lanes} at once` : ''}\n`,
  );
  const started = Date.now();
  const byName = new Map<string, Verdict & { seconds: number }>();
  const tryOne = async (name: string): Promise<void> => {
    const began = Date.now();
    let result: Verdict;
    try {
      result = await SCENARIOS[name]!({ quick });
    } catch (error) {
      result = {
        scenario: name,
        passed: false,
        summary: 'the scenario itself failed',
        numbers: {},
        problems: [String(error instanceof Error ? error.stack : error)],
      };
    }
    const seconds = (Date.now() - began) / 1000;
    byName.set(name, { ...result, seconds });
    console.log(`${result.passed ? 'PASS' : 'FAIL'} ${name} (${seconds.toFixed(0)} s): ${result.summary}`);
    for (const problem of result.problems) console.log(`     ${problem}`);
  };
  await inLanes(
    chosen.filter((name) => name !== 'inputs-and-secrets'),
    lanes,
    tryOne,
    TYPICAL_SECONDS,
  );
  if (chosen.includes('inputs-and-secrets')) await tryOne('inputs-and-secrets');
  const verdicts = chosen.map((name) => byName.get(name)!);
  console.log('\n| scenario | verdict | seconds | numbers |');
  console.log('|---|---|---|---|');
  for (const entry of verdicts)
    console.log(
      `| ${entry.scenario} | ${entry.passed ? 'pass' : 'FAIL'} | ${entry.seconds.toFixed(0)} | ${Object.entries(
        entry.numbers,
      )
        .map(([key, value]) => `${key} ${value}`)
        .join(', ')} |`,
    );
  const dir = path.join(process.cwd(), 'chaos-results');
  mkdirSync(dir, { recursive: true });
  const record = {
    at: new Date().toISOString(),
    quick,
    lanes,
    seconds: (Date.now() - started) / 1000,
    verdicts,
  };
  const file = path.join(dir, `${record.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(record, null, 2));
  writeFileSync(path.join(dir, 'latest.json'), JSON.stringify(record, null, 2));
  console.log(
    `\n${verdicts.filter((entry) => entry.passed).length} of ${verdicts.length} held, in ${record.seconds.toFixed(0)} s; ${path.relative(process.cwd(), file)}`,
  );
  process.exit(verdicts.every((entry) => entry.passed) ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
