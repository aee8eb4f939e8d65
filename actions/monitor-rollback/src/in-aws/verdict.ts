/**
 * `mode: in-aws` with a deployment: the verdict of the watch ECS carried out, read from the
 * deployment's final state (waiting up to wait-timeout for it to end) and from how many requests the
 * new revision served, since alarms that saw no traffic judged nothing. Reads only.
 */
import {
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type CloudWatchClient,
} from '@aws-sdk/client-cloudwatch';
import { DescribeServiceRevisionsCommand, type ECSClient, type ServiceDeployment } from '@aws-sdk/client-ecs';
import type { Clock } from '../../../../packages/shared/src/clock.js';
import { ActionError } from '../../../../packages/shared/src/errors.js';
import {
  checkNativeService,
  describeServiceDeployment,
  readNativeService,
  TERMINAL,
} from '../../../../packages/shared/src/native/service.js';
import type { InAwsInputs } from '../inputs.js';
import { releaseAlarmNames } from './alarms.js';

/** ECS's alarm statuses of a deployment whose alarms it watched (DISABLED: it watched none). */
const WATCHED = ['MONITORING', 'MONITORING_COMPLETE', 'TRIGGERED'];

export interface VerdictResult {
  outcome: 'healthy' | 'rolled-back' | 'inconclusive' | 'failed';
  reason: string;
  serviceDeploymentArn: string;
  status: string;
  stage?: string;
  /** The alarms ECS watched, its alarm status, and the ones that fired. */
  alarms: { status: string; names: string[]; triggered: string[] };
  /** Requests the new revision's target group served from the deployment's start to its end (or now). */
  requests?: number;
  targetGroupArn?: string;
  /** Minutes ECS watched after production reached the new revision (its bake), if known. */
  bakeMinutes?: number;
  startedAt?: number;
  finishedAt?: number;
  notes: string[];
}

export interface VerdictContext {
  ecs: ECSClient;
  cloudwatch: CloudWatchClient;
  clock: Clock;
  log: (line: string) => void;
}

export async function readVerdict(context: VerdictContext, inputs: InAwsInputs): Promise<VerdictResult> {
  const arn = inputs['service-deployment-arn']!;
  const service = await readNativeService(context.ecs, inputs.cluster, inputs.service);
  const target = checkNativeService(service, inputs.cluster, true);
  let deployment = await describeServiceDeployment(context.ecs, arn);
  if (deployment.serviceArn && deployment.serviceArn !== service.serviceArn)
    throw new ActionError(
      `service-deployment-arn ${arn} is a deployment of ${deployment.serviceArn}, not of ${service.serviceArn}: give the deployment blue-green-deploy started for ${inputs.service}`,
    );
  const waitUntil = context.clock.now() + inputs['wait-timeout'];
  while (!TERMINAL.includes(deployment.status!) && context.clock.now() < waitUntil) {
    context.log(`${arn} is ${deployment.status} at ${deployment.lifecycleStage}: ECS is still watching`);
    await context.clock.sleep(Math.min(inputs.interval, Math.max(0, waitUntil - context.clock.now())));
    deployment = await describeServiceDeployment(context.ecs, arn);
  }
  const group = await targetGroupOf(context.ecs, deployment);
  const startedAt = deployment.startedAt?.getTime() ?? deployment.createdAt?.getTime();
  const finishedAt = deployment.finishedAt?.getTime();
  const requests =
    group && startedAt !== undefined
      ? await requestsServed(context.cloudwatch, {
          loadBalancer: target.loadBalancer,
          targetGroup: group.slice(group.indexOf('targetgroup/')),
          fromMs: startedAt,
          untilMs: finishedAt ?? context.clock.now(),
          periodSeconds: inputs['metric-period'] / 1000,
        })
      : undefined;
  const alarms = {
    status: deployment.alarms?.status ?? 'DISABLED',
    names: deployment.alarms?.alarmNames ?? [],
    triggered: deployment.alarms?.triggeredAlarmNames ?? [],
  };
  const notes: string[] = [];
  const ours = releaseAlarmNames(inputs.cluster, inputs.service).filter((name) =>
    alarms.names.includes(name),
  );
  if (ours.length === 0)
    notes.push(
      `None of the release alarms (${releaseAlarmNames(inputs.cluster, inputs.service).join(', ')}) was among the deployment's alarms: give monitor-rollback's alarms output to blue-green-deploy's alarms input`,
    );
  const elsewhere = group ? await alarmsElsewhere(context.cloudwatch, ours, group) : [];
  const base = {
    serviceDeploymentArn: arn,
    status: deployment.status!,
    stage: deployment.lifecycleStage,
    alarms,
    requests,
    targetGroupArn: group,
    bakeMinutes: deployment.deploymentConfiguration?.bakeTimeInMinutes,
    startedAt,
    finishedAt,
    notes,
  };
  const judged = judge(deployment, alarms, requests);
  if (elsewhere.length > 0 && judged.outcome === 'healthy')
    return {
      ...base,
      outcome: 'inconclusive',
      reason: `${elsewhere.join(', ')} watched another target group than the new revision's (${group!.slice(group!.indexOf('targetgroup/'))}): they were armed for an earlier deployment. Arm them (mode: in-aws) before each deploy`,
    };
  return { ...base, ...judged };
}

