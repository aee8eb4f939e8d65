/**
 * `strategy: ecs-native`, the drive: one DescribeServiceDeployments per tick; at each PAUSE the
 * suite's verdict (CONTINUE, or ROLLBACK with the reason); the stage timeline as seen; the end as
 * ECS reports it. ECS moves the traffic; nothing here writes a listener rule.
 */
import {
  ContinueServiceDeploymentCommand,
  StopServiceDeploymentCommand,
  type ECSClient,
  type ServiceDeployment,
} from '@aws-sdk/client-ecs';
import type { Clock } from '../../../../packages/shared/src/clock.js';
import { ActionError, errorMessage } from '../../../../packages/shared/src/errors.js';
import { describeServiceDeployment, TERMINAL } from '../../../../packages/shared/src/native/service.js';
import type { StepRecord } from '../cutover.js';

const UNWINDING = ['STOP_REQUESTED', 'ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS'];

export interface StageSeen {
  stage: string;
  status: string;
  at: number;
  /** The new revision's share of production and of test traffic, as ECS reported it. */
  production: number;
  test: number;
}

export interface HookVerdict {
  hookId: string;
  stage: string;
  /** The new revision's share of production when the pause held. */
  weight: number;
  action: 'CONTINUE' | 'ROLLBACK' | 'LEFT PAUSED';
  why: string;
}

export interface Verdict {
  verdict: 'pass' | 'fail' | 'inconclusive';
  reason: string;
  record?: StepRecord;
}

export interface DriveOptions {
  ecs: ECSClient;
  /** The run's clock: its sleeps keep the deploy lease. */
  clock: Clock;
  log: (line: string) => void;
  /** The suite's judge of the new revision at `weight` % of production. */
  judge: (weight: number) => Promise<Verdict>;
  /** Weights to judge at (100: at the post-production pause). */
  judgedWeights: number[];
  /** Phase prepare: end the job at the post-test pause, leaving the deployment held there. */
  leaveAtTestPause: boolean;
  /** wait-for-bake false: end the job once ECS's bake has begun, leaving the watch to its alarms. */
  leaveAtBake?: boolean;
  /** A stage that does not move for this long (a bake: its length more) is rolled back. */
  stuckAfterMs: number;
  /** ECS's bake after 100 %, in ms. */
  bakeMs: number;
  /** How long a rollback ECS is carrying out may take before the run fails loudly. */
  restoreTimeoutMs: number;
  /** Time between polls (jittered by up to a fifth). */
  pollMs: number;
  random?: () => number;
}

export interface DriveResult {
  outcome: 'promoted' | 'rolled-back' | 'inconclusive' | 'prepared' | 'failed';
  reason: string;
  /** The job ended during ECS's bake: the deployment goes on without it. */
  leftBaking?: boolean;
  deployment: ServiceDeployment;
  timeline: StageSeen[];
  hooks: HookVerdict[];
  steps: StepRecord[];
}

const awaitingHook = (deployment: ServiceDeployment) =>
  deployment.lifecycleHookDetails?.find((hook) => hook.status === 'AWAITING_ACTION');

const near = (a: number, b: number) => Math.abs(a - b) < 1e-6;

/**
 * Rolls back a deployment that is not over: ContinueServiceDeployment(ROLLBACK) at a pause (at
 * once), StopServiceDeployment(ROLLBACK) otherwise. Says what it did; a finished one is left.
 */
export async function rollBackDeployment(ecs: ECSClient, arn: string, why: string): Promise<string> {
  const deployment = await describeServiceDeployment(ecs, arn);
  if (TERMINAL.includes(deployment.status!) || UNWINDING.includes(deployment.status!))
    return `${arn} is ${deployment.status}: nothing to roll back`;
  const hook = awaitingHook(deployment);
  if (hook && deployment.status === 'IN_PROGRESS') {
    try {
      await ecs.send(
        new ContinueServiceDeploymentCommand({
          serviceDeploymentArn: arn,
          hookId: hook.hookId!,
          action: 'ROLLBACK',
        }),
      );
      return `ContinueServiceDeployment(ROLLBACK) at hook ${hook.hookId}: ${why}`;
    } catch {
      // The pause ended meanwhile (answered or timed out): stop the deployment instead.
    }
  }
  await ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: arn, stopType: 'ROLLBACK' }));
  return `StopServiceDeployment(ROLLBACK): ${why}`;
}

