import * as core from '../../../packages/shared/src/runner-commands.js';
import { readFileSync } from 'node:fs';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { awsClientsFor } from '../../../packages/shared/src/aws-clients.js';
import { lockHolder } from '../../../packages/shared/src/blue-green/lease.js';
import { recoverStoppedRun } from '../../../packages/shared/src/blue-green/recover.js';
import { sendRequest } from '../../../packages/shared/src/checks/http.js';
import { systemClock } from '../../../packages/shared/src/clock.js';
import { errorMessage } from '../../../packages/shared/src/errors.js';
import {
  markDeploymentFailed,
  startDeployment,
  type DeploymentTracker,
} from '../../../packages/shared/src/github.js';
import { writeSummary } from '../../../packages/shared/src/summary.js';
import { deploy, DeployFailure, type DeployResult } from './deploy.js';
import { getInputs, type Inputs } from './inputs.js';
import { renderFileTaskDefinition, type ResolvedTaskDefinition } from './prepare.js';
import { renderReport } from './report.js';
import { loadDeployState, saveDeployState } from './state.js';
import { setOutput } from '../../../packages/shared/src/outputs.js';
import { ActionError } from '../../../packages/shared/src/errors.js';
import { deployNative, type NativeResult } from './native/deploy.js';
import { rollBackDeployment } from './native/drive.js';
import { scheduledTasksOf } from './scheduled.js';
import {
  followRelease,
  SCHEDULE_CLIENTS,
  scheduleOutput,
  scheduleSummaryPart,
  serviceRevision,
  type ScheduledTask,
} from '../../../packages/shared/src/scheduled-tasks/update.js';
import { renderNativeReport } from './native/report.js';
import { runNowFailure, runNowSummaryPart, runScheduledNow } from './run-scheduled.js';
import { resolveStandbyRelease, standbySummaryPart, type StandbyResult } from './standby.js';

/** The AWS clients this action uses: only these are bundled. */
const CLIENTS = {
  ecs: ECSClient,
  ecr: ECRClient,
  elbv2: ElasticLoadBalancingV2Client,
  cloudwatch: CloudWatchClient,
  ...SCHEDULE_CLIENTS,
};

