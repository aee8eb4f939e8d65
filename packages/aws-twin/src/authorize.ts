/**
 * IAM in the twin: calls signed with credentials of a role the scenario describes (`iam.roles`)
 * are evaluated against that role's policy on every call, `iam:PassRole` included for the roles a
 * task definition, a RunTask override or a schedule's or rule's target names, and refused in each
 * service's own wire shape with AWS's message. Static keys and scenarios without `iam` are allowed everything, as before.
 */
import { AwsError } from './errors.js';
import {
  conditionsHold,
  denialMessage,
  evaluatePolicy,
  wildcardMatch,
  type AuthorizationRequest,
  type PolicyDocument,
  type PolicyStatement,
} from './iam.js';
import { requestRegion, type Account } from './ids.js';

export interface IamScenario {
  roles: Record<string, { policy: PolicyDocument; trust?: PolicyDocument }>;
}

const PREFIX: Record<string, string> = {
  ecs: 'ecs',
  ecr: 'ecr',
  elbv2: 'elasticloadbalancing',
  cloudwatch: 'cloudwatch',
  sts: 'sts',
  scheduler: 'scheduler',
  events: 'events',
};

/** Operations AWS does not authorize (anyone may ask who they are). */
const UNAUTHORIZED = new Set(['sts:GetCallerIdentity', 'sts:AssumeRoleWithWebIdentity']);

export interface AuthorizerOptions {
  iam?: IamScenario;
  account: Account;
  /** The role and session behind an access key, when STS issued it. */
  sessionOf: (accessKeyId: string) => { roleArn: string; sessionName: string } | undefined;
  /** The tags of a resource, for `aws:ResourceTag/*`. */
  tagsOf: (arn: string) => Map<string, string> | undefined;
}

export class Authorizer {
  constructor(private readonly options: AuthorizerOptions) {}

  /** Throws the service's AccessDenied when the caller's role may not make this call. */
  check(service: string, operation: string, input: Record<string, unknown>, accessKeyId?: string): void {
    const iam = this.options.iam;
    if (!iam || !accessKeyId) return;
    const session = this.options.sessionOf(accessKeyId);
    if (!session) return;
    const action = `${PREFIX[service] ?? service}:${operation}`;
    if (UNAUTHORIZED.has(action)) return;
    const roleName = session.roleArn.split('/').pop() ?? '';
    const policy = iam.roles[roleName]?.policy ?? { Statement: [] };
    const principal =
      session.roleArn.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/') +
      `/${session.sessionName}`;
    for (const request of this.requestsOf(service, action, operation, input)) {
      const decision = evaluatePolicy(policy, request);
      if (decision === 'allow') continue;
      const json = service !== 'elbv2' && service !== 'sts' && service !== 'cloudwatch';
      throw new AwsError(
        json ? 'AccessDeniedException' : 'AccessDenied',
        denialMessage(principal, request, decision),
        json && service !== 'scheduler' ? 400 : 403,
      );
    }
  }

  /** Whether a web identity with these claims may assume the role (its trust policy, when given). */
  trusts(roleArn: string, claims: Record<string, unknown>): boolean {
    const iam = this.options.iam;
    if (!iam) return true;
    const role = iam.roles[roleArn.split('/').pop() ?? ''];
    if (!role || !roleArn.includes(`:${this.options.account.accountId}:`)) return false;
    if (!role.trust) return true;
    const provider = `arn:aws:iam::${this.options.account.accountId}:oidc-provider/token.actions.githubusercontent.com`;
    const context: Record<string, string> = {};
    for (const [claim, value] of Object.entries(claims))
      if (typeof value === 'string') context[`token.actions.githubusercontent.com:${claim}`] = value;
    const statements = Array.isArray(role.trust.Statement) ? role.trust.Statement : [role.trust.Statement];
    const applies = (statement: PolicyStatement) =>
      [statement.Action ?? []]
        .flat()
        .some((action) => wildcardMatch(action, 'sts:AssumeRoleWithWebIdentity', true)) &&
      federatedPrincipals(statement).some((principal) => wildcardMatch(principal, provider)) &&
      conditionsHold(statement.Condition ?? {}, context);
    if (statements.some((statement) => statement.Effect === 'Deny' && applies(statement))) return false;
    return statements.some((statement) => statement.Effect === 'Allow' && applies(statement));
  }

  /** The call as IAM authorizes it: its action on each resource, and iam:PassRole for roles it passes. */
  private requestsOf(
    service: string,
    action: string,
    operation: string,
    input: Record<string, unknown>,
  ): AuthorizationRequest[] {
    const arn = (type: string) =>
      `arn:aws:${PREFIX[service]}:${requestRegion.getStore() ?? this.options.account.region}:${this.options.account.accountId}:${type}`;
    const cluster = typeof input.cluster === 'string' ? input.cluster : 'default';
    const clusterArn = cluster.startsWith('arn:') ? cluster : arn(`cluster/${cluster}`);
    const context: Record<string, string | string[]> = service === 'ecs' ? { 'ecs:cluster': clusterArn } : {};
    const resources = resourcesOf(service, operation, input, arn, cluster);
    const requests = resources.map((resource) => ({
      action,
      resource,
      context: { ...context, ...this.tagKeys(resource) },
    }));
    for (const { role, to } of passedRoles(operation, input))
      requests.push({ action: 'iam:PassRole', resource: role, context: { 'iam:PassedToService': to } });
    return requests;
  }

