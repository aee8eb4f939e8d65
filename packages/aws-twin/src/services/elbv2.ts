/** Elastic Load Balancing v2 (awsQuery): load balancers, target groups, listeners, rules, targets, tags. */
import { Pager } from '../pages.js';
import { AwsError, validation } from '../errors.js';
import { arn, hexId, type Account } from '../ids.js';
import { queryBoolean, queryList, queryNumber, type WireValue } from '../protocols.js';

export type TargetState = 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining';

export interface Target {
  id: string;
  port: number;
  state: TargetState;
  reason?: string;
  description?: string;
  consecutiveSuccesses: number;
  consecutiveFailures: number;
  drainUntil?: number;
  inFlight: number;
}

export interface HealthCheck {
  path: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  matcher: string;
}

export interface TargetGroup {
  arn: string;
  name: string;
  protocol: string;
  port: number;
  vpcId: string;
  targetType: string;
  healthCheck: HealthCheck;
  deregistrationDelaySeconds: number;
  targets: Map<string, Target>;
}

export interface LoadBalancer {
  arn: string;
  name: string;
  id: string;
  dnsName: string;
  scheme: string;
  createdTime: Date;
  vpcId: string;
}

export interface ForwardTarget {
  TargetGroupArn: string;
  Weight: number;
}

export interface Action {
  Type: string;
  Order?: number;
  TargetGroupArn?: string;
  ForwardConfig?: {
    TargetGroups: ForwardTarget[];
    TargetGroupStickinessConfig?: { Enabled: boolean; DurationSeconds?: number };
  };
  FixedResponseConfig?: { StatusCode: string; ContentType?: string; MessageBody?: string };
  RedirectConfig?: Record<string, string>;
}

export interface Condition {
  Field: string;
  Values?: string[];
  PathPatternConfig?: { Values: string[] };
  HostHeaderConfig?: { Values: string[] };
  HttpHeaderConfig?: { HttpHeaderName: string; Values: string[] };
}

export interface Listener {
  arn: string;
  loadBalancerArn: string;
  port: number;
  protocol: string;
  defaultActions: Action[];
  defaultRuleArn: string;
}

export interface Rule {
  arn: string;
  listenerArn: string;
  priority: number;
  conditions: Condition[];
  actions: Action[];
}

/** What the data plane and ECS need to know when ELB state changes. */
export interface ElbHooks {
  listenerCreated(listener: Listener): Promise<void>;
}

const MAX_WEIGHT = 999;
const MAX_GROUPS_PER_FORWARD = 5;

export class ElbService {
  readonly loadBalancers = new Map<string, LoadBalancer>();
  readonly targetGroups = new Map<string, TargetGroup>();
  readonly listeners = new Map<string, Listener>();
  readonly rules = new Map<string, Rule>();
  readonly tags = new Map<string, Map<string, string>>();
  /** Page sizes; a scenario can force pages of one. */
  pager = new Pager();

  constructor(
    private readonly account: Account,
    private readonly hooks: ElbHooks,
    private readonly now: () => number,
    /** Scenario override of every group's deregistration delay (ms), so tests drain fast. */
    private readonly drainMs: () => number | undefined,
  ) {}

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

  // ---- used by ECS and the data plane ----

  registerTarget(group: TargetGroup, id: string, port: number): void {
    const key = `${id}:${port}`;
    const existing = group.targets.get(key);
    if (existing && existing.state !== 'draining') return;
    group.targets.set(key, {
      id,
      port,
      state: 'initial',
      reason: 'Elb.RegistrationInProgress',
      description: 'Target registration is in progress',
      consecutiveSuccesses: 0,
      consecutiveFailures: 0,
      inFlight: 0,
    });
  }

  deregisterTarget(group: TargetGroup, id: string, port: number): void {
    const target = group.targets.get(`${id}:${port}`);
    if (!target || target.state === 'draining') return;
    target.state = 'draining';
    target.reason = 'Target.DeregistrationInProgress';
    target.description = 'Target deregistration is in progress';
    target.drainUntil = this.now() + (this.drainMs() ?? group.deregistrationDelaySeconds * 1000);
  }

