import * as core from '../../../packages/shared/src/runner-commands.js';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { awsClientsFor } from '../../../packages/shared/src/aws-clients.js';
import { lockHolder } from '../../../packages/shared/src/blue-green/lease.js';
import { sendRequest } from '../../../packages/shared/src/checks/http.js';
import { systemClock } from '../../../packages/shared/src/clock.js';
import { ActionError } from '../../../packages/shared/src/errors.js';
import { markDeploymentFailed } from '../../../packages/shared/src/github.js';
import { writeSummary } from '../../../packages/shared/src/summary.js';
import { readInputs, type InAwsInputs, type Inputs } from './inputs.js';
import { armReleaseAlarms } from './in-aws/arm.js';
import { renderArmReport, renderVerdictReport } from './in-aws/report.js';
import { readVerdict } from './in-aws/verdict.js';
import { monitor } from './monitor.js';
import { renderReport } from './report.js';
import { setOutput } from '../../../packages/shared/src/outputs.js';
import {
  findScheduledTasksOf,
  followRelease,
  SCHEDULE_CLIENTS,
  scheduleOutput,
  scheduleSummaryPart,
  serviceRevision,
  type ScheduledTask,
} from '../../../packages/shared/src/scheduled-tasks/update.js';

/** The AWS clients this action uses: only these are bundled. */
const CLIENTS = {
  ecs: ECSClient,
  elbv2: ElasticLoadBalancingV2Client,
  cloudwatch: CloudWatchClient,
  ...SCHEDULE_CLIENTS,
};

/** Watches the live colour for the window and rolls back on repeated failed checks. */
export async function run(inputs: Inputs | InAwsInputs = readInputs()): Promise<void> {
  if (inputs.mode === 'in-aws') return runInAws(inputs);
  const clients = awsClientsFor(inputs, CLIENTS);
  // Read only, before the watch: a scheduled task named wrong fails now, not after a rollback.
  const scheduled = await scheduledTasksOf(clients, inputs);
  const result = await core.group(`Watching ${inputs.service}`, () =>
    monitor({
      inputs,
      ecs: clients.ecs,
      elbv2: clients.elbv2,
      cloudwatch: clients.cloudwatch,
      clock: systemClock,
      send: (request, timeoutMs) => sendRequest(request, timeoutMs),
      log: (line) => core.info(line),
      holder: lockHolder(process.env),
    }),
  );
  core.info(`Outcome: ${result.outcome}${result.reason ? `: ${result.reason}` : ''}`);
  const iso = (at?: number) => (at === undefined ? '' : new Date(at).toISOString());
  // Every data point and decision, so a verdict can be reproduced.
  const reportPath = path.join(process.env.RUNNER_TEMP ?? process.cwd(), 'monitor-rollback-report.json');
  writeFileSync(
    reportPath,
    JSON.stringify(
      {
        service: inputs.service,
        settings: {
          duration: inputs.duration,
          interval: inputs.interval,
          'metric-period': inputs['metric-period'],
          'metric-delay': inputs['metric-delay'],
          'failures-before-rollback': inputs['failures-before-rollback'],
          'max-error-rate': inputs['max-error-rate'],
          'max-p95-latency': inputs['max-p95-latency'],
          'max-p99-latency': inputs['max-p99-latency'],
          'max-error-increase': inputs['max-error-increase'],
          'max-latency-increase': inputs['max-latency-increase'],
          alpha: inputs.alpha,
          'no-data': inputs['no-data'],
          'max-task-restarts': inputs['max-task-restarts'],
        },
        ...result,
      },
      null,
      2,
    ),
  );
  setOutput('outcome', result.outcome);
  setOutput('live-color', result.liveColor);
  setOutput('checks', String(result.checks.length));
  setOutput('reason', result.reason ?? '');
  setOutput('detected-at', iso(result.detectedAt));
  setOutput('restored-at', iso(result.restoredAt));
  setOutput('report', reportPath);
  // After a rollback the scheduled tasks follow customers back to the release brought back.
  const live =
    result.outcome === 'rolled-back' && scheduled.length > 0
      ? await serviceRevision(clients.ecs, inputs.cluster, inputs[`${result.liveColor}-service`])
      : undefined;
  const { updates, failure: scheduleProblem } = await followRelease(clients, scheduled, live, (line) =>
    core.info(line),
  );
  setOutput('scheduled-tasks', scheduleOutput(updates));
  await writeSummary([...renderReport(result, inputs), ...scheduleSummaryPart(updates)]);
  if (result.outcome === 'rolled-back')
    await markFailed(inputs, `Rolled back by the monitor: ${result.reason ?? ''}`);
  switch (result.outcome) {
    case 'rolled-back':
      throw new ActionError(
        `Rolled back to ${result.liveColor}: ${result.reason}${scheduleProblem ? `. ${scheduleProblem}` : ''}`,
      );
    case 'failed':
      throw new ActionError(`Monitoring failed: ${result.reason}`);
    case 'inconclusive':
      if (inputs['no-data'] !== 'pass') throw new ActionError(`Inconclusive: ${result.reason}`);
      core.warning(`Inconclusive: ${result.reason}`);
      break;
    case 'refused':
      throw new ActionError(`Rollback refused: ${result.reason}`);
    case 'superseded':
      core.notice(`Superseded: ${result.reason}`);
      break;
    case 'healthy':
      break;
  }
}

