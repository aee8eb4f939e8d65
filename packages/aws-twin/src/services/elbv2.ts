/**
 * Elastic Load Balancing v2 (awsQuery) request handlers: load balancers, target groups, listeners,
 * rules, targets, tags. The state, lookups and descriptions are the model's (elbv2/model.ts);
 * request validation is elbv2/validation.ts.
 */
import { AwsError, validation } from '../errors.js';
import { arn, hexId } from '../ids.js';
import { queryList, queryNumber, type WireValue } from '../protocols.js';
import { ElbValidation } from './elbv2/validation.js';
import {
  notFound,
  requireString,
  type Listener,
  type LoadBalancer,
  type Rule,
  type TargetGroup,
} from './elbv2/model.js';

export type {
  Action,
  Condition,
  ElbHooks,
  ForwardTarget,
  HealthCheck,
  Listener,
  LoadBalancer,
  Rule,
  Target,
  TargetGroup,
  TargetState,
} from './elbv2/model.js';
export { forwardTargets } from './elbv2/model.js';

export class ElbService extends ElbValidation {
  readonly handlers: Record<string, (input: Record<string, unknown>) => Promise<WireValue> | WireValue> = {
    CreateLoadBalancer: (input) => {
      const name = requireString(input, 'Name');
      if (![...this.loadBalancers.values()].every((lb) => lb.name !== name)) {
        throw new AwsError(
          'DuplicateLoadBalancerName',
          `A load balancer with the name '${name}' already exists`,
        );
      }
      const id = hexId(16);
      const lb: LoadBalancer = {
        arn: arn(this.account, 'elasticloadbalancing', `loadbalancer/app/${name}/${id}`),
        name,
        id,
        dnsName: `${name}-${id.slice(0, 9)}.${this.account.region}.elb.amazonaws.com`,
        scheme: String(input.Scheme ?? 'internet-facing'),
        createdTime: new Date(this.now()),
        vpcId: 'vpc-twin',
      };
      this.loadBalancers.set(lb.arn, lb);
      this.setTags(lb.arn, queryList<{ Key: string; Value?: string }>(input.Tags));
      return { LoadBalancers: [this.describeLoadBalancer(lb)] };
    },
    DescribeLoadBalancers: (input) => {
      const arns = queryList(input.LoadBalancerArns);
      const names = queryList(input.Names);
      const found = [...this.loadBalancers.values()].filter(
        (lb) =>
          (arns.length === 0 || arns.includes(lb.arn)) && (names.length === 0 || names.includes(lb.name)),
      );
      for (const wanted of arns)
        if (!this.loadBalancers.has(wanted)) throw notFound('LoadBalancerNotFound', wanted);
      if (names.length > 0 && found.length < names.length)
        throw new AwsError('LoadBalancerNotFound', `One or more load balancers not found`);
      const page = this.pager.page(
        found,
        { token: input.Marker, size: input.PageSize },
        { defaultSize: 400, maxSize: 400, badTokenCode: 'ValidationError' },
      );
      return {
        LoadBalancers: page.items.map((lb) => this.describeLoadBalancer(lb)),
        ...(page.nextToken ? { NextMarker: page.nextToken } : {}),
      };
    },
    CreateTargetGroup: (input) => {
      const name = requireString(input, 'Name');
      if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/.test(name)) {
        throw validation(
          `Target group name '${name}' can have at most 32 alphanumeric characters and hyphens`,
        );
      }
      if ([...this.targetGroups.values()].some((group) => group.name === name)) {
        throw new AwsError('DuplicateTargetGroupName', `A target group with the same name '${name}' exists`);
      }
      const group: TargetGroup = {
        arn: arn(this.account, 'elasticloadbalancing', `targetgroup/${name}/${hexId(16)}`),
        name,
        protocol: String(input.Protocol ?? 'HTTP'),
        port: queryNumber(input.Port) ?? 80,
        vpcId: String(input.VpcId ?? 'vpc-twin'),
        targetType: String(input.TargetType ?? 'ip'),
        healthCheck: {
          path: String(input.HealthCheckPath ?? '/'),
          intervalSeconds: queryNumber(input.HealthCheckIntervalSeconds) ?? 30,
          timeoutSeconds: queryNumber(input.HealthCheckTimeoutSeconds) ?? 5,
          healthyThreshold: queryNumber(input.HealthyThresholdCount) ?? 5,
          unhealthyThreshold: queryNumber(input.UnhealthyThresholdCount) ?? 2,
          matcher: String((input.Matcher as { HttpCode?: string } | undefined)?.HttpCode ?? '200'),
        },
        deregistrationDelaySeconds: 300,
        targets: new Map(),
      };
      this.targetGroups.set(group.arn, group);
      this.setTags(group.arn, queryList<{ Key: string; Value?: string }>(input.Tags));
      return { TargetGroups: [this.describeTargetGroup(group)] };
    },
    DescribeTargetGroups: (input) => {
      const arns = queryList(input.TargetGroupArns);
      const names = queryList(input.Names);
      for (const wanted of arns)
        if (!this.targetGroups.has(wanted)) throw notFound('TargetGroupNotFound', wanted);
      const lbArn = input.LoadBalancerArn ? String(input.LoadBalancerArn) : undefined;
      if (lbArn && !this.loadBalancers.has(lbArn)) throw notFound('LoadBalancerNotFound', lbArn);
      const found = [...this.targetGroups.values()].filter(
        (group) =>
          (arns.length === 0 || arns.includes(group.arn)) &&
          (names.length === 0 || names.includes(group.name)) &&
          (!lbArn || this.loadBalancersOf(group).includes(lbArn)),
      );
      if (names.length > 0 && found.length < names.length)
        throw new AwsError('TargetGroupNotFound', 'One or more target groups not found');
      const page = this.pager.page(
        found,
        { token: input.Marker, size: input.PageSize },
        { defaultSize: 400, maxSize: 400, badTokenCode: 'ValidationError' },
      );
      return {
        TargetGroups: page.items.map((group) => this.describeTargetGroup(group)),
        ...(page.nextToken ? { NextMarker: page.nextToken } : {}),
      };
    },
    CreateListener: async (input) => {
      const lb = this.requireLoadBalancer(String(input.LoadBalancerArn ?? ''));
      const port = queryNumber(input.Port);
      if (port === undefined || port < 1 || port > 65535)
        throw validation('Listener port must be between 1 and 65535');
      if (
        [...this.listeners.values()].some(
          (listener) => listener.loadBalancerArn === lb.arn && listener.port === port,
        )
      ) {
        throw new AwsError('DuplicateListener', `A listener already exists on port ${port}`);
      }
      const actions = this.validateActions(
        queryList<Record<string, unknown>>(input.DefaultActions),
        'DefaultActions',
      );
      const listenerId = hexId(16);
      const listener: Listener = {
        arn: arn(this.account, 'elasticloadbalancing', `listener/app/${lb.name}/${lb.id}/${listenerId}`),
        loadBalancerArn: lb.arn,
        port,
        protocol: String(input.Protocol ?? 'HTTP'),
        defaultActions: actions,
        defaultRuleArn: arn(
          this.account,
          'elasticloadbalancing',
          `listener-rule/app/${lb.name}/${lb.id}/${listenerId}/${hexId(16)}`,
        ),
      };
      this.listeners.set(listener.arn, listener);
      this.setTags(listener.arn, queryList<{ Key: string; Value?: string }>(input.Tags));
      await this.hooks.listenerCreated(listener);
      return { Listeners: [this.describeListener(listener)] };
    },
    DescribeListeners: (input) => {
      const arns = queryList(input.ListenerArns);
      for (const wanted of arns) if (!this.listeners.has(wanted)) throw notFound('ListenerNotFound', wanted);
      const lbArn = input.LoadBalancerArn ? String(input.LoadBalancerArn) : undefined;
      if (!lbArn && arns.length === 0)
        throw validation('You must specify either listener ARNs or a load balancer ARN');
      if (lbArn) this.requireLoadBalancer(lbArn);
      const found = [...this.listeners.values()].filter(
        (listener) =>
          (arns.length === 0 || arns.includes(listener.arn)) &&
          (!lbArn || listener.loadBalancerArn === lbArn),
      );
      const page = this.pager.page(
        found,
        { token: input.Marker, size: input.PageSize },
        { defaultSize: 400, maxSize: 400, badTokenCode: 'ValidationError' },
      );
      return {
        Listeners: page.items.map((listener) => this.describeListener(listener)),
        ...(page.nextToken ? { NextMarker: page.nextToken } : {}),
      };
    },
    ModifyListener: (input) => {
      const listener = this.requireListener(String(input.ListenerArn ?? ''));
      const actions =
        input.DefaultActions === undefined
          ? undefined
          : this.validateActions(queryList(input.DefaultActions), 'DefaultActions');
      if (actions) listener.defaultActions = actions;
      const port = queryNumber(input.Port);
      if (port !== undefined) listener.port = port;
      return { Listeners: [this.describeListener(listener)] };
    },
    CreateRule: (input) => {
      const listener = this.requireListener(String(input.ListenerArn ?? ''));
      const priority = queryNumber(input.Priority);
      if (priority === undefined || !Number.isInteger(priority) || priority < 1 || priority > 50000) {
        throw validation('Priority must be an integer between 1 and 50000');
      }
      if (this.rulesOf(listener.arn).some((rule) => rule.priority === priority)) {
        throw new AwsError('PriorityInUse', `Priority '${priority}' is currently in use`);
      }
      const conditions = this.validateConditions(queryList(input.Conditions));
      const actions = this.validateActions(queryList(input.Actions), 'Actions');
      const rule: Rule = {
        arn: listener.defaultRuleArn.replace(/[0-9a-f]{16}$/, hexId(16)),
        listenerArn: listener.arn,
        priority,
        conditions,
        actions,
      };
      this.rules.set(rule.arn, rule);
      this.setTags(rule.arn, queryList<{ Key: string; Value?: string }>(input.Tags));
      return { Rules: [this.describeRule(rule)] };
    },
    DescribeRules: (input) => {
      const arns = queryList(input.RuleArns);
      const listenerArn = input.ListenerArn ? String(input.ListenerArn) : undefined;
      if (!listenerArn && arns.length === 0)
        throw validation('You must specify either listener ARN or rule ARNs');
      if (listenerArn) {
        const listener = this.requireListener(listenerArn);
        const rules = this.rulesOf(listener.arn).map((rule) => this.describeRule(rule));
        const page = this.pager.page(
          [...rules, this.describeDefaultRule(listener)],
          { token: input.Marker, size: input.PageSize },
          { defaultSize: 400, maxSize: 400, badTokenCode: 'ValidationError' },
        );
        return { Rules: page.items, ...(page.nextToken ? { NextMarker: page.nextToken } : {}) };
      }
      return {
        Rules: arns.map((ruleArn) => {
          const rule = this.rules.get(ruleArn);
          if (rule) return this.describeRule(rule);
          const listener = [...this.listeners.values()].find(
            (candidate) => candidate.defaultRuleArn === ruleArn,
          );
          if (listener) return this.describeDefaultRule(listener);
          throw notFound('RuleNotFound', ruleArn);
        }),
      };
    },
    ModifyRule: (input) => {
      const ruleArn = String(input.RuleArn ?? '');
      const rule = this.rules.get(ruleArn);
      const listener = rule
        ? undefined
        : [...this.listeners.values()].find((candidate) => candidate.defaultRuleArn === ruleArn);
      if (!rule && !listener) throw notFound('RuleNotFound', ruleArn);
      const actions =
        input.Actions === undefined ? undefined : this.validateActions(queryList(input.Actions), 'Actions');
      if (rule) {
        if (input.Conditions !== undefined)
          rule.conditions = this.validateConditions(queryList(input.Conditions));
        if (actions) rule.actions = actions;
        return { Rules: [this.describeRule(rule)] };
      }
      throw new AwsError(
        'OperationNotPermitted',
        `${ruleArn} is a listener's default rule: it cannot be modified with ModifyRule; use ModifyListener`,
      );
    },
    RegisterTargets: (input) => {
      const group = this.requireTargetGroup(String(input.TargetGroupArn ?? ''));
      for (const target of this.parseTargets(input.Targets, group))
        this.registerTarget(group, target.id, target.port);
      return {};
    },
    DeregisterTargets: (input) => {
      const group = this.requireTargetGroup(String(input.TargetGroupArn ?? ''));
      const targets = this.parseTargets(input.Targets, group);
      for (const target of targets) {
        if (!group.targets.has(`${target.id}:${target.port}`)) {
          throw new AwsError(
            'InvalidTarget',
            `The target '${target.id}:${target.port}' is not registered in the target group`,
          );
        }
      }
      for (const target of targets) this.deregisterTarget(group, target.id, target.port);
      return {};
    },
    DescribeTargetHealth: (input) => {
      const group = this.requireTargetGroup(String(input.TargetGroupArn ?? ''));
      const wanted = input.Targets === undefined ? undefined : this.parseTargets(input.Targets, group);
      const inUse = this.isInUse(group.arn);
      const descriptions = (wanted ?? [...group.targets.values()]).map((target) => {
        const registered = group.targets.get(`${target.id}:${target.port}`);
        const health = !registered
          ? {
              // As the AWS docs say, and as boto3's target_deregistered waiter expects.
              State: 'unused',
              Reason: 'Target.NotRegistered',
              Description: 'Target is not registered to the target group',
            }
          : !inUse && registered.state !== 'draining'
            ? {
                State: 'unused',
                Reason: 'Target.NotInUse',
                Description: 'Target group is not configured to receive traffic from the load balancer',
              }
            : { State: registered.state, Reason: registered.reason, Description: registered.description };
        return {
          Target: { Id: target.id, Port: target.port },
          HealthCheckPort: String(target.port),
          TargetHealth: health,
        };
      });
      return { TargetHealthDescriptions: descriptions };
    },
    AddTags: (input) => {
      const arns = queryList(input.ResourceArns);
      const tags = queryList<{ Key: string; Value?: string }>(input.Tags);
      for (const resource of arns) this.requireTaggable(resource);
      for (const resource of arns) this.setTags(resource, tags);
      return {};
    },
    RemoveTags: (input) => {
      const arns = queryList(input.ResourceArns);
      for (const resource of arns) this.requireTaggable(resource);
      for (const resource of arns)
        for (const key of queryList(input.TagKeys)) this.tags.get(resource)?.delete(key);
      return {};
    },
    DescribeTags: (input) => {
      const arns = queryList(input.ResourceArns);
      for (const resource of arns) this.requireTaggable(resource);
      return {
        TagDescriptions: arns.map((resource) => ({
          ResourceArn: resource,
          Tags: [...(this.tags.get(resource) ?? new Map())].map(([Key, Value]) => ({ Key, Value })),
        })),
      };
    },
  };
}
