import * as core from '@actions/core';
import { awsClientsFor } from '../../../packages/shared/src/aws-inputs.js';
import { lockHolder } from '../../../packages/shared/src/blue-green/lease.js';
import { systemClock } from '../../../packages/shared/src/clock.js';
import { ActionError } from '../../../packages/shared/src/errors.js';
import { probe } from '../../../packages/shared/src/gates.js';
import { writeSummary } from '../../../packages/shared/src/summary.js';
import { getInputs } from './inputs.js';
import { monitor } from './monitor.js';
import { renderReport } from './report.js';

/** Watches the live colour for the window and rolls back on repeated failed checks. */
export async function run(): Promise<void> {
  const inputs = getInputs();
  const clients = awsClientsFor(inputs);
  const startedAt = systemClock.now();
  const result = await monitor({
    inputs,
    ecs: clients.ecs,
    elbv2: clients.elbv2,
    cloudwatch: clients.cloudwatch,
    clock: systemClock,
    probe,
    log: (line) => core.info(line),
    holder: lockHolder(process.env),
  });
  core.setOutput('outcome', result.outcome);
  core.setOutput('live-color', result.liveColor);
  core.setOutput('checks', String(result.checks.length));
  await writeSummary(renderReport(result, inputs, startedAt));
  const inconclusive = result.checks.filter((check) => check.verdict === 'inconclusive').length;
  if (inconclusive > result.checks.length / 2)
    core.warning(
      `${inconclusive} of ${result.checks.length} checks had no data: the live colour got almost no traffic`,
    );
  if (result.outcome === 'rolled-back')
    throw new ActionError(`Rolled back to ${result.liveColor}: ${result.reason}`);
}
