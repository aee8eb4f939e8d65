import * as core from '@actions/core';
import { readFileSync } from 'node:fs';
import { awsClientsFor } from '../../../packages/shared/src/aws-inputs.js';
import { lockHolder, readLockEntries, releaseLease } from '../../../packages/shared/src/blue-green/lease.js';
import { rollBackTo } from '../../../packages/shared/src/blue-green/move.js';
import { clearTags, SAFE_END_TAG } from '../../../packages/shared/src/blue-green/outcome.js';
import { systemClock } from '../../../packages/shared/src/clock.js';
import { errorMessage } from '../../../packages/shared/src/errors.js';
import {
  existingDeployment,
  startDeployment,
  type DeploymentTracker,
} from '../../../packages/shared/src/github.js';
import { writeSummary } from '../../../packages/shared/src/summary.js';
import { deploy, DeployFailure, type DeployResult } from './deploy.js';
import { getInputs, type Inputs } from './inputs.js';
import { renderFileTaskDefinition } from './prepare.js';
import { renderReport } from './report.js';
import { loadDeployState, saveDeployState } from './state.js';
import { setOutput } from '../../../packages/shared/src/outputs.js';

/** Reads inputs, runs the phase, sets outputs and the job summary. */
export async function run(): Promise<void> {
  const inputs = getInputs();
  const readFile = (path: string) => readFileSync(path, 'utf8');
  // The task definition file and the container name are checked before any AWS call.
  if (inputs.taskDefinition?.kind === 'file') renderFileTaskDefinition(inputs, readFile);
  const clients = awsClientsFor(inputs);
  const tracker = await trackDeployment(inputs);
  let result: DeployResult;
  try {
    result = await deploy({
      inputs,
      clients,
      clock: systemClock,
      holder: lockHolder(process.env),
      log: (line) => core.info(line),
      group: (title, work) => core.group(title, work),
      readFile,
      save: saveDeployState,
    });
  } catch (error) {
    await tracker?.setStatus('failure', errorMessage(error));
    if (error instanceof DeployFailure) {
      const partial = { ...error.partial, outcome: error.partial.outcome ?? 'failed' };
      setOutputs(partial, tracker, error.message);
      await writeSummary(
        renderReport({
          ...reportBase(inputs, partial.outcome),
          ...partial,
          failure: error.message,
          diagnostics: error.diagnostics,
        }),
      );
    } else {
      setOutput('reason', errorMessage(error).split('\n')[0]!);
    }
    throw error;
  }
  await tracker?.setStatus(
    'success',
    `${result.outcome}: ${result.liveColor} runs ${result.taskDefinitionArn ?? 'the service'}`,
  );
  if (result.outcome === 'rolled-back') await markRolledBack(inputs, result);
  setOutputs(result, tracker);
  for (const notice of result.notices) core.notice(notice);
  await writeSummary(renderReport({ ...reportBase(inputs, result.outcome), ...result }));
}

function reportBase(inputs: Inputs, outcome: string) {
  return {
    title: `Blue/green ${inputs.phase === 'all' ? 'deploy' : inputs.phase} of ${inputs.service}: ${outcome}`,
    service: inputs.service,
    maxErrorRatePercent: inputs['max-error-rate'],
    maxP95Ms: inputs['max-p95-latency'],
  };
}

/** A GitHub deployment for a deploy (all, shift), when a token and an environment are given. */
async function trackDeployment(inputs: Inputs): Promise<DeploymentTracker | undefined> {
  if (
    !inputs['github-token'] ||
    !inputs.environment ||
    inputs.phase === 'cleanup' ||
    inputs.phase === 'prepare' ||
    inputs.phase === 'rollback'
  )
    return undefined;
  return startDeployment({
    token: inputs['github-token'],
    environment: inputs.environment,
    environmentUrl: inputs['environment-url'],
    description: `Blue/green deploy of ${inputs.service}`,
    warn: (message) => core.warning(message),
  });
}

/** After a rollback: the deployment of the release taken off (given, or the environment's newest) is marked failed. */
async function markRolledBack(inputs: Inputs, result: DeployResult): Promise<void> {
  if (
    inputs.phase !== 'rollback' ||
    !inputs['github-token'] ||
    !(inputs['deployment-id'] || inputs.environment)
  )
    return;
  const deployment = await existingDeployment({
    token: inputs['github-token'],
    deploymentId: inputs['deployment-id'],
    environment: inputs.environment,
    warn: (message) => core.warning(message),
  });
  await deployment?.setStatus(
    'failure',
    `Rolled back: ${result.liveColor} runs ${result.taskDefinitionArn ?? 'the previous release'} again`,
  );
}

function setOutputs(
  result: Omit<Partial<DeployResult>, 'outcome'> & { outcome: string },
  tracker?: DeploymentTracker,
  reason = '',
): void {
  setOutput('outcome', result.outcome);
  setOutput('task-definition-arn', result.taskDefinitionArn ?? '');
  setOutput('previous-task-definition-arn', result.previousTaskDefinitionArn ?? '');
  setOutput('live-color', result.liveColor ?? '');
  setOutput('previous-color', result.previousColor ?? '');
  setOutput('test-listener-color', result.testListener?.color ?? '');
  setOutput('deployment-id', tracker ? String(tracker.id) : '');
  setOutput('reason', reason.split('\n')[0]!);
}

/**
 * The post step: when the run stopped (cancelled, killed, failed) with traffic away from its safe
 * end, drive all traffic there, retrying AWS errors, unless another run owns the lease now; release
 * the lease. When traffic cannot be put right it fails the job loudly, with the summary written.
 */
export async function post(): Promise<void> {
  const state = loadDeployState();
  if (!state) return;
  const inputs = getInputs();
  const clients = awsClientsFor(inputs);
  const arn = state.target.production.arn;
  if (state.safeEnd) {
    const now = systemClock.now();
    const other = (await readLockEntries(clients.elbv2, arn)).find(
      (entry) => entry.holder !== state.holder && entry.state === 'held' && entry.expiresAt > now,
    );
    if (other) {
      core.warning(
        `The run stopped during ${state.safeEnd.why}, but ${other.holder} holds the deploy lock now; traffic is left to it`,
      );
    } else {
      core.warning(
        `The run stopped during ${state.safeEnd.why}: putting all traffic on ${state.safeEnd.color}`,
      );
      try {
        await rollBackTo(clients, state.target, state.safeEnd.color, {
          clock: systemClock,
          log: (line) => core.info(line),
          retryForMs: state.restoreTimeoutMs,
          waitTimeoutMs: inputs['wait-timeout'],
        });
        await clearTags(clients.elbv2, arn, [SAFE_END_TAG]);
        core.info(`All traffic is on ${state.safeEnd.color}, verified`);
      } catch (error) {
        const message = `Traffic is not settled after the run stopped: ${errorMessage(error)}`;
        await writeSummary(
          renderReport({
            ...reportBase(inputs, 'traffic-split'),
            outcome: 'traffic-split',
            failure: message,
            steps: [],
            notices: [],
          }),
        ).catch(() => undefined);
        // Fails the job, and still lets the lease go: the on-call rollback must not wait for it.
        core.setFailed(message);
      }
    }
  }
  if (state.lockHeld && (await releaseLease(clients.elbv2, arn, state.holder)))
    core.info('Released the deploy lock');
}