/** The release alarms whose metrics are not on `group` (armed for another deployment). */
async function alarmsElsewhere(
  cloudwatch: CloudWatchClient,
  names: string[],
  group: string,
): Promise<string[]> {
  if (names.length === 0) return [];
  const dimension = group.slice(group.indexOf('targetgroup/'));
  const answer = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: names }));
  return (answer.MetricAlarms ?? [])
    .filter((alarm) => {
      const dimensions = [
        ...(alarm.Dimensions ?? []),
        ...(alarm.Metrics ?? []).flatMap((query) => query.MetricStat?.Metric?.Dimensions ?? []),
      ].filter((entry) => entry.Name === 'TargetGroup');
      return dimensions.length === 0 || dimensions.some((entry) => entry.Value !== dimension);
    })
    .map((alarm) => alarm.AlarmName!);
}

/** The verdict from ECS's end of the deployment and the evidence the alarms had. */
export function judge(
  deployment: Pick<ServiceDeployment, 'status' | 'lifecycleStage' | 'rollback' | 'statusReason'>,
  alarms: VerdictResult['alarms'],
  requests: number | undefined,
): Pick<VerdictResult, 'outcome' | 'reason'> {
  const status = deployment.status!;
  if (status === 'ROLLBACK_SUCCESSFUL')
    return {
      outcome: 'rolled-back',
      reason:
        alarms.triggered.length > 0
          ? `ECS rolled back to the previous revision: ${alarms.triggered.join(', ')} went into ALARM`
          : `ECS rolled back to the previous revision: ${deployment.rollback?.reason ?? deployment.statusReason ?? 'no reason given'}`,
    };
  if (status !== 'SUCCESSFUL' && TERMINAL.includes(status))
    return {
      outcome: 'failed',
      reason: `the deployment ended ${status}: ${deployment.rollback?.reason ?? deployment.statusReason ?? 'no reason given'}`,
    };
  if (!TERMINAL.includes(status))
    return {
      outcome: 'inconclusive',
      reason: `the deployment is still ${status} at ${deployment.lifecycleStage ?? 'an unknown stage'}: ECS keeps watching; read the verdict again after its bake`,
    };
  if (!WATCHED.includes(alarms.status) || alarms.names.length === 0)
    return {
      outcome: 'inconclusive',
      reason: `ECS watched no alarm (alarm status ${alarms.status}${alarms.names.length === 0 ? ', none named' : ': disabled, or one was already in ALARM when the deployment started'}): nothing judged the bake`,
    };
  if (requests === undefined)
    return {
      outcome: 'inconclusive',
      reason:
        'ECS did not say which target group the new revision served from: its requests could not be counted',
    };
  if (requests === 0)
    return {
      outcome: 'inconclusive',
      reason: 'the new revision served no requests during the deployment: its alarms had nothing to judge',
    };
  return {
    outcome: 'healthy',
    reason: '',
  };
}

async function targetGroupOf(ecs: ECSClient, deployment: ServiceDeployment): Promise<string | undefined> {
  const arn = deployment.targetServiceRevision?.arn;
  if (!arn) return undefined;
  const answer = await ecs.send(new DescribeServiceRevisionsCommand({ serviceRevisionArns: [arn] }));
  return answer.serviceRevisions?.[0]?.resolvedConfiguration?.loadBalancers?.[0]?.targetGroupArn;
}

/** The RequestCount the group's metrics hold over the window (every page). */
async function requestsServed(
  cloudwatch: CloudWatchClient,
  window: {
    loadBalancer: string;
    targetGroup: string;
    fromMs: number;
    untilMs: number;
    periodSeconds: number;
  },
): Promise<number> {
  const periodMs = window.periodSeconds * 1000;
  const start = Math.floor(window.fromMs / periodMs) * periodMs;
  const end = Math.max(start + periodMs, Math.ceil(window.untilMs / periodMs) * periodMs);
  let total = 0;
  let token: string | undefined;
  for (let page = 0; page < 100; page++) {
    const answer = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(start),
        EndTime: new Date(end),
        NextToken: token,
        MetricDataQueries: [
          {
            Id: 'requests',
            MetricStat: {
              Metric: {
                Namespace: 'AWS/ApplicationELB',
                MetricName: 'RequestCount',
                Dimensions: [
                  { Name: 'LoadBalancer', Value: window.loadBalancer },
                  { Name: 'TargetGroup', Value: window.targetGroup },
                ],
              },
              Period: window.periodSeconds,
              Stat: 'Sum',
            },
          },
        ],
      }),
    );
    for (const value of answer.MetricDataResults?.[0]?.Values ?? []) total += value;
    token = answer.NextToken;
    if (!token) break;
  }
  return total;
}