/** Reads inputs, runs the phase, sets outputs and the job summary. */
export async function run(given: Inputs = getInputs()): Promise<void> {
  const readFile = (path: string) => readFileSync(path, 'utf8');
  // The task definition file and the container name are checked before any AWS call.
  let rendered =
    given.taskDefinition?.kind === 'file' ? renderFileTaskDefinition(given, readFile) : undefined;
  const clients = awsClientsFor(given, CLIENTS);
  let inputs = given;
  let standbyRelease: ResolvedTaskDefinition | undefined;
  if (inputs.phase === 'standby') {
    // The release as the standby's registry holds it, by digest; production's revision when followed (reads only).
    const release = await resolveStandbyRelease(
      inputs,
      {
        ecr: clients.ecr,
        ecsIn: (region) => awsClientsFor({ ...given, 'aws-region': region }, { ecs: ECSClient }).ecs,
      },
      {
        readFile,
        clock: systemClock,
        log: (line) => core.info(line),
        notice: (line) => core.notice(line),
      },
    );
    inputs = release.inputs;
    standbyRelease = release.resolved;
    rendered = standbyRelease ?? rendered;
  }
  // Read only: a scheduled task named wrong fails here, before anything changes.
  const scheduled = await scheduledTasksOf(clients, inputs, rendered);
  const tracker = await trackDeployment(inputs);
  const context = {
    inputs,
    clients,
    ...(standbyRelease ? { resolved: standbyRelease } : {}),
    clock: systemClock,
    holder: lockHolder(process.env),
    log: (line: string) => core.info(line),
    group: <T>(title: string, work: () => Promise<T>) => core.group(title, work),
    readFile,
    save: saveDeployState,
    send: (request: Parameters<typeof sendRequest>[0], timeoutMs: number) => sendRequest(request, timeoutMs),
  };
  if (inputs.strategy === 'ecs-native') return runNative(context, tracker, scheduled);
  let result: DeployResult;
  try {
    result = await deploy(context);
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
  // Only a promoted release is a successful deployment: one rolled back by a gate or left
  // inconclusive did not pass this environment, whatever the job's colour.
  await tracker?.setStatus(
    result.outcome === 'promoted' ? 'success' : 'failure',
    `${result.outcome}: ${result.liveColor} runs ${result.taskDefinitionArn ?? 'the service'}`,
  );
  if (result.outcome === 'rolled-back') await markRolledBack(inputs, result);
  const settled =
    (SETTLED.includes(result.outcome) && inputs.phase !== 'prepare' && inputs.phase !== 'cleanup') ||
    inputs.phase === 'standby';
  const live =
    settled && scheduled.length > 0
      ? await serviceRevision(clients.ecs, inputs.cluster, inputs[`${result.liveColor}-service`])
      : undefined;
  const { updates, failure } = await followRelease(clients, scheduled, live, (line) => core.info(line));
  const runs = await runNowAfterPromotion(inputs, clients, scheduled, result.outcome, live, failure);
  setOutputs(result, tracker);
  setOutput('scheduled-tasks', scheduleOutput(updates));
  for (const notice of result.notices) core.notice(notice);
  await writeSummary([
    ...renderReport({ ...reportBase(inputs, result.outcome), ...result }),
    ...('standby' in result ? standbySummaryPart((result as StandbyResult).standby) : []),
    ...scheduleSummaryPart(updates),
    ...runNowSummaryPart(runs),
  ]);
  const failed = failure ?? runNowFailure(runs);
  if (failed) throw new ActionError(failed);
}

/**
 * Outcomes after which every customer is on one revision, which the scheduled tasks follow (a
 * standby has no customers: its scheduled tasks follow the release it now runs, or already ran).
 */
const SETTLED = ['promoted', 'rolled-back', 'standby-updated'];

/** Outcomes after which the job is green: the release is live, or waits at a pause as asked. */
const NATIVE_SUCCESS = ['promoted', 'prepared', 'unchanged'];

async function runNative(
  context: Parameters<typeof deployNative>[0] & { clients: ReturnType<typeof awsClientsFor> },
  tracker: DeploymentTracker | undefined,
  scheduled: ScheduledTask[],
): Promise<void> {
  const { inputs } = context;
  let result: NativeResult;
  try {
    result = await deployNative(context);
  } catch (error) {
    await tracker?.setStatus('failure', errorMessage(error));
    setOutput('outcome', 'failed');
    setOutput('reason', errorMessage(error).split('\n')[0]!);
    throw error;
  }
  const succeeded = NATIVE_SUCCESS.includes(result.outcome);
  if (inputs.phase !== 'prepare')
    await tracker?.setStatus(
      result.outcome === 'promoted' ? 'success' : 'failure',
      `${result.outcome}: ${result.taskDefinitionArn ?? inputs.service}`,
    );
  setOutput('outcome', result.outcome);
  setOutput('task-definition-arn', result.taskDefinitionArn ?? '');
  setOutput('previous-task-definition-arn', result.previousTaskDefinitionArn ?? '');
  setOutput('service-deployment-arn', result.serviceDeploymentArn ?? '');
  setOutput('live-color', '');
  setOutput('previous-color', '');
  setOutput('test-listener-color', '');
  setOutput('deployment-id', tracker ? String(tracker.id) : '');
  setOutput('reason', succeeded ? '' : result.reason.split('\n')[0]!);
  // The release ECS left customers on: the new one when promoted, the previous one after a rollback.
  const live =
    result.outcome === 'promoted'
      ? result.taskDefinitionArn
      : result.outcome === 'rolled-back'
        ? result.previousTaskDefinitionArn
        : undefined;
  const { updates, failure } = await followRelease(context.clients, scheduled, live, (line) =>
    core.info(line),
  );
  const runs = await runNowAfterPromotion(inputs, context.clients, scheduled, result.outcome, live, failure);
  setOutput('scheduled-tasks', scheduleOutput(updates));
  for (const notice of result.notices) core.notice(notice);
  await writeSummary([
    ...renderNativeReport({ ...reportBase(inputs, result.outcome), service: inputs.service }, result),
    ...scheduleSummaryPart(updates),
    ...runNowSummaryPart(runs),
  ]);
  const failed = failure ?? runNowFailure(runs);
  if (failed) throw new ActionError(failed);
  if (!succeeded && inputs.phase !== 'rollback') throw new ActionError(`${result.outcome}: ${result.reason}`);
  const settled =
    result.outcome === 'rolled-back' || (inputs['if-unsettled'] && result.outcome === 'unchanged');
  if (inputs.phase === 'rollback' && !settled)
    throw new ActionError(`rollback ended ${result.outcome}: ${result.reason}`);
}

/** `run-scheduled-now`: once the scheduled tasks follow a promotion, each runs once on the release. */
async function runNowAfterPromotion(
  inputs: Inputs,
  clients: ReturnType<typeof awsClientsFor>,
  scheduled: ScheduledTask[],
  outcome: string,
  live: string | undefined,
  failure: string | undefined,
) {
  if (!inputs['run-scheduled-now'] || outcome !== 'promoted' || !live || failure) return [];
  return core.group('Running the scheduled tasks once on the release', () =>
    runScheduledNow(clients, scheduled, live, {
      timeoutMs: inputs['wait-timeout'],
      clock: systemClock,
      log: (line) => core.info(line),
    }),
  );
}

function reportBase(inputs: Inputs, outcome: string) {
  return {
    title:
      inputs.phase === 'standby'
        ? `Standby of ${inputs.service} in ${inputs['aws-region']}: ${outcome}`
        : `Blue/green ${inputs.phase === 'all' ? 'deploy' : inputs.phase} of ${inputs.service}: ${outcome}`,
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
    inputs.phase === 'rollback' ||
    inputs.phase === 'standby'
  )
    return undefined;
  return startDeployment({
    token: inputs['github-token'],
    environment: inputs.environment,
    environmentUrl: inputs['environment-url'],
    description: `Blue/green deploy of ${inputs.service}`,
    payload: { service: inputs.service, ...(inputs.release ? { release: inputs.release } : {}) },
    warn: (message) => core.warning(message),
  });
}

/** After a rollback: the deployment of the release taken off (given, or the environment's newest) is marked failed. */
async function markRolledBack(inputs: Inputs, result: DeployResult): Promise<void> {
  if (inputs.phase !== 'rollback') return;
  await markDeploymentFailed(
    inputs,
    `Rolled back: ${result.liveColor} runs ${result.taskDefinitionArn ?? 'the previous release'} again`,
    (message) => core.warning(message),
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
 * end, drive all traffic there through the one move, unless another run holds the lease now; record
 * an outcome the run could not; let the lease go. Tags that stay unreadable do not stop the restore
 * (the weights are the safety): it says `lock-unverified`. Traffic that cannot be put right fails
 * the job loudly, with the summary written.
 */
export async function post(): Promise<void> {
  const state = loadDeployState();
  if (!state) return;
  const inputs = getInputs();
  const clients = awsClientsFor(inputs, CLIENTS);
  if (state.native) {
    // ECS would roll back by the pause's own timeout; the post step does not make it wait.
    if (!state.native.rollbackOnStop) return;
    const done = await rollBackDeployment(
      clients.ecs,
      state.native.serviceDeploymentArn,
      'the run stopped before the deployment ended',
    );
    core.warning(`The run stopped with ${state.native.serviceDeploymentArn} under way: ${done}`);
    return;
  }
  if (!state.target) return;
  if (state.safeEnd)
    core.warning(
      `The run stopped during ${state.safeEnd.why}: putting all traffic on ${state.safeEnd.color}`,
    );
  const recovery = await recoverStoppedRun(
    {
      clients,
      target: state.target,
      holder: state.holder,
      clock: systemClock,
      log: (line) => core.info(line),
      waitTimeoutMs: inputs['wait-timeout'],
      restoreTimeoutMs: state.restoreTimeoutMs,
      lease: { recover: true },
    },
    state,
  );
  for (const line of recovery.lines) core.info(line);
  if (recovery.restore?.status === 'left-to-other')
    core.warning(
      `The run stopped during ${state.safeEnd!.why}, but ${recovery.restore.reason}; traffic is left to it`,
    );
  const unverified = recovery.lockUnverified.join('; ');
  if (unverified) core.warning(`lock-unverified: ${unverified}`);
  if (recovery.failure || unverified) {
    const outcome = recovery.failure ? 'traffic-split' : 'lock-unverified';
    await writeSummary(
      renderReport({
        ...reportBase(inputs, outcome),
        outcome,
        failure: recovery.failure ?? `lock-unverified: ${unverified}`,
        steps: [],
        notices: [],
      }),
    ).catch(() => undefined);
  }
  if (recovery.failure) core.setFailed(recovery.failure);
}
