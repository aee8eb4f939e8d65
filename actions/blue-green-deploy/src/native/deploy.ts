/**
 * `strategy: ecs-native`, one run: reads and refusals first (nothing changes for a bad input or a
 * service ECS could not deploy), the suite's lock on the production rule, then the phase: start a
 * deployment (all, prepare), drive one from its pause (shift), or roll one back (rollback).
 */
import {
  DescribeServiceRevisionsCommand,
  ListServiceDeploymentsCommand,
  UpdateServiceCommand,
  type ServiceDeployment,
} from '@aws-sdk/client-ecs';
import { acquireLease, LeaseLostError } from '../../../../packages/shared/src/blue-green/lease.js';
import { ActionError } from '../../../../packages/shared/src/errors.js';
import type { ColorDimensions } from '../../../../packages/shared/src/signals/cloudwatch.js';
import { bakeAndJudge } from '../cutover.js';
import type { Inputs } from '../inputs.js';
import { leaseOptions, type DeployContext, type Outcome } from '../phase.js';
import { resolveTaskDefinition, revisionFor } from '../prepare.js';
import { gateSettings } from '../shift.js';
import {
  driveDeployment,
  rollBackDeployment,
  type DriveResult,
  type HookVerdict,
  type StageSeen,
  type Verdict,
} from './drive.js';
import { planNative, type NativeSettings } from './plan.js';
import {
  checkNativeService,
  checkRules,
  describeServiceDeployment,
  openDeployment,
  readNativeService,
  TERMINAL,
  type NativeTarget,
} from '../../../../packages/shared/src/native/service.js';
import type { StepRecord } from '../cutover.js';

/** Between two DescribeServiceDeployments (jittered): one call a tick answers stage, hooks and weights. */
export const POLL_MS = 2000;

export interface NativeResult {
  outcome: Outcome;
  reason: string;
  serviceDeploymentArn?: string;
  taskDefinitionArn?: string;
  previousTaskDefinitionArn?: string;
  timeline: StageSeen[];
  hooks: HookVerdict[];
  steps: StepRecord[];
  /** ECS's deployment alarms at the end: their status and those in ALARM. */
  alarms?: { status?: string; triggered: string[] };
  rollbackReason?: string;
  notices: string[];
}

export function nativeSettings(inputs: Inputs): Omit<NativeSettings, 'testPauseMs'> {
  const judgeWindowMs =
    Math.max(inputs['step-bake'], inputs['no-data'] === 'wait' ? inputs['max-bake'] : 0) +
    inputs['metric-period'] +
    inputs['metric-delay'];
  return {
    ecsStrategy: inputs['ecs-strategy'],
    stepPercent: inputs['ecs-step-percent'],
    bakeMs: inputs['bake-time'],
    trafficSteps: inputs['traffic-steps-given'] ? inputs['traffic-steps'] : undefined,
    judgeWindowMs,
    alarms: inputs.alarms,
  };
}

