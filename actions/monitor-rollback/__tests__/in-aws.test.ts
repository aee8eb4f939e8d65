import { describe, expect, it } from '@jest/globals';
import { InputReader } from '../../../packages/shared/src/inputs.js';
import { releaseAlarms } from '../src/in-aws/alarms.js';
import { judge } from '../src/in-aws/verdict.js';
import { readInputs } from '../src/inputs.js';

const read = (values: Record<string, string>) => () =>
  readInputs(
    new InputReader(
      (name) => ({ cluster: 'prod', service: 'svc', 'aws-region': 'eu-west-1', ...values })[name] ?? '',
    ),
    {},
  );

describe('mode: in-aws inputs', () => {
  it('reads the in-aws inputs and refuses the runner-only ones by name', () => {
    expect(read({ mode: 'in-aws', 'metric-period': '60s' })()).toMatchObject({
      mode: 'in-aws',
      'metric-period': 60_000,
      'failures-before-rollback': 3,
    });
    expect(read({ mode: 'in-aws', 'probe-url': 'https://portal/health' })).toThrow(
      /'probe-url' does not apply to mode: in-aws/,
    );
    expect(read({ mode: 'in-aws', 'metric-period': '5s' })).toThrow(
      /'metric-period' must be 10s, 30s or a multiple of 60s for a CloudWatch alarm/,
    );
    expect(
      read({
        'listener-rule-arn':
          'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee',
        'service-deployment-arn': 'arn:aws:ecs:eu-west-1:123456789012:service-deployment/prod/svc/abc',
      }),
    ).toThrow(/'service-deployment-arn' only applies to mode: in-aws/);
    expect(read({ mode: 'in-aws', 'service-deployment-arn': 'svc-123' })).toThrow(/service-deployment-arn/);
  });
});

describe('the release alarms', () => {
  const alarms = releaseAlarms({
    cluster: 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod',
    service: 'svc',
    loadBalancer: 'app/web/50dc6c495c0c9188',
    targetGroup: 'targetgroup/svc-b/73e2d6bc24d8a067',
    periodSeconds: 60,
    periods: 3,
    maxErrorRate: 5,
    maxP95Ms: 500,
    maxUnhealthyTasks: 0,
  });

  it('are named per cluster and service, on the next revision’s group, at the run’s thresholds', () => {
    expect(alarms.map((alarm) => alarm.name)).toEqual([
      'prod-svc-release-5xx-rate',
      'prod-svc-release-p95',
      'prod-svc-release-unhealthy',
    ]);
    const [rate, p95, unhealthy] = alarms.map((alarm) => alarm.input);
    // 5 % of requests over three minutes in a row, from the sums of the same periods.
    expect(rate).toMatchObject({ Threshold: 5, EvaluationPeriods: 3, DatapointsToAlarm: 3 });
    expect(rate!.Metrics!.find((query) => query.ReturnData)!.Expression).toBe(
      '100 * FILL(errors, 0) / requests',
    );
    expect(
      rate!.Metrics!.filter((query) => query.MetricStat).map((query) => query.MetricStat!.Metric!.Dimensions),
    ).toEqual([
      [
        { Name: 'LoadBalancer', Value: 'app/web/50dc6c495c0c9188' },
        { Name: 'TargetGroup', Value: 'targetgroup/svc-b/73e2d6bc24d8a067' },
      ],
      [
        { Name: 'LoadBalancer', Value: 'app/web/50dc6c495c0c9188' },
        { Name: 'TargetGroup', Value: 'targetgroup/svc-b/73e2d6bc24d8a067' },
      ],
    ]);
    // Seconds, as the ALB publishes TargetResponseTime.
    expect(p95).toMatchObject({ ExtendedStatistic: 'p95', Threshold: 0.5, Period: 60 });
    expect(unhealthy).toMatchObject({ MetricName: 'UnHealthyHostCount', Statistic: 'Maximum', Threshold: 0 });
    // No traffic in a period is not a failure; the verdict asks whether there was any.
    for (const alarm of alarms) expect(alarm.input.TreatMissingData).toBe('notBreaching');
  });
});

describe('the verdict from the deployment’s end', () => {
  const watched = { status: 'MONITORING_COMPLETE', names: ['prod-svc-release-5xx-rate'], triggered: [] };
  it.each([
    [{ status: 'SUCCESSFUL' }, watched, 1200, 'healthy', /^$/],
    [{ status: 'SUCCESSFUL' }, watched, 0, 'inconclusive', /served no requests/],
    [
      { status: 'SUCCESSFUL' },
      { status: 'DISABLED', names: ['a'], triggered: [] },
      10,
      'inconclusive',
      /ECS watched no alarm/,
    ],
    [
      { status: 'SUCCESSFUL' },
      { status: 'DISABLED', names: [], triggered: [] },
      10,
      'inconclusive',
      /none named/,
    ],
    [
      { status: 'ROLLBACK_SUCCESSFUL' },
      { status: 'TRIGGERED', names: ['x'], triggered: ['x'] },
      10,
      'rolled-back',
      /x went into ALARM/,
    ],
    [
      { status: 'ROLLBACK_SUCCESSFUL', rollback: { reason: 'stopped by a user' } },
      watched,
      10,
      'rolled-back',
      /stopped by a user/,
    ],
    [
      { status: 'ROLLBACK_FAILED', statusReason: 'tasks failed' },
      watched,
      10,
      'failed',
      /ROLLBACK_FAILED: tasks failed/,
    ],
    [
      { status: 'IN_PROGRESS', lifecycleStage: 'BAKE_TIME' },
      watched,
      10,
      'inconclusive',
      /still IN_PROGRESS at BAKE_TIME/,
    ],
  ] as const)('%j with alarms %j and %s requests: %s', (deployment, alarms, requests, outcome, reason) => {
    const verdict = judge(
      deployment as never,
      { ...alarms, names: [...alarms.names], triggered: [...alarms.triggered] },
      requests,
    );
    expect(verdict.outcome).toBe(outcome);
    expect(verdict.reason).toMatch(reason);
  });
});