  /** Removes targets whose draining is over. */
  removeDrainedTargets(): void {
    for (const group of this.targetGroups.values()) {
      for (const [key, target] of group.targets) {
        if (target.state === 'draining' && target.drainUntil! <= this.now()) group.targets.delete(key);
      }
    }
  }

  /** Rules of a listener by priority, then the default actions. */
  routingTable(listenerArn: string): { conditions: Condition[]; actions: Action[] }[] {
    const listener = this.listeners.get(listenerArn);
    if (!listener) return [];
    return [
      ...this.rulesOf(listenerArn).map((rule) => ({ conditions: rule.conditions, actions: rule.actions })),
      { conditions: [], actions: listener.defaultActions },
    ];
  }

  loadBalancerOfGroup(groupArn: string): LoadBalancer | undefined {
    const lbArn = this.loadBalancersOf(this.targetGroups.get(groupArn)!)[0];
    return lbArn ? this.loadBalancers.get(lbArn) : undefined;
  }

  /** Whether any listener or rule forwards to the group (AWS health-checks only groups in use). */
  isInUse(groupArn: string): boolean {
    const actions = [...this.listeners.values()].flatMap((listener) => listener.defaultActions);
    actions.push(...[...this.rules.values()].flatMap((rule) => rule.actions));
    return actions.some((action) =>
      forwardTargets(action).some((target) => target.TargetGroupArn === groupArn),
    );
  }

  loadBalancersOf(group: TargetGroup): string[] {
    const lbs = new Set<string>();
    for (const listener of this.listeners.values()) {
      const actions = [
        ...listener.defaultActions,
        ...this.rulesOf(listener.arn).flatMap((rule) => rule.actions),
      ];
      if (
        actions.some((action) => forwardTargets(action).some((target) => target.TargetGroupArn === group.arn))
      ) {
        lbs.add(listener.loadBalancerArn);
      }
    }
    return [...lbs];
  }

  // ---- validation, as AWS validates ----

  private validateActions(raw: Record<string, unknown>[], field: string): Action[] {
    if (raw.length === 0) throw validation(`${field} must contain at least one action`);
    const actions = raw.map((item, index) => this.validateAction(item, index));
    const terminal = actions.filter((action) =>
      ['forward', 'fixed-response', 'redirect'].includes(action.Type),
    );
    if (terminal.length !== 1)
      throw new AwsError(
        'InvalidLoadBalancerAction',
        'Exactly one terminal action (forward, fixed-response, redirect) is required',
      );
    return actions;
  }

