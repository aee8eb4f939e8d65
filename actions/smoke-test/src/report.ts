/** What a person reads: the summary table, failure details with a curl line, JSON and JUnit reports. */
import { redactUrl } from '../../../packages/shared/src/secrets.js';
import { escapeXml } from '../../../packages/shared/src/xml.js';
import { escapeHtml, htmlTable } from '../../../packages/shared/src/summary.js';
import { truncate } from '../../../packages/shared/src/checks/assertions.js';
import type { Check } from '../../../packages/shared/src/checks/checks.js';
import type { CheckResult } from '../../../packages/shared/src/checks/runner.js';

/** An equivalent curl command line, with secret header values shown as ***. */
export function curlCommand(check: Check): string {
  const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
  const parts = ['curl', '-sS', '-X', check.method, quote(redactUrl(check.url))];
  for (const [name, value] of Object.entries(check.headers))
    parts.push('-H', quote(`${name}: ${check.secretHeaders.has(name) ? '***' : value}`));
  if (check.body !== undefined) parts.push('--data', quote(check.body));
  return parts.join(' ');
}

export function summaryParts(results: CheckResult[], showBody: boolean, title: string): string[] {
  const passed = results.filter((result) => result.passed).length;
  const parts = [`<h2>${escapeHtml(title)}: ${passed}/${results.length} passed</h2>\n`];
  parts.push(
    htmlTable(
      ['check', 'result', 'status', 'latency', 'attempts'],
      results.map((result) => [
        result.check.name,
        result.skipped ? '⏭️ skipped' : result.passed ? '✅ passed' : '❌ failed',
        result.response?.status ?? result.error,
        result.p95Ms !== undefined
          ? `p95 ${result.p95Ms} ms`
          : result.response
            ? `${result.response.latencyMs} ms`
            : undefined,
        result.attempts,
      ]),
    ),
  );
  for (const result of results.filter((candidate) => !candidate.passed && !candidate.skipped)) {
    const lines = result.failures.map(
      (failure) =>
        `<li><b>${escapeHtml(failure.assertion)}</b>: expected ${escapeHtml(failure.expected)}, got ${escapeHtml(failure.actual)}</li>`,
    );
    parts.push(`<h3>❌ ${escapeHtml(result.check.name)}</h3>\n<ul>\n${lines.join('\n')}\n</ul>\n`);
    if (showBody && result.response)
      parts.push(`<p>Response body:</p>\n<pre>${escapeHtml(truncate(result.response.body, 2000))}</pre>\n`);
    parts.push(`<p>Try it:</p>\n<pre>${escapeHtml(curlCommand(result.check))}</pre>\n`);
  }
  return parts;
}

export interface JsonReport {
  passed: number;
  failed: number;
  total: number;
  checks: {
    name: string;
    passed: boolean;
    skipped: boolean;
    url: string;
    status?: number;
    latencyMs?: number;
    p95Ms?: number;
    attempts: number;
    failures: { assertion: string; expected: string; actual: string }[];
  }[];
}

export function jsonReport(results: CheckResult[]): JsonReport {
  return {
    passed: results.filter((result) => result.passed).length,
    failed: results.filter((result) => !result.passed).length,
    total: results.length,
    checks: results.map((result) => ({
      name: result.check.name,
      passed: result.passed,
      skipped: result.skipped === true,
      url: result.check.url,
      status: result.response?.status,
      latencyMs: result.response?.latencyMs,
      p95Ms: result.p95Ms,
      attempts: result.attempts,
      failures: result.failures,
    })),
  };
}

const xml = escapeXml;

export function junitXml(results: CheckResult[], suite: string): string {
  const failed = results.filter((result) => !result.passed && !result.skipped).length;
  const skipped = results.filter((result) => result.skipped).length;
  const cases = results.map((result) => {
    const seconds = ((result.response?.latencyMs ?? 0) / 1000).toFixed(3);
    const open = `  <testcase classname="${xml(suite)}" name="${xml(result.check.name)}" time="${seconds}">`;
    if (result.skipped) return `${open}<skipped/></testcase>`;
    if (result.passed) return `${open}</testcase>`;
    const message = result.failures
      .map((failure) => `${failure.assertion}: expected ${failure.expected}, got ${failure.actual}`)
      .join('; ');
    return `${open}\n    <failure message="${xml(message)}">${xml(curlCommand(result.check))}</failure>\n  </testcase>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="${xml(suite)}" tests="${results.length}" failures="${failed}" skipped="${skipped}">\n${cases.join('\n')}\n</testsuite>\n`;
}
