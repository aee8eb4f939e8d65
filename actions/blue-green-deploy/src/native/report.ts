/** The job summary of an ecs-native run: the stage timeline, each pause's verdict, the judged steps. */
import { escapeHtml, htmlTable, keyValueList } from '../../../../packages/shared/src/summary.js';
import { renderReport, type ReportFacts } from '../report.js';
import type { NativeResult } from './deploy.js';

/** The console page of a service deployment's service (its Deployments tab). */
export function consoleUrl(serviceDeploymentArn: string): string | undefined {
  const match = /^arn:aws:ecs:([a-z0-9-]+):\d{12}:service-deployment\/([^/]+)\/([^/]+)\//.exec(
    serviceDeploymentArn,
  );
  if (!match) return undefined;
  const [, region, cluster, service] = match;
  return `https://${region}.console.aws.amazon.com/ecs/v2/clusters/${cluster}/services/${service}/deployments?region=${region}`;
}

export function renderNativeReport(
  base: Omit<ReportFacts, 'steps' | 'notices' | 'outcome'>,
  result: NativeResult,
  failure?: string,
): string[] {
  const parts = renderReport({
    ...base,
    outcome: result.outcome,
    failure: failure ?? (result.reason && result.outcome !== 'promoted' ? result.reason : undefined),
    taskDefinitionArn: result.taskDefinitionArn,
    previousTaskDefinitionArn: result.previousTaskDefinitionArn,
    notices: result.notices,
    steps: result.steps,
    sideNames: { new: 'new revision', old: 'previous revision' },
  });
  const url = result.serviceDeploymentArn ? consoleUrl(result.serviceDeploymentArn) : undefined;
  parts.push(
    keyValueList([
      ['strategy', 'ecs-native: ECS moves the traffic; the suite holds each pause and judges'],
      ['service deployment', result.serviceDeploymentArn],
      [
        'deployment alarms',
        result.alarms?.status
          ? `${result.alarms.status}${result.alarms.triggered.length ? `: ${result.alarms.triggered.join(', ')} in ALARM` : ''}`
          : undefined,
      ],
      ['rollback reason (ECS)', result.rollbackReason],
    ]),
  );
  if (url) parts.push(`<p><a href="${escapeHtml(url)}">The deployment in the ECS console</a></p>\n`);
  if (result.timeline.length > 0) {
    const start = result.timeline[0]!.at;
    parts.push(
      '<h3>Stages as seen</h3>\n',
      htmlTable(
        ['at', 'status', 'stage', 'production on the new revision', 'test on the new revision'],
        result.timeline.map((seen) => [
          `+${Math.round((seen.at - start) / 1000)} s`,
          seen.status,
          seen.stage,
          `${seen.production} %`,
          `${seen.test} %`,
        ]),
      ),
    );
  }
  if (result.hooks.length > 0)
    parts.push(
      '<h3>Pauses</h3>\n',
      htmlTable(
        ['hook', 'stage', 'production on the new revision', 'verdict', 'why'],
        result.hooks.map((hook) => [hook.hookId, hook.stage, `${hook.weight} %`, hook.action, hook.why]),
      ),
    );
  return parts;
}