export async function deployNative(context: DeployContext): Promise<NativeResult> {
  const { inputs, clients } = context;
  const deploying = inputs.phase === 'all' || inputs.phase === 'prepare';
  // Reads only, before the lock: a mistake in the inputs or the service changes nothing.
  const resolved = deploying ? await resolveTaskDefinition(context) : undefined;
  const service = await readNativeService(clients.ecs, inputs.cluster, inputs.service);
  const target = checkNativeService(service, inputs.cluster, Boolean(inputs['ecs-strategy']));
  const open = await openDeployment(clients.ecs, inputs.cluster, inputs.service);
  if (deploying) {
    await checkRules(clients.elbv2, target);
    if (open)
      throw new ActionError(
        `${inputs.service} has a deployment in progress (${open}); a second would supersede it. Continue it with phase: shift and service-deployment-arn, or roll it back with phase: rollback`,
      );
  }
  const plan = deploying
    ? planNative(service.deploymentConfiguration, {
        ...nativeSettings(inputs),
        testPauseMs: inputs.phase === 'prepare' ? inputs['pause-timeout'] : 0,
      })
    : undefined;
  // A recovery job's rollback finishes only what is under way: ECS settled everything else.
  if (inputs.phase === 'rollback' && inputs['if-unsettled'] && !open && !inputs['service-deployment-arn'])
    return {
      outcome: 'unchanged',
      reason: `no deployment of ${inputs.service} is under way: nothing is unsettled`,
      timeline: [],
      hooks: [],
      steps: [],
      notices: [],
    };
  const lease = await acquireLease(clients.elbv2, target.advanced.productionListenerRule, {
    ...leaseOptions(context),
  });
  const run = {
    ...context,
    lease,
    clock: lease.clock(),
    notices: [...(resolved?.notices ?? []), ...(plan?.notes ?? [])],
  };
  const state = { holder: context.holder, lockHeld: true, restoreTimeoutMs: inputs['restore-timeout'] };
  /** From here to the end, a stopped run's post step rolls the deployment back (unless left at a pause). */
  let watched: { serviceDeploymentArn: string; rollbackOnStop: boolean } | undefined;
  const watch = (serviceDeploymentArn: string, rollbackOnStop = true) => {
    watched = { serviceDeploymentArn, rollbackOnStop };
    context.save({ ...state, native: watched });
  };
  context.save(state);
  const drive = (arn: string, judgedWeights: number[], leaveAtTestPause = false) => {
    // Which group each revision serves from is fixed for the deployment: read once, when first judged.
    let revisions: Promise<RevisionDetails> | undefined;
    const revisionsOnce = () =>
      (revisions ??= describeServiceDeployment(clients.ecs, arn).then((found) =>
        revisionDetails(context, found),
      ));
    return driveDeployment(
      {
        ecs: clients.ecs,
        clock: run.clock,
        log: context.log,
        judge: async (weight) => judgeStep(context, run.clock, target, await revisionsOnce(), weight),
        judgedWeights,
        leaveAtTestPause,
        leaveAtBake: !inputs['wait-for-bake'],
        stuckAfterMs: inputs['wait-timeout'],
        bakeMs: (plan?.deploymentConfiguration.bakeTimeInMinutes ?? 0) * 60_000,
        restoreTimeoutMs: inputs['restore-timeout'],
        pollMs: POLL_MS,
        random: context.random,
      },
      arn,
    );
  };
  const finish = (arn: string, driven: DriveResult, extra: Partial<NativeResult> = {}): NativeResult => {
    // Left at a pause or in the bake on purpose, the deployment is ECS's: the post step leaves it.
    const left = driven.outcome === 'prepared' || driven.leftBaking === true;
    watch(arn, !left && !TERMINAL.includes(driven.deployment.status!));
    if (driven.leftBaking) run.notices.push(bakingNotice(arn, driven.deployment));
    return {
      outcome: driven.outcome,
      reason: driven.reason,
      serviceDeploymentArn: arn,
      timeline: driven.timeline,
      hooks: driven.hooks,
      steps: driven.steps,
      alarms: {
        status: driven.deployment.alarms?.status,
        triggered: driven.deployment.alarms?.triggeredAlarmNames ?? [],
      },
      rollbackReason: driven.deployment.rollback?.reason,
      notices: run.notices,
      ...extra,
    };
  };
  try {
    if (deploying) {
      const taskDefinitionArn = await revisionFor(run, resolved!);
      if (taskDefinitionArn === service.taskDefinition)
        return {
          outcome: 'unchanged',
          reason: `${inputs.service} already runs ${taskDefinitionArn}`,
          taskDefinitionArn,
          previousTaskDefinitionArn: taskDefinitionArn,
          timeline: [],
          hooks: [],
          steps: [],
          notices: run.notices,
        };
      await lease.check();
      const updated = await clients.ecs.send(
        new UpdateServiceCommand({
          cluster: inputs.cluster,
          service: inputs.service,
          taskDefinition: taskDefinitionArn,
          deploymentConfiguration: plan!.deploymentConfiguration,
          ...(inputs['desired-count'] ? { desiredCount: inputs['desired-count'] } : {}),
        }),
      );
      const arn = updated.service?.currentServiceDeployment ?? (await newestDeployment(context, inputs));
      watch(arn);
      context.log(
        `Started ${arn}: ${plan!.strategy}, ECS steps ${plan!.productionSteps.join(', ')} %, judged at ${plan!.judgedWeights.join(', ')} %`,
      );
      const driven = await drive(arn, plan!.judgedWeights, inputs.phase === 'prepare');
      return finish(arn, driven, { taskDefinitionArn, previousTaskDefinitionArn: service.taskDefinition });
    }
    if (inputs.phase === 'shift') {
      const arn = inputs['service-deployment-arn'] ?? open;
      if (!arn)
        throw new ActionError(
          `${inputs.service} has no deployment in progress to shift: start one with phase: prepare (or all)`,
        );
      const deployment = await describeServiceDeployment(clients.ecs, arn);
      if (deployment.status !== 'IN_PROGRESS')
        throw new ActionError(
          `${arn} is ${deployment.status}, not IN_PROGRESS: there is nothing to continue`,
        );
      const judged = planNative(deployment.deploymentConfiguration, {
        ...nativeSettings(inputs),
        testPauseMs: 0,
      });
      watch(arn);
      context.log(`Re-attached to ${arn} at ${deployment.lifecycleStage}`);
      const driven = await drive(arn, judged.judgedWeights);
      return finish(arn, driven, await releasesOf(context, deployment));
    }
    // rollback
    const arn = inputs['service-deployment-arn'] ?? open;
    if (arn) {
      const deployment = await describeServiceDeployment(clients.ecs, arn);
      if (!TERMINAL.includes(deployment.status!)) {
        watch(arn);
        context.log(await rollBackDeployment(clients.ecs, arn, 'phase rollback'));
        const driven = await drive(arn, []);
        return {
          ...finish(arn, driven, await releasesOf(context, deployment)),
          reason: 'rolled back by phase rollback',
        };
      }
      if (inputs['service-deployment-arn'] && deployment.status !== 'SUCCESSFUL')
        throw new ActionError(
          `${arn} is ${deployment.status}: it is not live, there is nothing to roll back`,
        );
    }
    return await redeployPrevious(context, run, target, watch, drive);
  } catch (error) {
    if (error instanceof LeaseLostError)
      throw new ActionError(`${error.message}; the deployment is left to ECS and its pause timeouts`);
    throw error;
  } finally {
    await lease
      .release()
      .catch((error: Error) => context.log(`Could not release the deploy lock: ${error.message}`));
    context.save({ ...state, lockHeld: false, ...(watched ? { native: watched } : {}) });
  }
}

