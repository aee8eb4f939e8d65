/** `mode: in-aws` summaries: the alarms armed for ECS, and the verdict of the watch ECS carried out. */
import { escapeHtml, htmlTable } from '../../../../packages/shared/src/summary.js';
import type { InAwsInputs } from '../inputs.js';
import type { ArmResult } from './arm.js';
import type { VerdictResult } from './verdict.js';

const NO_RUNNER =
  'Runner minutes spent watching: 0. ECS evaluates these alarms through its bake and rolls back by itself; no job waits for it.';

export function renderArmReport(result: ArmResult, inputs: InAwsInputs): string[] {
  return [
    `<h2>${escapeHtml(`${inputs.service}: release alarms armed for ECS`)}</h2>\n`,
    `<p>${escapeHtml(`On ${result.targetGroupArn}, where ECS puts the next revision. Give blue-green-deploy (strategy: ecs-native) alarms: ${result.alarmNames.join(',')}`)}</p>\n`,
    htmlTable(
      ['alarm', 'goes into ALARM on', 'state now'],
      result.alarms.map((alarm) => [alarm.name, alarm.watches, alarm.state]),
    ),
    `<p>${escapeHtml(NO_RUNNER)}</p>\n`,
  ];
}

const TITLES: Record<VerdictResult['outcome'], string> = {
  healthy: '✅ healthy: ECS finished its bake with no alarm in ALARM',
  'rolled-back': '❌ rolled back by ECS',
  inconclusive: '⚪ inconclusive',
  failed: '❌ failed',
};

export function renderVerdictReport(result: VerdictResult, inputs: InAwsInputs): string[] {
  const iso = (at?: number) => (at === undefined ? '—' : new Date(at).toISOString());
  const parts = [`<h2>${escapeHtml(`${inputs.service}: ${TITLES[result.outcome]}`)}</h2>\n`];
  if (result.reason) parts.push(`<p><b>Why:</b> ${escapeHtml(result.reason)}</p>\n`);
  parts.push(
    htmlTable(
      ['', ''],
      [
        ['deployment', result.serviceDeploymentArn],
        ['status', `${result.status}${result.stage ? ` (${result.stage})` : ''}`],
        ['started / finished', `${iso(result.startedAt)} / ${iso(result.finishedAt)}`],
        ['bake', result.bakeMinutes === undefined ? '—' : `${result.bakeMinutes} min`],
        ['alarms ECS watched', `${result.alarms.status}: ${result.alarms.names.join(', ') || 'none'}`],
        ['alarms that fired', result.alarms.triggered.join(', ') || 'none'],
        [
          "requests on the new revision's group",
          result.requests === undefined ? 'unknown' : String(result.requests),
        ],
        ['runner minutes spent watching', '0 (ECS watched; this job only read the end)'],
      ],
    ),
  );
  for (const note of result.notes) parts.push(`<p>⚠️ ${escapeHtml(note)}</p>\n`);
  return parts;
}
