/** The job summary: what happened and why, at a glance. */
import { formatDuration } from '../../../packages/shared/src/duration.js';
import { formatPercent, type Aggregate } from '../../../packages/shared/src/signals/analysis.js';
import { otherColor } from '../../../packages/shared/src/traffic.js';
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
  /** How the steps name the two sides (default their colours; ecs-native: the revisions). */
  sideNames?: { new: string; old: string };
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
  if (facts.steps.length > 0) parts.push(...renderSteps(facts));
  if (facts.diagnostics) parts.push(...renderDiagnostics(facts.diagnostics));
  return parts;
}

const VERDICTS: Record<StepRecord['verdict'], string> = {
  passed: '✅ passed',
  failed: '❌ failed',
  inconclusive: '⚪ inconclusive',
  'no data': '⚪ no data (passed: no-data is pass)',
};

const rate = (aggregate?: Aggregate) =>
  aggregate?.errorRatePercent === undefined ? '—' : formatPercent(aggregate.errorRatePercent);
const latency = (aggregate?: Aggregate) =>
  aggregate?.p95Ms === undefined ? '—' : `${Math.round(aggregate.p95Ms)} ms`;

/** Per step: what was seen of both colours, how much evidence, the verdict and why; charts of both colours. */
function renderSteps(facts: ReportFacts): string[] {
  const newColor = facts.sideNames?.new ?? facts.steps[0]!.newColor;
  const oldColor = facts.sideNames?.old ?? otherColor(facts.steps[0]!.newColor);
  const parts = [
    '<h3>Traffic steps</h3>\n',
    htmlTable(
      [
        `on ${newColor}`,
        'watched',
        'periods',
        `requests ${newColor} / ${oldColor}`,
        `5xx ${newColor} / ${oldColor}`,
        `p95 ${newColor} / ${oldColor}`,
        'probes failed',
        'alarms',
        'evidence',
        'verdict',
      ],
      facts.steps.map((step) => [
        `${step.percent} %`,
        formatDuration(step.bakedMs),
        step.canary?.periods ?? 0,
        `${step.canary?.requests ?? 0} / ${step.baseline?.requests ?? 0}`,
        `${rate(step.canary)} / ${rate(step.baseline)} (max ${facts.maxErrorRatePercent} %)`,
        `${latency(step.canary)} / ${latency(step.baseline)} (max ${facts.maxP95Ms} ms)`,
        step.probes.sent ? `${step.probes.failed}/${step.probes.sent}` : 'no probe',
        step.alarmReads ? step.alarmsInAlarm.join(', ') || 'none in ALARM' : 'no alarm',
        step.evidence,
        `${VERDICTS[step.verdict]}${step.reasons.length ? `: ${step.reasons.join('; ')}` : ''}${step.comparison ? ` (${step.comparison})` : ''}`,
      ]),
    ),
  ];
  const restored = facts.steps.at(-1)!.verdict === 'failed' || facts.steps.at(-1)!.verdict === 'inconclusive';
  const labels = [
    'start',
    ...facts.steps.map((step) => `${step.percent} %`),
    ...(restored ? ['restored'] : []),
  ];
  parts.push(
    mermaidLineChart({
      title: `Traffic on ${newColor} (%)`,
      xLabels: labels,
      yLabel: '%',
      series: [
        { name: newColor, values: [0, ...facts.steps.map((step) => step.percent), ...(restored ? [0] : [])] },
      ],
    }),
  );
  const stepLabels = facts.steps.map((step) => `${step.percent} %`);
  parts.push(
    mermaidLineChart({
      title: '5xx rate by colour (%)',
      xLabels: stepLabels,
      yLabel: '% 5xx',
      series: [
        { name: newColor, values: facts.steps.map((step) => step.canary?.errorRatePercent ?? 0) },
        { name: oldColor, values: facts.steps.map((step) => step.baseline?.errorRatePercent ?? 0) },
      ],
      threshold: facts.maxErrorRatePercent,
    }),
    mermaidLineChart({
      title: 'p95 latency by colour (ms)',
      xLabels: stepLabels,
      yLabel: 'ms',
      series: [
        { name: newColor, values: facts.steps.map((step) => step.canary?.p95Ms ?? 0) },
        { name: oldColor, values: facts.steps.map((step) => step.baseline?.p95Ms ?? 0) },
      ],
      threshold: facts.maxP95Ms,
    }),
  );
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
