/** The job summary: what happened and why, at a glance. */
import { formatDuration } from '../../../packages/shared/src/duration.js';
import { formatPercent } from '../../../packages/shared/src/gates.js';
import {
  details,
  escapeHtml,
  htmlTable,
  keyValueList,
  mermaidLineChart,
} from '../../../packages/shared/src/summary.js';
import type { StepRecord } from './cutover.js';
import type { Diagnostics } from '../../../packages/shared/src/ecs.js';

export interface ReportFacts {
  title: string;
  outcome: string;
  service: string;
  liveColor?: string;
  previousColor?: string;
  taskDefinitionArn?: string;
  previousTaskDefinitionArn?: string;
  testListener?: { color: string; taskDefinitionArn: string };
  failure?: string;
  notices: string[];
  steps: StepRecord[];
  maxErrorRatePercent: number;
  maxP95Ms: number;
  diagnostics?: Diagnostics;
}

export function renderReport(facts: ReportFacts): string[] {
  const parts: string[] = [`<h2>${escapeHtml(facts.title)}</h2>\n`];
  if (facts.failure) parts.push(`<p><b>Why it failed:</b> ${escapeHtml(facts.failure)}</p>\n`);
  parts.push(
    keyValueList([
      ['outcome', facts.outcome],
      ['service', facts.service],
      ['live colour now', facts.liveColor],
      ['live colour before the run', facts.previousColor],
      ['task definition of this run', facts.taskDefinitionArn],
      ['task definition live before the run', facts.previousTaskDefinitionArn],
      ...(facts.testListener
        ? [
            [
              'test listener serves',
              `${facts.testListener.color} (${facts.testListener.taskDefinitionArn})`,
            ] as [string, string],
          ]
        : []),
    ]),
  );
  for (const notice of facts.notices) parts.push(`<p>ℹ️ ${escapeHtml(notice)}</p>\n`);
  if (facts.steps.length > 0) {
    parts.push(
      '<h3>Traffic steps</h3>\n',
      htmlTable(
        ['new colour', 'bake', 'requests', 'error rate', 'p95', 'alarms', 'probes failed', 'verdict'],
        facts.steps.map((step) => [
          `${step.percent} %`,
          formatDuration(step.bakeMs),
          step.metrics?.requests,
          step.metrics?.errorRatePercent === undefined
            ? undefined
            : `${formatPercent(step.metrics.errorRatePercent)} (max ${facts.maxErrorRatePercent} %)`,
          step.metrics?.p95Ms === undefined
            ? undefined
            : `${Math.round(step.metrics.p95Ms)} ms (max ${facts.maxP95Ms} ms)`,
          step.alarmsInAlarm.length ? step.alarmsInAlarm.join(', ') : 'none in ALARM',
          `${step.probes.failed}/${step.probes.sent}`,
          step.verdict === 'failed'
            ? `❌ ${step.reasons.join('; ')}`
            : step.verdict === 'no data'
              ? '⚪ no data'
              : '✅ passed',
        ]),
      ),
    );
    const restored = facts.steps.at(-1)?.verdict === 'failed';
    const labels = [
      'start',
      ...facts.steps.map((step) => `${step.percent} %`),
      ...(restored ? ['restored'] : []),
    ];
    parts.push(
      mermaidLineChart({
        title: 'Traffic on the new colour (%)',
        xLabels: labels,
        yLabel: '%',
        series: [
          {
            name: 'new colour',
            values: [0, ...facts.steps.map((step) => step.percent), ...(restored ? [0] : [])],
          },
        ],
      }),
    );
    const rates = facts.steps.map((step) => step.metrics?.errorRatePercent ?? 0);
    parts.push(
      mermaidLineChart({
        title: 'Error rate of the new colour (%)',
        xLabels: facts.steps.map((step) => `${step.percent} %`),
        yLabel: '% 5xx',
        series: [{ name: 'error rate', values: rates }],
        threshold: facts.maxErrorRatePercent,
      }),
    );
  }
  if (facts.diagnostics) parts.push(...renderDiagnostics(facts.diagnostics));
  return parts;
}

function renderDiagnostics(diagnostics: Diagnostics): string[] {
  const parts = ['<h3>Diagnostics</h3>\n'];
  parts.push(
    details(
      `Stopped tasks (${diagnostics.stoppedTasks.length})`,
      htmlTable(
        ['task', 'stopped reason', 'exit code'],
        diagnostics.stoppedTasks.map((task) => [task.id, task.reason, task.exitCode]),
      ),
      true,
    ),
  );
  parts.push(
    details(
      'Target health',
      htmlTable(
        ['target', 'state', 'reason', 'description'],
        diagnostics.targetHealth.map((target) => [
          target.target,
          target.state,
          target.reason,
          target.description,
        ]),
      ),
      true,
    ),
  );
  parts.push(
    details(
      'Newest service events',
      `<ul>\n${diagnostics.events.map((event) => `<li>${escapeHtml(event)}</li>`).join('\n')}\n</ul>\n`,
      true,
    ),
  );
  return parts;
}
