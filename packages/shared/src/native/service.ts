/**
 * An ECS native blue/green service (one service, two target groups, rules ECS rewrites) and its
 * service deployments, as the actions read them. Reads only.
 */
import {
  DescribeServiceDeploymentsCommand,
  DescribeServicesCommand,
  ListServiceDeploymentsCommand,
  type AdvancedConfiguration,
  type ECSClient,
  type Service,
  type ServiceDeployment,
} from '@aws-sdk/client-ecs';
import {
  DescribeRulesCommand,
  type ElasticLoadBalancingV2Client,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ActionError } from '../errors.js';
import { loadBalancerDimension } from '../blue-green/read.js';
import { NATIVE_STRATEGIES } from './strategies.js';

/** Where a service deployment has ended. */
export const TERMINAL = ['SUCCESSFUL', 'STOPPED', 'ROLLBACK_SUCCESSFUL', 'ROLLBACK_FAILED'];

/** Deployments of a service that are not over yet. */
export const OPEN_STATUSES = [
  'PENDING',
  'IN_PROGRESS',
  'STOP_REQUESTED',
  'ROLLBACK_REQUESTED',
  'ROLLBACK_IN_PROGRESS',
] as const;

export interface NativeTarget {
  cluster: string;
  service: Service;
  /** The service's load balancer entry and its advanced configuration, complete. */
  targetGroupArn: string;
  advanced: Required<
    Pick<AdvancedConfiguration, 'alternateTargetGroupArn' | 'productionListenerRule' | 'roleArn'>
  > &
    Pick<AdvancedConfiguration, 'testListenerRule'>;
  /** `app/<name>/<id>`: the LoadBalancer dimension of both groups' metrics. */
  loadBalancer: string;
}

export async function readNativeService(ecs: ECSClient, cluster: string, name: string): Promise<Service> {
  const answer = await ecs.send(new DescribeServicesCommand({ cluster, services: [name] }));
  const service = answer.services?.[0];
  if (!service || service.status !== 'ACTIVE')
    throw new ActionError(
      `ECS service ${name} was not found (or is not ACTIVE) in cluster ${cluster}: strategy ecs-native deploys one existing service; check the service and cluster inputs`,
    );
  return service;
}

/** The service as ecs-native needs it; refusals name what is wrong and what would be right. */
export function checkNativeService(service: Service, cluster: string, strategyGiven: boolean): NativeTarget {
  const name = service.serviceName!;
  const controller = service.deploymentController?.type ?? 'ECS';
  if (controller !== 'ECS')
    throw new ActionError(
      `${name} uses the ${controller} deployment controller; ECS native blue/green needs the ECS controller (UpdateService can change it)`,
    );
  const strategy = service.deploymentConfiguration?.strategy ?? 'ROLLING';
  if (!strategyGiven && !NATIVE_STRATEGIES.includes(strategy as never))
    throw new ActionError(
      `${name} deploys with the ${strategy} strategy; strategy ecs-native needs BLUE_GREEN, LINEAR or CANARY on the service (or the ecs-strategy input)`,
    );
  const entry = service.loadBalancers?.[0];
  const advanced = entry?.advancedConfiguration;
  const missing = (['alternateTargetGroupArn', 'productionListenerRule', 'roleArn'] as const).filter(
    (field) => !advanced?.[field],
  );
  if (!entry?.targetGroupArn || !advanced || missing.length > 0)
    throw new ActionError(
      `${name} has no complete loadBalancers[0].advancedConfiguration (missing ${missing.join(', ') || 'the load balancer'}): ECS native blue/green needs a second target group, the production listener rule it rewrites, and the infrastructure role it rewrites it with`,
    );
  return {
    cluster,
    service,
    targetGroupArn: entry.targetGroupArn,
    advanced: advanced as NativeTarget['advanced'],
    loadBalancer: loadBalancerDimension(advanced.productionListenerRule!),
  };
}

/** The production (and test) rule each forward, only, over the service's groups: what ECS can rewrite. */
export async function checkRules(elbv2: ElasticLoadBalancingV2Client, target: NativeTarget): Promise<void> {
  const ruleArns = [target.advanced.productionListenerRule, target.advanced.testListenerRule].filter(
    (arn): arn is string => Boolean(arn),
  );
  const rules = (await elbv2.send(new DescribeRulesCommand({ RuleArns: ruleArns }))).Rules ?? [];
  const groups = new Set<string>();
  for (const rule of rules) {
    const which = rule.RuleArn === target.advanced.productionListenerRule ? 'production' : 'test';
    const actions = rule.Actions ?? [];
    if (actions.length !== 1 || actions[0]!.Type !== 'forward')
      throw new ActionError(
        `The ${which} listener rule ${rule.RuleArn} has ${actions.map((action) => action.Type).join(' + ') || 'no'} action(s); ECS native blue/green rewrites a rule that only forwards (no redirect, fixed-response or authenticate beside it)`,
      );
    for (const group of forwardGroups(actions[0]!)) groups.add(group);
  }
  const needed = [target.targetGroupArn, target.advanced.alternateTargetGroupArn];
  const absent = needed.filter((group) => !groups.has(group));
  if (absent.length > 0)
    throw new ActionError(
      `The production and test rules do not forward to ${absent.join(' and ')}: ECS rolls a deployment back ("invalid networking configuration") unless both target groups are on the production or the test rule`,
    );
}

function forwardGroups(action: NonNullable<Rule['Actions']>[number]): string[] {
  if (action.ForwardConfig?.TargetGroups)
    return action.ForwardConfig.TargetGroups.map((group) => group.TargetGroupArn ?? '');
  return action.TargetGroupArn ? [action.TargetGroupArn] : [];
}

/** A deployment not over yet, if the service has one (a second would supersede it). */
export async function openDeployment(
  ecs: ECSClient,
  cluster: string,
  service: string,
): Promise<string | undefined> {
  const answer = await ecs.send(
    new ListServiceDeploymentsCommand({ cluster, service, status: [...OPEN_STATUSES] }),
  );
  return answer.serviceDeployments?.[0]?.serviceDeploymentArn;
}

export async function describeServiceDeployment(ecs: ECSClient, arn: string): Promise<ServiceDeployment> {
  const answer = await ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] }));
  const found = answer.serviceDeployments?.[0];
  if (!found)
    throw new ActionError(
      `Service deployment ${arn} was not found (${answer.failures?.[0]?.reason ?? 'MISSING'}): check service-deployment-arn`,
    );
  return found;
}