/**
 * After CLEAN_UP the previous revision is gone: a rollback is a new deployment of its task
 * definition, without pauses (minutes, not seconds). The summary says so.
 */
async function redeployPrevious(
  context: DeployContext,
  run: DeployContext & { lease: { check(): Promise<void> }; notices: string[] },
  target: NativeTarget,
  watch: (arn: string) => void,
  drive: (arn: string, judged: number[]) => Promise<DriveResult>,
): Promise<NativeResult> {
  const { inputs, clients } = context;
  const live = await lastSuccessful(context, inputs);
  const previous =
    inputs['to-task-definition'] ??
    (live ? (await releasesOf(context, live)).previousTaskDefinitionArn : undefined);
  if (!previous)
    throw new ActionError(
      `${inputs.service} has no earlier revision to roll back to: give to-task-definition`,
    );
  const current = target.service.taskDefinition;
  await run.lease.check();
  const updated = await clients.ecs.send(
    new UpdateServiceCommand({
      cluster: inputs.cluster,
      service: inputs.service,
      taskDefinition: previous,
      deploymentConfiguration: { ...target.service.deploymentConfiguration, lifecycleHooks: [] },
    }),
  );
  const arn = updated.service!.currentServiceDeployment!;
  watch(arn);
  run.notices.push(
    `The previous revision was no longer running (its bake had ended): the rollback is a new deployment of ${previous}, slower than a weight flip`,
  );
  const driven = await drive(arn, []);
  return {
    outcome: driven.outcome === 'promoted' ? 'rolled-back' : 'failed',
    reason: driven.outcome === 'promoted' ? `${previous} deployed again` : driven.reason,
    serviceDeploymentArn: arn,
    taskDefinitionArn: previous,
    previousTaskDefinitionArn: current,
    timeline: driven.timeline,
    hooks: driven.hooks,
    steps: [],
    notices: run.notices,
  };
}

async function newestDeployment(context: DeployContext, inputs: Inputs): Promise<string> {
  const answer = await context.clients.ecs.send(
    new ListServiceDeploymentsCommand({ cluster: inputs.cluster, service: inputs.service, maxResults: 1 }),
  );
  const arn = answer.serviceDeployments?.[0]?.serviceDeploymentArn;
  if (!arn) throw new ActionError(`UpdateService started no service deployment for ${inputs.service}`);
  return arn;
}