/** The scheduled tasks to keep on the release (the family the blue service runs), [] without the input. */
async function scheduledTasksOf(
  clients: ReturnType<typeof awsClientsFor>,
  inputs: Inputs,
): Promise<ScheduledTask[]> {
  const wanted = inputs['scheduled-tasks'];
  if (!wanted) return [];
  return findScheduledTasksOf(clients, wanted, { cluster: inputs.cluster, service: inputs['blue-service'] });
}

/** The GitHub deployment the rollback undid, marked failed (when a token and a deployment are known). */
function markFailed(inputs: Inputs | InAwsInputs, description: string): Promise<void> {
  return markDeploymentFailed(inputs, description, (message) => core.warning(message));
}

/**
 * `mode: in-aws`: arm the release alarms ECS watches through its bake (no deployment given), or
 * read the verdict of that watch from the deployment's end (service-deployment-arn).
 */
async function runInAws(inputs: InAwsInputs): Promise<void> {
  const clients = awsClientsFor(inputs, CLIENTS);
  if (!inputs['service-deployment-arn']) {
    const armed = await armReleaseAlarms(clients, inputs);
    core.info(`Armed ${armed.alarms.map((alarm) => alarm.name).join(', ')} on ${armed.targetGroupArn}`);
    setOutput('outcome', 'armed');
    setOutput('alarms', armed.alarmNames.join(','));
    setOutput('reason', '');
    await writeSummary(renderArmReport(armed, inputs));
    return;
  }
  // Read only, before the wait: a scheduled task named wrong fails now.
  const scheduled = inputs['scheduled-tasks']
    ? await findScheduledTasksOf(clients, inputs['scheduled-tasks'], {
        cluster: inputs.cluster,
        service: inputs.service,
      })
    : [];
  const verdict = await readVerdict(
    { ecs: clients.ecs, cloudwatch: clients.cloudwatch, clock: systemClock, log: (line) => core.info(line) },
    inputs,
  );
  core.info(`Outcome: ${verdict.outcome}${verdict.reason ? `: ${verdict.reason}` : ''}`);
  for (const note of verdict.notes) core.warning(note);
  // ECS ended the deployment: the scheduled tasks follow the revision it left serving customers
  // (the new one after a clean bake, the previous one after its rollback).
  const ended = verdict.outcome === 'healthy' || verdict.outcome === 'rolled-back';
  const live =
    ended && scheduled.length > 0
      ? await serviceRevision(clients.ecs, inputs.cluster, inputs.service)
      : undefined;
  const { updates, failure: scheduleProblem } = await followRelease(clients, scheduled, live, (line) =>
    core.info(line),
  );
  setOutput('outcome', verdict.outcome);
  setOutput('reason', verdict.reason);
  setOutput('alarms', verdict.alarms.names.join(','));
  setOutput('checks', '0');
  setOutput('scheduled-tasks', scheduleOutput(updates));
  await writeSummary([...renderVerdictReport(verdict, inputs), ...scheduleSummaryPart(updates)]);
  if (verdict.outcome === 'rolled-back') await markFailed(inputs, verdict.reason);
  if (scheduleProblem) throw new ActionError(`${verdict.outcome}: ${scheduleProblem}`);
  if (verdict.outcome === 'healthy') return;
  if (verdict.outcome === 'inconclusive' && inputs['no-data'] === 'pass') {
    core.warning(`Inconclusive: ${verdict.reason}`);
    return;
  }
  throw new ActionError(`${verdict.outcome}: ${verdict.reason}`);
}
