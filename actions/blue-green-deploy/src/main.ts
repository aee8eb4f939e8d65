import * as core from '@actions/core';
import { readFileSync } from 'node:fs';
import { awsClientsFor } from '../../../packages/shared/src/aws-inputs.js';
import { systemClock } from '../../../packages/shared/src/clock.js';
import { startDeployment, type DeploymentTracker } from '../../../packages/shared/src/github.js';
import { writeSummary } from '../../../packages/shared/src/summary.js';
import { writeProductionActions } from '../../../packages/shared/src/traffic.js';
import { deploy, DeployFailure, type DeployResult } from './deploy.js';
import { getInputs } from './inputs.js';
import { lockHolder, releaseLock } from './lock.js';
import { renderReport } from './report.js';
import { loadDeployState, saveDeployState } from './state.js';

/** Reads inputs, runs the phase, sets outputs and the job summary. */
export async function run(): Promise<void> {
  const inputs = getInputs();
  const clients = awsClientsFor(inputs);
  const thresholds = { maxErrorRatePercent: inputs['max-error-rate'], maxP95Ms: inputs['max-p95-latency'] };
  const title = (outcome: string) =>
    `Blue/green ${inputs.phase === 'all' ? 'deploy' : inputs.phase} of ${inputs.service}: ${outcome}`;
  const tracker = await trackDeployment(inputs);
  let result: DeployResult;
  try {
    result = await deploy({
      inputs,
      clients,
      clock: systemClock,
      holder: lockHolder(process.env),
      log: (line) => core.info(line),
      readFile: (path) => readFileSync(path, 'utf8'),
      save: saveDeployState,
    });
  } catch (error) {
    await tracker?.setStatus('failure', (error as Error).message);
    if (error instanceof DeployFailure) {
      const partial = error.partial;
      setOutputs({ outcome: partial.outcome ?? 'failed', ...partial }, tracker);
      await writeSummary(
        renderReport({
          title: title(partial.outcome ?? 'failed'),
          outcome: partial.outcome ?? 'failed',
          service: inputs.service,
          liveColor: partial.liveColor,
          previousColor: partial.previousColor,
          taskDefinition: partial.taskDefinitionArn,
          previousTaskDefinition: partial.previousTaskDefinitionArn,
          failure: error.message,
          notices: partial.notices,
          steps: partial.steps,
          diagnostics: error.diagnostics,
          ...thresholds,
        }),
      );
    }
    throw error;
  }
  await tracker?.setStatus(
    'success',
    `${result.outcome}: ${result.liveColor} runs ${result.taskDefinitionArn ?? 'the service'}`,
  );
  setOutputs(result, tracker);
  for (const notice of result.notices) core.notice(notice);
  await writeSummary(
    renderReport({
      title: title(result.outcome),
      outcome: result.outcome,
      service: inputs.service,
      liveColor: result.liveColor,
      previousColor: result.previousColor,
      taskDefinition: result.taskDefinitionArn,
      previousTaskDefinition: result.previousTaskDefinitionArn,
      notices: result.notices,
      steps: result.steps,
      ...thresholds,
    }),
  );
}

/** A GitHub deployment for the run, when a token and an environment are given (never for cleanup). */
async function trackDeployment(inputs: ReturnType<typeof getInputs>): Promise<DeploymentTracker | undefined> {
  if (
    !inputs['github-token'] ||
    !inputs.environment ||
    inputs.phase === 'cleanup' ||
    inputs.phase === 'prepare'
  )
    return undefined;
  return startDeployment({
    token: inputs['github-token'],
    environment: inputs.environment,
    environmentUrl: inputs['environment-url'],
    description: `${inputs.phase === 'rollback' ? 'Rollback' : 'Blue/green deploy'} of ${inputs.service}`,
    warn: (message) => core.warning(message),
  });
}

function setOutputs(
  result: Omit<Partial<DeployResult>, 'outcome'> & { outcome: string },
  tracker?: DeploymentTracker,
): void {
  core.setOutput('outcome', result.outcome);
  core.setOutput('task-definition-arn', result.taskDefinitionArn ?? '');
  core.setOutput('previous-task-definition-arn', result.previousTaskDefinitionArn ?? '');
  core.setOutput('live-color', result.liveColor ?? '');
  core.setOutput('previous-color', result.previousColor ?? '');
  core.setOutput('deployment-id', tracker ? String(tracker.id) : '');
}

/**
 * The post step: when the job was cancelled or failed after traffic started moving and before the
 * outcome was settled, put the original weights back; release the lock if this run still holds it.
 */
export async function post(): Promise<void> {
  const state = loadDeployState();
  if (!state) return;
  const inputs = getInputs();
  const { elbv2 } = awsClientsFor(inputs);
  if (state.originalActions && !state.settled) {
    core.warning('The deploy stopped mid-cutover: restoring the original weights');
    await writeProductionActions(elbv2, state.production, state.originalActions, state.groups);
    core.info('Original weights restored and verified');
  }
  if (state.lockHeld && (await releaseLock(elbv2, state.production.arn, state.holder)))
    core.info('Released the deploy lock');
}