  private tagKeys(resource: string): Record<string, string> {
    const tags = resource === '*' ? undefined : this.options.tagsOf(resource);
    return Object.fromEntries([...(tags ?? [])].map(([key, value]) => [`aws:ResourceTag/${key}`, value]));
  }
}

function federatedPrincipals(statement: PolicyStatement): string[] {
  const principal = statement.Principal;
  if (principal === '*') return ['*'];
  const federated = (principal as { Federated?: string | string[] } | undefined)?.Federated;
  return [federated ?? []].flat();
}

/**
 * The roles a call passes, and to whom: a task definition's execution and task roles and RunTask's
 * overrides to ECS tasks; a blue/green service's infrastructure role (advancedConfiguration.roleArn)
 * to ECS itself.
 */
function passedRoles(operation: string, input: Record<string, unknown>): { role: string; to: string }[] {
  const strings = (...values: unknown[]) =>
    values.filter((role): role is string => typeof role === 'string' && role !== '');
  const tasks = (value: unknown) => {
    const roles = value as { executionRoleArn?: unknown; taskRoleArn?: unknown } | undefined;
    return strings(roles?.executionRoleArn, roles?.taskRoleArn).map((role) => ({
      role,
      to: 'ecs-tasks.amazonaws.com',
    }));
  };
  if (operation === 'RegisterTaskDefinition') return tasks(input);
  // A schedule's or a rule's target runs as its role: Scheduler and EventBridge are passed it.
  if (operation === 'CreateSchedule' || operation === 'UpdateSchedule')
    return strings((input.Target as { RoleArn?: unknown } | undefined)?.RoleArn).map((role) => ({
      role,
      to: 'scheduler.amazonaws.com',
    }));
  if (operation === 'PutTargets')
    return strings(
      ...((input.Targets as { RoleArn?: unknown }[] | undefined) ?? []).map((target) => target.RoleArn),
    ).map((role) => ({ role, to: 'events.amazonaws.com' }));
  if (operation === 'RunTask') return tasks(input.overrides);
  if (operation === 'CreateService' || operation === 'UpdateService') {
    const balancers =
      (input.loadBalancers as { advancedConfiguration?: { roleArn?: unknown } }[] | undefined) ?? [];
    return strings(...balancers.map((entry) => entry.advancedConfiguration?.roleArn)).map((role) => ({
      role,
      to: 'ecs.amazonaws.com',
    }));
  }
  return [];
}

/** The resources an operation acts on, as the Service Authorization Reference names them ('*' where it names none). */
function resourcesOf(
  service: string,
  operation: string,
  input: Record<string, unknown>,
  arn: (type: string) => string,
  cluster: string,
): string[] {
  const strings = (value: unknown) =>
    [value ?? []].flat().filter((item): item is string => typeof item === 'string');
  const named = (type: string, values: string[]) =>
    values.map((value) => (value.startsWith('arn:') ? value : arn(`${type}${value}`)));
  const clusterName = cluster.split('/').pop();
  if (service === 'ecs') {
    if (operation === 'DescribeServices') return named(`service/${clusterName}/`, strings(input.services));
    if (operation === 'UpdateService' || operation === 'CreateService')
      return named(`service/${clusterName}/`, strings(input.service ?? input.serviceName));
    if (operation === 'DescribeTasks' || operation === 'StopTask')
      return named(`task/${clusterName}/`, strings(input.tasks ?? input.task));
    if (operation === 'RunTask') return named('task-definition/', strings(input.taskDefinition));
    if (operation === 'ListServiceDeployments')
      return named(`service/${clusterName}/`, strings(input.service));
    if (operation === 'DescribeServiceDeployments') return strings(input.serviceDeploymentArns);
    if (operation === 'ContinueServiceDeployment' || operation === 'StopServiceDeployment')
      return strings(input.serviceDeploymentArn);
    if (operation === 'DescribeServiceRevisions') return strings(input.serviceRevisionArns);
    if (['TagResource', 'UntagResource', 'ListTagsForResource'].includes(operation))
      return strings(input.resourceArn);
    return ['*'];
  }
  if (service === 'elbv2') {
    if (operation === 'ModifyRule') return strings(input.RuleArn);
    if (operation === 'ModifyListener') return strings(input.ListenerArn);
    if (operation === 'AddTags' || operation === 'RemoveTags') return strings(input.ResourceArns);
    if (operation === 'RegisterTargets' || operation === 'DeregisterTargets')
      return strings(input.TargetGroupArn);
    return ['*'];
  }
  if (service === 'scheduler' && operation !== 'ListSchedules')
    return [
      arn(
        `schedule/${typeof input.GroupName === 'string' ? input.GroupName : 'default'}/${String(input.Name)}`,
      ),
    ];
  if (service === 'events' && operation !== 'ListRuleNamesByTarget') {
    const rule = String(input.Rule ?? input.Name);
    const bus = typeof input.EventBusName === 'string' ? input.EventBusName : 'default';
    return [arn(bus === 'default' ? `rule/${rule}` : `rule/${bus}/${rule}`)];
  }
  if (service === 'ecr' && typeof input.repositoryName === 'string')
    return named('repository/', [input.repositoryName]);
  // DescribeRepositories names its repositories in a list; without one it reads them all.
  if (service === 'ecr' && operation === 'DescribeRepositories')
    return Array.isArray(input.repositoryNames) && input.repositoryNames.length > 0
      ? named('repository/', strings(input.repositoryNames))
      : [arn('repository/*')];
  return ['*'];
}
