/**
 * The ELBv2 model: load balancers, target groups with their targets, listeners, rules and tags;
 * what ECS and the data plane ask of it (targets registered and drained, the routing table); the
 * lookups and wire descriptions every request needs. No request handling.
 */
import { Pager } from '../../pages.js';
import { AwsError, validation } from '../../errors.js';
import { type Account } from '../../ids.js';
import { type WireValue } from '../../protocols.js';

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

export const MAX_WEIGHT = 999;
export const MAX_GROUPS_PER_FORWARD = 5;

export class ElbModel {
  readonly loadBalancers = new Map<string, LoadBalancer>();
  readonly targetGroups = new Map<string, TargetGroup>();
  readonly listeners = new Map<string, Listener>();
  readonly rules = new Map<string, Rule>();
  readonly tags = new Map<string, Map<string, string>>();
  /** Page sizes; a scenario can force pages of one. */
  pager = new Pager();

  constructor(
    protected readonly account: Account,
    protected readonly hooks: ElbHooks,
    protected readonly now: () => number,
    /** Scenario override of every group's deregistration delay (ms), so tests drain fast. */
    protected readonly drainMs: () => number | undefined,
  ) {}

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

  // ---- lookups and descriptions ----

  protected rulesOf(listenerArn: string): Rule[] {
    return [...this.rules.values()]
      .filter((rule) => rule.listenerArn === listenerArn)
      .sort((a, b) => a.priority - b.priority);
  }

  protected requireLoadBalancer(lbArn: string): LoadBalancer {
    const lb = this.loadBalancers.get(lbArn);
    if (!lb) throw notFound('LoadBalancerNotFound', lbArn);
    return lb;
  }

  requireTargetGroup(groupArn: string): TargetGroup {
    const group = this.targetGroups.get(groupArn);
    if (!group) throw notFound('TargetGroupNotFound', groupArn);
    return group;
  }

  protected requireListener(listenerArn: string): Listener {
    const listener = this.listeners.get(listenerArn);
    if (!listener) throw notFound('ListenerNotFound', listenerArn);
    return listener;
  }

  protected requireTaggable(resource: string): void {
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

  protected setTags(resource: string, tags: { Key: string; Value?: string }[]): void {
    if (tags.length === 0) return;
    const current = this.tags.get(resource) ?? new Map<string, string>();
    for (const tag of tags) current.set(tag.Key, tag.Value ?? '');
    if (current.size > 50) throw new AwsError('TooManyTags', 'A resource can have at most 50 tags');
    this.tags.set(resource, current);
  }

  protected describeLoadBalancer(lb: LoadBalancer): WireValue {
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

  protected describeTargetGroup(group: TargetGroup): WireValue {
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

  protected describeListener(listener: Listener): WireValue {
    return {
      ListenerArn: listener.arn,
      LoadBalancerArn: listener.loadBalancerArn,
      Port: listener.port,
      Protocol: listener.protocol,
      DefaultActions: listener.defaultActions as unknown as WireValue,
    };
  }

  protected describeRule(rule: Rule): WireValue {
    return {
      RuleArn: rule.arn,
      Priority: String(rule.priority),
      Conditions: rule.conditions as unknown as WireValue,
      Actions: rule.actions as unknown as WireValue,
      IsDefault: false,
    };
  }

  protected describeDefaultRule(listener: Listener): WireValue {
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

export function requireString(input: Record<string, unknown>, field: string): string {
  const value = input[field];
  if (typeof value !== 'string' || value === '') throw validation(`${field} is required`);
  return value;
}

export function notFound(code: string, what: string): AwsError {
  const noun = code
    .replace(/NotFound$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
  return new AwsError(code, `One or more ${noun}s not found: '${what}'`);
}
