/** Health-checks every registered target of every in-use target group, as an ALB does, over real HTTP. */
import { request as httpRequest } from 'node:http';
import type { MetricStore } from '../metrics.js';
import type { ElbService, Target, TargetGroup } from '../services/elbv2.js';

interface CheckState {
  nextAt: number;
  checking: boolean;
}

type Result = { ok: true } | { ok: false; reason: string; description: string };

export class HealthChecker {
  private readonly checks = new WeakMap<Target, CheckState>();
  private lastMetricSecond = 0;

  constructor(
    private readonly elb: ElbService,
    private readonly metrics: MetricStore,
    /** Scenario override of every group's interval, so tests see health within milliseconds. */
    private readonly intervalMs: () => number | undefined,
  ) {}

  /** One pass: start the checks that are due (they finish in the background). */
  tick(now = Date.now()): void {
    this.elb.removeDrainedTargets();
    for (const group of this.elb.targetGroups.values()) {
      if (!this.elb.isInUse(group.arn)) continue;
      for (const target of group.targets.values()) {
        if (target.state === 'draining') continue;
        const state = this.checks.get(target) ?? { nextAt: 0, checking: false };
        this.checks.set(target, state);
        if (state.checking || now < state.nextAt) continue;
        state.checking = true;
        const interval = this.intervalMs() ?? group.healthCheck.intervalSeconds * 1000;
        state.nextAt = now + interval;
        // A scaled interval makes checks frequent, not impatient: a check waits up to the group's
        // timeout, but at least 2 s, so a busy machine does not fail healthy targets (a real check
        // waits 5 s every 30 s).
        const timeoutMs = Math.min(group.healthCheck.timeoutSeconds * 1000, Math.max(interval, 2000));
        void this.check(group, target, timeoutMs).then((result) => {
          state.checking = false;
          apply(group, target, result);
        });
      }
    }
    const second = Math.floor(now / 1000);
    if (second !== this.lastMetricSecond) {
      this.lastMetricSecond = second;
      this.recordHostCounts(now);
    }
  }

  private recordHostCounts(now: number): void {
    for (const group of this.elb.targetGroups.values()) {
      const lb = this.elb.loadBalancerOfGroup(group.arn);
      if (!lb) continue;
      const dimensions = [
        { Name: 'LoadBalancer', Value: `app/${lb.name}/${lb.id}` },
        { Name: 'TargetGroup', Value: group.arn.slice(group.arn.indexOf('targetgroup/')) },
      ];
      const targets = [...group.targets.values()];
      this.metrics.put(
        'AWS/ApplicationELB',
        'HealthyHostCount',
        dimensions,
        targets.filter((target) => target.state === 'healthy').length,
        now,
      );
      this.metrics.put(
        'AWS/ApplicationELB',
        'UnHealthyHostCount',
        dimensions,
        targets.filter((target) => target.state === 'unhealthy').length,
        now,
      );
    }
  }

  private check(group: TargetGroup, target: Target, timeoutMs: number): Promise<Result> {
    if (!target.id.startsWith('127.'))
      return Promise.resolve({ ok: false, reason: 'Target.Timeout', description: 'Request timed out' });
    return new Promise((resolve) => {
      const request = httpRequest(
        {
          host: target.id,
          port: target.port,
          path: group.healthCheck.path,
          method: 'GET',
          headers: { 'user-agent': 'ELB-HealthChecker/2.0', connection: 'close' },
          timeout: timeoutMs,
        },
        (response) => {
          response.resume();
          const status = response.statusCode ?? 0;
          resolve(
            matches(group.healthCheck.matcher, status)
              ? { ok: true }
              : {
                  ok: false,
                  reason: 'Target.ResponseCodeMismatch',
                  description: `Health checks failed with these codes: [${status}]`,
                },
          );
        },
      );
      request.on('timeout', () => {
        request.destroy();
        resolve({ ok: false, reason: 'Target.Timeout', description: 'Request timed out' });
      });
      request.on('error', () =>
        resolve({ ok: false, reason: 'Target.FailedHealthChecks', description: 'Health checks failed' }),
      );
      request.end();
    });
  }
}

function apply(group: TargetGroup, target: Target, result: Result): void {
  if (target.state === 'draining' || !group.targets.has(`${target.id}:${target.port}`)) return;
  if (result.ok) {
    target.consecutiveSuccesses++;
    target.consecutiveFailures = 0;
    if (target.state !== 'healthy' && target.consecutiveSuccesses >= group.healthCheck.healthyThreshold) {
      target.state = 'healthy';
      target.reason = undefined;
      target.description = undefined;
    }
    return;
  }
  target.consecutiveFailures++;
  target.consecutiveSuccesses = 0;
  if (target.state !== 'unhealthy' && target.consecutiveFailures >= group.healthCheck.unhealthyThreshold) {
    target.state = 'unhealthy';
    target.reason = result.reason;
    target.description = result.description;
  }
}

/** ALB matchers: `200`, `200,202`, `200-299`. */
export function matches(matcher: string, status: number): boolean {
  return matcher.split(',').some((part) => {
    const [low, high] = part.trim().split('-').map(Number);
    return high === undefined ? status === low : status >= low! && status <= high;
  });
}