  private validateAction(raw: Record<string, unknown>, index: number): Action {
    const type = String(raw.Type ?? '');
    const order = queryNumber(raw.Order);
    if (order !== undefined && (order < 1 || order > 50000))
      throw validation('Action order must be between 1 and 50000');
    if (type === 'fixed-response') {
      const config = (raw.FixedResponseConfig ?? {}) as Record<string, string>;
      if (!/^[245]\d\d$/.test(String(config.StatusCode ?? '')))
        throw validation('FixedResponseConfig.StatusCode must be a 2XX, 4XX or 5XX code');
      return {
        Type: type,
        Order: order,
        FixedResponseConfig: {
          StatusCode: config.StatusCode!,
          ContentType: config.ContentType,
          MessageBody: config.MessageBody,
        },
      };
    }
    if (type === 'redirect')
      return {
        Type: type,
        Order: order,
        RedirectConfig: (raw.RedirectConfig ?? {}) as Record<string, string>,
      };
    if (type !== 'forward') throw validation(`Action ${index + 1} has an unsupported type '${type}'`);

    const single = raw.TargetGroupArn ? String(raw.TargetGroupArn) : undefined;
    const forward = raw.ForwardConfig as Record<string, unknown> | undefined;
    const listed = queryList<Record<string, unknown>>(forward?.TargetGroups).map((entry) => ({
      TargetGroupArn: String(entry.TargetGroupArn ?? ''),
      Weight: queryNumber(entry.Weight) ?? 1,
    }));
    if (!single && listed.length === 0)
      throw validation('A forward action must specify a target group ARN or a forward config');
    if (single && listed.length > 0 && (listed.length !== 1 || listed[0]!.TargetGroupArn !== single)) {
      throw validation('TargetGroupArn and ForwardConfig must specify the same single target group');
    }
    if (listed.length > MAX_GROUPS_PER_FORWARD) {
      throw new AwsError(
        'TooManyTargetGroups',
        `A forward action can have at most ${MAX_GROUPS_PER_FORWARD} target groups`,
      );
    }
    const seen = new Set<string>();
    for (const target of listed) {
      if (!Number.isInteger(target.Weight) || target.Weight < 0 || target.Weight > MAX_WEIGHT) {
        throw validation(
          `Target group weight must be an integer between 0 and ${MAX_WEIGHT}; got ${target.Weight}`,
        );
      }
      if (seen.has(target.TargetGroupArn))
        throw validation(`Target group '${target.TargetGroupArn}' appears more than once`);
      seen.add(target.TargetGroupArn);
    }
    for (const groupArn of single ? [single, ...seen] : seen) this.requireTargetGroup(groupArn);
    const stickinessRaw = forward?.TargetGroupStickinessConfig as Record<string, unknown> | undefined;
    let stickiness: { Enabled: boolean; DurationSeconds?: number } | undefined;
    if (stickinessRaw) {
      const enabled = queryBoolean(stickinessRaw.Enabled) ?? false;
      const duration = queryNumber(stickinessRaw.DurationSeconds);
      if (enabled && (duration === undefined || duration < 1 || duration > 604800)) {
        throw validation(
          'Stickiness duration must be between 1 and 604800 seconds when stickiness is enabled',
        );
      }
      stickiness = { Enabled: enabled, ...(duration !== undefined ? { DurationSeconds: duration } : {}) };
    }
    const targets = listed.length > 0 ? listed : [{ TargetGroupArn: single!, Weight: 1 }];
    return {
      Type: 'forward',
      Order: order,
      TargetGroupArn: single ?? (targets.length === 1 ? targets[0]!.TargetGroupArn : undefined),
      ForwardConfig: { TargetGroups: targets, TargetGroupStickinessConfig: stickiness ?? { Enabled: false } },
    };
  }

  private validateConditions(raw: Record<string, unknown>[]): Condition[] {
    if (raw.length === 0) throw validation('A rule must have at least one condition');
    return raw.map((item) => {
      const field = String(item.Field ?? '');
      const values = queryList<string>(item.Values);
      const nested = (key: string) =>
        queryList<string>((item[key] as Record<string, unknown> | undefined)?.Values);
      if (field === 'path-pattern')
        return {
          Field: field,
          Values: values,
          PathPatternConfig: { Values: [...values, ...nested('PathPatternConfig')] },
        };
      if (field === 'host-header')
        return {
          Field: field,
          Values: values,
          HostHeaderConfig: { Values: [...values, ...nested('HostHeaderConfig')] },
        };
      if (field === 'http-header') {
        const config = (item.HttpHeaderConfig ?? {}) as Record<string, unknown>;
        return {
          Field: field,
          HttpHeaderConfig: {
            HttpHeaderName: String(config.HttpHeaderName ?? ''),
            Values: queryList(config.Values),
          },
        };
      }
      throw validation(
        `Condition field '${field}' is not supported by the twin (path-pattern, host-header, http-header)`,
      );
    });
  }

  private parseTargets(raw: unknown, group: TargetGroup): { id: string; port: number }[] {
    const targets = queryList<Record<string, unknown>>(raw).map((target) => ({
      id: String(target.Id ?? ''),
      port: queryNumber(target.Port) ?? group.port,
    }));
    if (targets.length === 0) throw validation('Targets must contain at least one target');
    for (const target of targets) if (!target.id) throw validation('Every target needs an Id');
    return targets;
  }

  // ---- lookups and descriptions ----

  private rulesOf(listenerArn: string): Rule[] {
    return [...this.rules.values()]
      .filter((rule) => rule.listenerArn === listenerArn)
      .sort((a, b) => a.priority - b.priority);
  }

  private requireLoadBalancer(lbArn: string): LoadBalancer {
    const lb = this.loadBalancers.get(lbArn);
    if (!lb) throw notFound('LoadBalancerNotFound', lbArn);
    return lb;
  }

  requireTargetGroup(groupArn: string): TargetGroup {
    const group = this.targetGroups.get(groupArn);
    if (!group) throw notFound('TargetGroupNotFound', groupArn);
    return group;
  }