async function lastSuccessful(
  context: DeployContext,
  inputs: Inputs,
): Promise<ServiceDeployment | undefined> {
  const answer = await context.clients.ecs.send(
    new ListServiceDeploymentsCommand({
      cluster: inputs.cluster,
      service: inputs.service,
      status: ['SUCCESSFUL'],
    }),
  );
  const arn = answer.serviceDeployments?.[0]?.serviceDeploymentArn;
  return arn ? describeServiceDeployment(context.clients.ecs, arn) : undefined;
}

/** The task definitions and target groups of a deployment's source and target revisions. */
async function revisionDetails(context: DeployContext, deployment: ServiceDeployment) {
  const arns = [deployment.sourceServiceRevisions?.[0]?.arn, deployment.targetServiceRevision?.arn].filter(
    (arn): arn is string => Boolean(arn),
  );
  const answer = await context.clients.ecs.send(
    new DescribeServiceRevisionsCommand({ serviceRevisionArns: arns }),
  );
  const of = (arn: string | undefined) =>
    answer.serviceRevisions?.find((revision) => revision.serviceRevisionArn === arn);
  const source = of(deployment.sourceServiceRevisions?.[0]?.arn);
  const target = of(deployment.targetServiceRevision?.arn);
  return {
    source: {
      taskDefinition: source?.taskDefinition,
      group: source?.resolvedConfiguration?.loadBalancers?.[0]?.targetGroupArn,
    },
    target: {
      taskDefinition: target?.taskDefinition,
      group: target?.resolvedConfiguration?.loadBalancers?.[0]?.targetGroupArn,
    },
  };
}

type RevisionDetails = Awaited<ReturnType<typeof revisionDetails>>;

/** The release a deployment brings and the one it replaces, as the run's outputs name them. */
async function releasesOf(context: DeployContext, deployment: ServiceDeployment) {
  const details = await revisionDetails(context, deployment);
  return {
    taskDefinitionArn: details.target.taskDefinition,
    previousTaskDefinitionArn: details.source.taskDefinition,
  };
}

const dimensionOf = (loadBalancer: string, groupArn: string): ColorDimensions => ({
  loadBalancer,
  targetGroup: groupArn.slice(groupArn.indexOf('targetgroup/')),
});

/** The one judge over the two target groups: the new revision's against the previous one's. */
async function judgeStep(
  context: DeployContext,
  clock: DeployContext['clock'],
  target: NativeTarget,
  details: RevisionDetails,
  weight: number,
): Promise<Verdict> {
  const { inputs } = context;
  if (!details.source.group || !details.target.group)
    return {
      verdict: 'inconclusive',
      reason: 'ECS did not say which target group each revision serves from',
    };
  const dimensions = {
    blue: dimensionOf(target.loadBalancer, details.source.group),
    green: dimensionOf(target.loadBalancer, details.target.group),
  };
  const bake = () =>
    bakeAndJudge(
      {
        cloudwatch: context.clients.cloudwatch,
        bakeMs: inputs['step-bake'],
        clock,
        send: context.send,
        gates: {
          ...gateSettings(inputs, dimensions),
          labels: { blue: 'the previous revision', green: 'the new revision' },
        },
      },
      weight,
      'green',
    );
  const record = context.group ? await context.group(`Step ${weight} %: bake and gate`, bake) : await bake();
  const reason = record.reasons.join('; ');
  const verdict =
    record.verdict === 'failed' ? 'fail' : record.verdict === 'inconclusive' ? 'inconclusive' : 'pass';
  return { verdict, reason, record };
}

/** What a job that ends in the bake leaves behind: who watches, until when, and where the verdict is. */
function bakingNotice(arn: string, deployment: ServiceDeployment): string {
  const alarms = deployment.alarms?.alarmNames ?? [];
  const watched =
    deployment.alarms?.status === 'MONITORING' && alarms.length > 0
      ? `ECS watches ${alarms.join(', ')} and rolls back by itself if one goes into ALARM`
      : 'no deployment alarm is watched (none given, or one was already in ALARM): nothing rolls back by itself';
  const minutes = deployment.deploymentConfiguration?.bakeTimeInMinutes;
  return `The job ends in ECS's bake${minutes ? ` (${minutes} min)` : ''}: ${watched}. Read the verdict with monitor-rollback mode: in-aws and service-deployment-arn: ${arn}`;
}
