import * as core from '../../../packages/shared/src/runner-commands.js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { systemClock } from '../../../packages/shared/src/clock.js';
import { ActionError, errorMessage, InputError } from '../../../packages/shared/src/errors.js';
import { redactSecrets, registerSecret, registerUrlSecrets } from '../../../packages/shared/src/secrets.js';
import { writeSummary } from '../../../packages/shared/src/summary.js';
import {
  checkSecrets,
  parseChecks,
  type Check,
  type CheckDefaults,
} from '../../../packages/shared/src/checks/checks.js';
import { sendRequest } from '../../../packages/shared/src/checks/http.js';
import { getInputs, type Inputs } from './inputs.js';
import { jsonReport, junitXml, summaryParts } from './report.js';
import { runCheck, runChecks, type RunOptions } from '../../../packages/shared/src/checks/runner.js';
import { setOutput } from '../../../packages/shared/src/outputs.js';

export async function run(inputs: Inputs = getInputs()): Promise<void> {
  const defaults: CheckDefaults = {
    baseUrl: inputs['base-url'],
    hostHeader: inputs['host-header'],
    vars: inputs.vars,
  };
  const checks = loadChecks(inputs, defaults);
  const waitFor = inputs['wait-for'] ? parseChecks(inputs['wait-for'], 'wait-for', defaults)[0] : undefined;
  registerUrlSecrets(inputs['base-url']);
  for (const check of [...checks, ...(waitFor ? [waitFor] : [])])
    for (const secret of checkSecrets(check)) registerSecret(secret);

  const options: RunOptions = {
    requestTimeoutMs: inputs['request-timeout'],
    retries: inputs.retries,
    retryOnStatus: inputs['retry-on-status'],
    retryOnAssertion: inputs['retry-on-assertion'],
    failFast: inputs['fail-fast'],
    concurrency: inputs.concurrency,
    clock: systemClock,
    random: Math.random,
    send: (request, timeoutMs) => sendRequest(request, timeoutMs),
    log: (line) => core.info(line),
  };
  const deadline = systemClock.now() + inputs.timeout;

  if (waitFor) {
    core.info(`Waiting for ${waitFor.name} (${waitFor.url}) to pass`);
    const ready = await runCheck(waitFor, options, deadline, true);
    if (!ready.passed) {
      await writeSummary(summaryParts([ready], inputs['show-body'], 'Smoke tests: never ready'));
      const first = ready.failures[0];
      throw new ActionError(
        `wait-for check '${waitFor.name}' never passed within the timeout (${ready.attempts} attempts; last: ${first ? `${first.assertion} expected ${first.expected}, got ${first.actual}` : 'no answer'})`,
      );
    }
    core.info(`${waitFor.name} passed after ${ready.attempts} attempts`);
  }

  const results = await runChecks(checks, options, deadline);
  for (const result of results) {
    core.info(
      `${result.passed ? 'PASS' : result.skipped ? 'SKIP' : 'FAIL'} ${result.check.name} (${result.attempts} attempts)`,
    );
  }
  const report = jsonReport(results);
  // The results come first (summary and outputs): a report that cannot be written never hides them.
  await writeSummary(summaryParts(results, inputs['show-body'], 'Smoke tests'));
  setOutput('passed', String(report.passed));
  setOutput('failed', String(report.failed));
  setOutput('total', String(report.total));
  const reportPath = path.join(process.env.RUNNER_TEMP ?? process.cwd(), 'smoke-test-report.json');
  writeFileSync(reportPath, redactSecrets(JSON.stringify(report, null, 2)));
  setOutput('report', reportPath);
  if (inputs.junit) writeReport('junit', inputs.junit, redactSecrets(junitXml(results, 'smoke-test')));
  if (report.failed > 0) {
    const names = results.filter((result) => !result.passed).map((result) => result.check.name);
    throw new ActionError(`${report.failed} of ${report.total} smoke checks failed: ${names.join(', ')}`);
  }
}

/** Writes a report, creating its folder; a failure names the input and the path. */
function writeReport(input: string, file: string, text: string): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  } catch (error) {
    throw new InputError(
      input,
      `could not be written to ${file}: ${errorMessage(error)}`,
      'reports/smoke-junit.xml',
    );
  }
}

function loadChecks(inputs: Inputs, defaults: CheckDefaults): Check[] {
  const checks: Check[] = [];
  if (inputs.url)
    checks.push(
      ...parseChecks(
        JSON.stringify([{ name: inputs.url, url: inputs.url, expect: { status: 200 } }]),
        'url',
        defaults,
      ),
    );
  if (inputs.checks) checks.push(...parseChecks(inputs.checks, 'checks', defaults));
  if (inputs['checks-file']) {
    let text: string;
    try {
      text = readFileSync(inputs['checks-file'], 'utf8');
    } catch {
      throw new InputError(
        'checks-file',
        `points to ${inputs['checks-file']}, which cannot be read`,
        '.github/smoke/checks.yml',
      );
    }
    checks.push(...parseChecks(text, 'checks-file', defaults));
  }
  return checks;
}