  private requireListener(listenerArn: string): Listener {
    const listener = this.listeners.get(listenerArn);
    if (!listener) throw notFound('ListenerNotFound', listenerArn);
    return listener;
  }

  private requireTaggable(resource: string): void {
    if (
      this.loadBalancers.has(resource) ||
      this.targetGroups.has(resource) ||
      this.listeners.has(resource) ||
      this.rules.has(resource)
    )
      return;
    if ([...this.listeners.values()].some((listener) => listener.defaultRuleArn === resource)) return;
    if (resource.includes(':targetgroup/')) throw notFound('TargetGroupNotFound', resource);
    if (resource.includes(':listener-rule/')) throw notFound('RuleNotFound', resource);
    if (resource.includes(':listener/')) throw notFound('ListenerNotFound', resource);
    throw notFound('LoadBalancerNotFound', resource);
  }

  private setTags(resource: string, tags: { Key: string; Value?: string }[]): void {
    if (tags.length === 0) return;
    const current = this.tags.get(resource) ?? new Map<string, string>();
    for (const tag of tags) current.set(tag.Key, tag.Value ?? '');
    if (current.size > 50) throw new AwsError('TooManyTags', 'A resource can have at most 50 tags');
    this.tags.set(resource, current);
  }

  private describeLoadBalancer(lb: LoadBalancer): WireValue {
    return {
      LoadBalancerArn: lb.arn,
      DNSName: lb.dnsName,
      CanonicalHostedZoneId: 'Z32O12XQLNTSW2',
      CreatedTime: lb.createdTime,
      LoadBalancerName: lb.name,
      Scheme: lb.scheme,
      VpcId: lb.vpcId,
      State: { Code: 'active' },
      Type: 'application',
      IpAddressType: 'ipv4',
    };
  }

  private describeTargetGroup(group: TargetGroup): WireValue {
    return {
      TargetGroupArn: group.arn,
      TargetGroupName: group.name,
      Protocol: group.protocol,
      Port: group.port,
      VpcId: group.vpcId,
      HealthCheckProtocol: group.protocol,
      HealthCheckPort: 'traffic-port',
      HealthCheckEnabled: true,
      HealthCheckIntervalSeconds: group.healthCheck.intervalSeconds,
      HealthCheckTimeoutSeconds: group.healthCheck.timeoutSeconds,
      HealthyThresholdCount: group.healthCheck.healthyThreshold,
      UnhealthyThresholdCount: group.healthCheck.unhealthyThreshold,
      HealthCheckPath: group.healthCheck.path,
      Matcher: { HttpCode: group.healthCheck.matcher },
      LoadBalancerArns: this.loadBalancersOf(group),
      TargetType: group.targetType,
      IpAddressType: 'ipv4',
    };
  }

  private describeListener(listener: Listener): WireValue {
    return {
      ListenerArn: listener.arn,
      LoadBalancerArn: listener.loadBalancerArn,
      Port: listener.port,
      Protocol: listener.protocol,
      DefaultActions: listener.defaultActions as unknown as WireValue,
    };
  }

  private describeRule(rule: Rule): WireValue {
    return {
      RuleArn: rule.arn,
      Priority: String(rule.priority),
      Conditions: rule.conditions as unknown as WireValue,
      Actions: rule.actions as unknown as WireValue,
      IsDefault: false,
    };
  }

  private describeDefaultRule(listener: Listener): WireValue {
    return {
      RuleArn: listener.defaultRuleArn,
      Priority: 'default',
      Conditions: [],
      Actions: listener.defaultActions as unknown as WireValue,
      IsDefault: true,
    };
  }
}

export function forwardTargets(action: Action): ForwardTarget[] {
  if (action.Type !== 'forward') return [];
  return (
    action.ForwardConfig?.TargetGroups ??
    (action.TargetGroupArn ? [{ TargetGroupArn: action.TargetGroupArn, Weight: 1 }] : [])
  );
}

function requireString(input: Record<string, unknown>, field: string): string {
  const value = input[field];
  if (typeof value !== 'string' || value === '') throw validation(`${field} is required`);
  return value;
}

function notFound(code: string, what: string): AwsError {
  const noun = code
    .replace(/NotFound$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
  return new AwsError(code, `One or more ${noun}s not found: '${what}'`);
}
