/**
 * `mode: in-aws`, the alarms: the run's thresholds as CloudWatch alarms on the target group the
 * next revision will serve from, for ECS to watch as deployment alarms through its bake. Pure.
 */
import type { PutMetricAlarmCommandInput } from '@aws-sdk/client-cloudwatch';

export interface ReleaseAlarmSettings {
  cluster: string;
  service: string;
  /** `app/<name>/<id>` and `targetgroup/<name>/<id>`: the metrics' dimensions. */
  loadBalancer: string;
  targetGroup: string;
  periodSeconds: number;
  /** Consecutive breaching periods before ALARM (failures-before-rollback). */
  periods: number;
  maxErrorRate: number;
  maxP95Ms: number;
  maxUnhealthyTasks: number;
}

export interface ReleaseAlarm {
  name: string;
  /** What it watches, in words for the summary. */
  watches: string;
  input: PutMetricAlarmCommandInput;
}

/** Stable names per cluster and service: each arm updates the same three alarms. */
export function releaseAlarmNames(cluster: string, service: string): [string, string, string] {
  const base = `${clusterName(cluster)}-${service}-release`;
  return [`${base}-5xx-rate`, `${base}-p95`, `${base}-unhealthy`];
}

export function releaseAlarms(settings: ReleaseAlarmSettings): ReleaseAlarm[] {
  const [rateName, p95Name, unhealthyName] = releaseAlarmNames(settings.cluster, settings.service);
  const dimensions = [
    { Name: 'LoadBalancer', Value: settings.loadBalancer },
    { Name: 'TargetGroup', Value: settings.targetGroup },
  ];
  const metric = (id: string, name: string, stat: string) => ({
    Id: id,
    MetricStat: {
      Metric: { Namespace: 'AWS/ApplicationELB', MetricName: name, Dimensions: dimensions },
      Period: settings.periodSeconds,
      Stat: stat,
    },
    ReturnData: false,
  });
  const window = `${settings.periods} period(s) of ${settings.periodSeconds} s in a row`;
  const common = {
    EvaluationPeriods: settings.periods,
    DatapointsToAlarm: settings.periods,
    ComparisonOperator: 'GreaterThanThreshold' as const,
    // A period without requests (or without a 5xx) is not a failure; the verdict counts the requests.
    TreatMissingData: 'notBreaching',
    ActionsEnabled: false,
  };
  const describe = (what: string) =>
    `mpac monitor-rollback mode: in-aws. ECS watches it through ${settings.service}'s bake and rolls back on ALARM: ${what} on ${settings.targetGroup}, ${window}.`;
  const p95Seconds = settings.maxP95Ms / 1000;
  return [
    {
      name: rateName,
      watches: `5xx rate of the new revision above ${settings.maxErrorRate} %`,
      input: {
        ...common,
        AlarmName: rateName,
        AlarmDescription: describe(`5xx rate above ${settings.maxErrorRate} %`),
        Metrics: [
          metric('errors', 'HTTPCode_Target_5XX_Count', 'Sum'),
          metric('requests', 'RequestCount', 'Sum'),
          {
            Id: 'rate',
            Expression: '100 * FILL(errors, 0) / requests',
            Label: '5xx % of requests',
            ReturnData: true,
          },
        ],
        Threshold: settings.maxErrorRate,
      },
    },
    {
      name: p95Name,
      watches: `p95 response time of the new revision above ${settings.maxP95Ms} ms`,
      input: {
        ...common,
        AlarmName: p95Name,
        AlarmDescription: describe(`p95 target response time above ${p95Seconds} s`),
        Namespace: 'AWS/ApplicationELB',
        MetricName: 'TargetResponseTime',
        Dimensions: dimensions,
        ExtendedStatistic: 'p95',
        Period: settings.periodSeconds,
        Threshold: p95Seconds,
      },
    },
    {
      name: unhealthyName,
      watches: `more than ${settings.maxUnhealthyTasks} of the new revision's tasks unhealthy (a task crashing or failing its health check)`,
      input: {
        ...common,
        AlarmName: unhealthyName,
        AlarmDescription: describe(`more than ${settings.maxUnhealthyTasks} unhealthy target(s)`),
        Namespace: 'AWS/ApplicationELB',
        MetricName: 'UnHealthyHostCount',
        Dimensions: dimensions,
        Statistic: 'Maximum',
        Period: settings.periodSeconds,
        Threshold: settings.maxUnhealthyTasks,
      },
    },
  ];
}

/** The name of a cluster given by name or ARN. */
function clusterName(cluster: string): string {
  return cluster.includes('/') ? cluster.slice(cluster.lastIndexOf('/') + 1) : cluster;
}
