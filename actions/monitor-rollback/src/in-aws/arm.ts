/**
 * `mode: in-aws` without a deployment: puts the release alarms on the target group the next
 * revision will serve from (the one the production rule sends nothing to), so that ECS can watch
 * them as deployment alarms through its bake. Refusals first; only PutMetricAlarm changes anything.
 */
import {
  DescribeAlarmsCommand,
  PutMetricAlarmCommand,
  type CloudWatchClient,
} from '@aws-sdk/client-cloudwatch';
import type { ECSClient } from '@aws-sdk/client-ecs';
import {
  DescribeRulesCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ActionError } from '../../../../packages/shared/src/errors.js';
import {
  checkNativeService,
  openDeployment,
  readNativeService,
  type NativeTarget,
} from '../../../../packages/shared/src/native/service.js';
import type { InAwsInputs } from '../inputs.js';
import { releaseAlarms, type ReleaseAlarm } from './alarms.js';

export interface ArmResult {
  /** The target group the alarms watch: the next revision's. */
  targetGroupArn: string;
  alarms: (Pick<ReleaseAlarm, 'name' | 'watches'> & { state: string })[];
  /** Every alarm ECS should watch: the release alarms and the ones given in `alarms`. */
  alarmNames: string[];
}

export interface ArmClients {
  ecs: ECSClient;
  elbv2: ElasticLoadBalancingV2Client;
  cloudwatch: CloudWatchClient;
}

export async function armReleaseAlarms(clients: ArmClients, inputs: InAwsInputs): Promise<ArmResult> {
  const service = await readNativeService(clients.ecs, inputs.cluster, inputs.service);
  const target = checkNativeService(service, inputs.cluster, true);
  const open = await openDeployment(clients.ecs, inputs.cluster, inputs.service);
  if (open)
    throw new ActionError(
      `${inputs.service} has a deployment under way (${open}): its alarms were fixed when it started. Arm before blue-green-deploy starts the next one`,
    );
  const idle = await idleGroup(clients.elbv2, target);
  const given = await missingAlarms(clients.cloudwatch, inputs.alarms);
  if (given.length > 0)
    throw new ActionError(
      `The alarm(s) ${given.join(', ')} named in alarms do not exist: ECS would watch nothing under those names`,
    );
  const alarms = releaseAlarms({
    cluster: inputs.cluster,
    service: inputs.service,
    loadBalancer: target.loadBalancer,
    targetGroup: idle.slice(idle.indexOf('targetgroup/')),
    periodSeconds: inputs['metric-period'] / 1000,
    periods: inputs['failures-before-rollback'],
    maxErrorRate: inputs['max-error-rate'],
    maxP95Ms: inputs['max-p95-latency'],
    maxUnhealthyTasks: inputs['max-task-restarts'],
  });
  for (const alarm of alarms) await clients.cloudwatch.send(new PutMetricAlarmCommand(alarm.input));
  const states = await alarmStates(
    clients.cloudwatch,
    alarms.map((alarm) => alarm.name),
  );
  return {
    targetGroupArn: idle,
    alarms: alarms.map((alarm) => ({
      name: alarm.name,
      watches: alarm.watches,
      state: states.get(alarm.name) ?? 'unknown',
    })),
    alarmNames: [...alarms.map((alarm) => alarm.name), ...inputs.alarms],
  };
}

/** The service's target group the production rule sends nothing to: where ECS puts the next revision. */
async function idleGroup(elbv2: ElasticLoadBalancingV2Client, target: NativeTarget): Promise<string> {
  const rule = (
    await elbv2.send(new DescribeRulesCommand({ RuleArns: [target.advanced.productionListenerRule] }))
  ).Rules?.[0];
  const forward = rule?.Actions?.find((action) => action.Type === 'forward');
  const weights = new Map<string, number>();
  for (const group of forward?.ForwardConfig?.TargetGroups ?? [])
    weights.set(group.TargetGroupArn ?? '', group.Weight ?? 1);
  if (forward?.TargetGroupArn && weights.size === 0) weights.set(forward.TargetGroupArn, 1);
  const groups = [target.targetGroupArn, target.advanced.alternateTargetGroupArn];
  const idle = groups.filter((group) => (weights.get(group) ?? 0) === 0);
  if (idle.length !== 1)
    throw new ActionError(
      `The production rule ${target.advanced.productionListenerRule} sends ${groups
        .map((group) => `${weights.get(group) ?? 0} to ${group.slice(group.indexOf('targetgroup/'))}`)
        .join(
          ' and ',
        )}: at rest one of the service's groups has all the weight and the next revision goes to the other`,
    );
  return idle[0]!;
}

async function alarmStates(cloudwatch: CloudWatchClient, names: string[]): Promise<Map<string, string>> {
  const states = new Map<string, string>();
  if (names.length === 0) return states;
  const answer = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: names }));
  for (const alarm of answer.MetricAlarms ?? []) states.set(alarm.AlarmName!, alarm.StateValue!);
  for (const alarm of answer.CompositeAlarms ?? []) states.set(alarm.AlarmName!, alarm.StateValue!);
  return states;
}

async function missingAlarms(cloudwatch: CloudWatchClient, names: string[]): Promise<string[]> {
  const states = await alarmStates(cloudwatch, names);
  return names.filter((name) => !states.has(name));
}