export async function driveDeployment(options: DriveOptions, arn: string): Promise<DriveResult> {
  const { ecs, clock, log } = options;
  const timeline: StageSeen[] = [];
  const hooks: HookVerdict[] = [];
  const steps: StepRecord[] = [];
  const answered = new Set<string>();
  let ours: { outcome: 'rolled-back' | 'inconclusive' | 'failed'; why: string } | undefined;
  let since = clock.now();
  for (;;) {
    const deployment = await describeServiceDeployment(ecs, arn);
    const seen = stageOf(deployment, clock.now());
    const last = timeline.at(-1);
    if (
      !last ||
      last.stage !== seen.stage ||
      last.status !== seen.status ||
      last.production !== seen.production
    ) {
      timeline.push(seen);
      since = seen.at;
      log(
        `${seen.status} ${seen.stage}: ${seen.production} % of production, ${seen.test} % of test traffic on the new revision`,
      );
    }
    if (TERMINAL.includes(deployment.status!)) return ended(deployment, ours, { timeline, hooks, steps });
    if (options.leaveAtBake && !ours && deployment.status === 'IN_PROGRESS' && seen.stage === 'BAKE_TIME')
      return {
        outcome: 'promoted',
        reason: '',
        leftBaking: true,
        deployment,
        timeline,
        hooks,
        steps,
      };
    const hook = awaitingHook(deployment);
    if (deployment.status === 'IN_PROGRESS' && hook && !answered.has(hook.hookId!)) {
      answered.add(hook.hookId!);
      const verdict = await decide(options, deployment, steps);
      hooks.push({
        hookId: hook.hookId!,
        stage: pausedStage(deployment),
        weight: seen.production,
        ...verdict,
      });
      log(`Pause ${hook.hookId} at ${pausedStage(deployment)}: ${verdict.action} (${verdict.why})`);
      if (verdict.action === 'LEFT PAUSED')
        return { outcome: 'prepared', reason: verdict.why, deployment, timeline, hooks, steps };
      if (verdict.action === 'ROLLBACK')
        ours = { outcome: verdict.outcome ?? 'rolled-back', why: verdict.why };
      try {
        await ecs.send(
          new ContinueServiceDeploymentCommand({
            serviceDeploymentArn: arn,
            hookId: hook.hookId!,
            action: verdict.action,
          }),
        );
      } catch (error) {
        // The pause ended without us (its timeout): ECS's own action decides; the end says which.
        log(`ContinueServiceDeployment at ${hook.hookId} was refused: ${errorMessage(error)}`);
      }
      continue;
    }
    const allowance =
      (UNWINDING.includes(deployment.status!)
        ? options.restoreTimeoutMs
        : options.stuckAfterMs + (seen.stage === 'BAKE_TIME' ? options.bakeMs : 0)) +
      (hook ? Number.POSITIVE_INFINITY : 0);
    if (clock.now() - since > allowance) {
      if (UNWINDING.includes(deployment.status!))
        throw new ActionError(
          `${arn} has been ${deployment.status} for ${Math.round((clock.now() - since) / 1000)} s (restore-timeout): look at the service's events and the rules`,
        );
      const why = `${seen.stage} did not move for ${Math.round((clock.now() - since) / 1000)} s (wait-timeout)`;
      ours = { outcome: 'failed', why };
      log(await rollBackDeployment(ecs, arn, why));
      since = clock.now();
      continue;
    }
    await clock.sleep(options.pollMs * (1 + 0.2 * (options.random ?? Math.random)()));
  }
}

/** The stage a pause holds: the API reports a pre-production pause as PRODUCTION_TRAFFIC_SHIFT. */
function pausedStage(deployment: ServiceDeployment): string {
  return deployment.lifecycleStage === 'PRODUCTION_TRAFFIC_SHIFT'
    ? 'PRE_PRODUCTION_TRAFFIC_SHIFT'
    : String(deployment.lifecycleStage);
}

function stageOf(deployment: ServiceDeployment, at: number): StageSeen {
  const target = deployment.targetServiceRevision;
  return {
    stage: String(deployment.lifecycleStage ?? deployment.status),
    status: String(deployment.status),
    at,
    production: target?.requestedProductionTrafficWeight ?? 0,
    test: target?.requestedTestTrafficWeight ?? 0,
  };
}

async function decide(
  options: DriveOptions,
  deployment: ServiceDeployment,
  steps: StepRecord[],
): Promise<{ action: HookVerdict['action']; why: string; outcome?: 'rolled-back' | 'inconclusive' }> {
  const stage = pausedStage(deployment);
  const weight = deployment.targetServiceRevision?.requestedProductionTrafficWeight ?? 0;
  if (stage === 'POST_TEST_TRAFFIC_SHIFT')
    return options.leaveAtTestPause
      ? { action: 'LEFT PAUSED', why: 'the test listener serves the new revision; phase shift continues it' }
      : { action: 'CONTINUE', why: 'test traffic on the new revision' };
  const judged =
    (stage === 'PRE_PRODUCTION_TRAFFIC_SHIFT' && weight > 0) || stage === 'POST_PRODUCTION_TRAFFIC_SHIFT';
  if (!judged || !options.judgedWeights.some((candidate) => near(candidate, weight)))
    return {
      action: 'CONTINUE',
      why: weight > 0 ? `${weight} % is not a judged step` : 'no production traffic yet',
    };
  const verdict = await options.judge(weight);
  if (verdict.record) steps.push(verdict.record);
  if (verdict.verdict === 'pass')
    return {
      action: 'CONTINUE',
      why: `gate passed at ${weight} %${verdict.reason ? `: ${verdict.reason}` : ''}`,
    };
  return {
    action: 'ROLLBACK',
    why: `gate ${verdict.verdict === 'fail' ? 'failed' : 'inconclusive'} at ${weight} %: ${verdict.reason}`,
    outcome: verdict.verdict === 'fail' ? 'rolled-back' : 'inconclusive',
  };
}

function ended(
  deployment: ServiceDeployment,
  ours: { outcome: 'rolled-back' | 'inconclusive' | 'failed'; why: string } | undefined,
  seen: Pick<DriveResult, 'timeline' | 'hooks' | 'steps'>,
): DriveResult {
  const status = deployment.status!;
  const ecsReason = deployment.rollback?.reason ?? deployment.statusReason ?? status;
  if (status === 'SUCCESSFUL') return { outcome: 'promoted', reason: '', deployment, ...seen };
  if (status === 'ROLLBACK_SUCCESSFUL')
    return ours
      ? {
          outcome: ours.outcome,
          reason: `${ours.why}; ECS rolled back to the previous revision`,
          deployment,
          ...seen,
        }
      : { outcome: 'rolled-back', reason: `ECS rolled back: ${ecsReason}`, deployment, ...seen };
  return { outcome: 'failed', reason: `${status}: ${ecsReason}`, deployment, ...seen };
}
