import { parse as parseYaml } from 'yaml';
import { readAwsInputs, type AwsInputs } from '../../../packages/shared/src/aws-inputs.js';
import { checkSecrets, parseChecks, type Check } from '../../../packages/shared/src/checks/checks.js';
import { InputError } from '../../../packages/shared/src/errors.js';
import { readCluster, readProductionTarget } from '../../../packages/shared/src/blue-green/inputs.js';
import { InputReader } from '../../../packages/shared/src/inputs.js';
import {
  parseScheduledTasks,
  type ScheduledTasksInput,
} from '../../../packages/shared/src/scheduled-tasks/input.js';
import { probeUrlCheck } from '../../../packages/shared/src/signals/probes.js';
import {
  PROMETHEUS_AGGREGATIONS,
  type PrometheusQuery,
} from '../../../packages/shared/src/signals/prometheus.js';
import { registerSecret } from '../../../packages/shared/src/secrets.js';
import { readMetricInputs, type MetricInputs } from '../../../packages/shared/src/signals/inputs.js';

const HOUR = 3_600_000;
const PROMETHEUS_EXAMPLE =
  '- name: p99 checkout\n  query: histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{color="{{color}}"}[5m])) by (le))\n  threshold: 1\n  direction: above';

export interface Inputs extends AwsInputs, MetricInputs {
  mode: 'runner';
  cluster: string;
  service: string;
  'blue-service': string;
  'green-service': string;
  production: { kind: 'rule'; arn: string } | { kind: 'listener'; arn: string };
  duration: number;
  interval: number;
  'failures-before-rollback': number;
  'max-error-rate': number;
  'max-p95-latency': number;
  'max-p99-latency': number;
  alarms: string[];
  /** probe-url and probe-checks, as checks in smoke-test's format. */
  probes: Check[];
  'probe-interval': number;
  'max-task-restarts': number;
  'prometheus-url'?: string;
  'prometheus-queries': PrometheusQuery[];
  'prometheus-token'?: string;
  rollback: boolean;
  'wait-timeout': number;
  'restore-timeout': number;
  'lock-ttl': number;
  'lock-wait': number;
  'github-token'?: string;
  'deployment-id'?: number;
  environment?: string;
  /** Scheduled tasks of the family, put back on the release a rollback brings back. */
  'scheduled-tasks'?: ScheduledTasksInput;
}

/** The inputs of `mode: in-aws`: the watch ECS carries out during its bake, with no runner. */
export interface InAwsInputs extends AwsInputs {
  mode: 'in-aws';
  cluster: string;
  service: string;
  /** Read the verdict of this deployment; without it, arm the alarms for the next one. */
  'service-deployment-arn'?: string;
  'failures-before-rollback': number;
  'max-error-rate': number;
  'max-p95-latency': number;
  'max-task-restarts': number;
  'metric-period': number;
  /** More alarms ECS watches beside the suite's. */
  alarms: string[];
  'no-data': MetricInputs['no-data'];
  /** The verdict's longest wait for ECS to end the deployment, and its polling interval. */
  'wait-timeout': number;
  interval: number;
  'github-token'?: string;
  'deployment-id'?: number;
  environment?: string;
  /** With service-deployment-arn: scheduled tasks of the family, put on the revision ECS left live. */
  'scheduled-tasks'?: ScheduledTasksInput;
}

/** Inputs that only the runner's watch reads: given with `mode: in-aws` they would do nothing. */
const RUNNER_ONLY = [
  'blue-service',
  'green-service',
  'listener-rule-arn',
  'listener-arn',
  'probe-url',
  'probe-checks',
  'prometheus-url',
  'prometheus-queries',
  'prometheus-token',
];

/** `mode` first: the runner's watch (the default) or the one ECS carries out (`in-aws`). */
export function readInputs(
  reader = new InputReader(),
  env: NodeJS.ProcessEnv = process.env,
): Inputs | InAwsInputs {
  const mode = reader.enum('mode', ['runner', 'in-aws'] as const, { default: 'runner' });
  if (mode === 'in-aws') return getInAwsInputs(reader, env);
  const arn = reader.string('service-deployment-arn');
  if (arn !== undefined)
    throw new InputError(
      'service-deployment-arn',
      'only applies to mode: in-aws (the verdict of a watch ECS carried out); mode is runner',
      'mode: in-aws',
    );
  return getInputs(reader, env);
}

function getInAwsInputs(reader: InputReader, env: NodeJS.ProcessEnv): InAwsInputs {
  for (const name of RUNNER_ONLY)
    if (reader.string(name) !== undefined)
      throw new InputError(
        name,
        'does not apply to mode: in-aws: ECS watches the deployment alarms of the native service, found from its advancedConfiguration',
        'mode: runner',
      );
  const metrics = readMetricInputs(reader);
  const period = metrics['metric-period'] / 1000;
  if (!(period === 10 || period === 30 || period % 60 === 0))
    throw new InputError(
      'metric-period',
      `must be 10s, 30s or a multiple of 60s for a CloudWatch alarm (mode: in-aws); got ${period} s`,
      '60s',
    );
  const interval = reader.duration('interval', { default: 60_000, min: 1000, max: HOUR });
  const scheduledTasks = parseScheduledTasks(reader.string('scheduled-tasks') ?? '');
  if (scheduledTasks && !reader.string('service-deployment-arn'))
    throw new InputError(
      'scheduled-tasks',
      'applies to mode: in-aws only with service-deployment-arn (the verdict moves them to the revision ECS left live); arming the alarms changes no schedule',
      'service-deployment-arn: ${{ steps.shift.outputs.service-deployment-arn }}',
    );
  return {
    mode: 'in-aws',
    ...(scheduledTasks ? { 'scheduled-tasks': scheduledTasks } : {}),
    cluster: readCluster(reader),
    service: reader.string('service', { required: true, example: 'svc-portal' }),
    'service-deployment-arn': reader.arn('service-deployment-arn', 'ecs', {
      resourcePrefix: 'service-deployment/',
    }),
    'failures-before-rollback': reader.integer('failures-before-rollback', { default: 3, min: 1, max: 100 }),
    'max-error-rate': reader.number('max-error-rate', { default: 5, min: 0, max: 100 }),
    'max-p95-latency': reader.duration('max-p95-latency', { default: 500, min: 1, max: 600_000 }),
    'max-task-restarts': reader.integer('max-task-restarts', { default: 0, min: 0, max: 10_000 }),
    'metric-period': metrics['metric-period'],
    alarms: reader.list('alarms', { example: 'svc-portal-5xx' }),
    'no-data': metrics['no-data'],
    'wait-timeout': reader.duration('wait-timeout', { default: 600_000, min: 1000, max: 6 * HOUR }),
    interval,
    'github-token': reader.secret('github-token'),
    'deployment-id': reader.integer('deployment-id', { min: 1, example: '123456789' }),
    environment: reader.string('environment', { example: 'production' }),
    ...readAwsInputs(reader, env),
  };
}

export function getInputs(reader = new InputReader(), env: NodeJS.ProcessEnv = process.env): Inputs {
  const service = reader.string('service', { required: true, example: 'svc-portal' });
  const production = readProductionTarget(reader);
  const duration = reader.duration('duration', { default: HOUR, min: 1000, max: 12 * HOUR });
  const interval = reader.duration('interval', { default: 60_000, min: 1000, max: HOUR });
  if (interval > duration)
    throw new InputError('interval', `must not be longer than duration (${duration / 1000} s)`, '1m');
  const blueService = reader.string('blue-service', { default: `${service}-blue` });
  const greenService = reader.string('green-service', { default: `${service}-green` });
  if (blueService === greenService)
    throw new InputError(
      'green-service',
      `is the same service as blue-service ('${blueService}'); the colours need one service each`,
      `${service}-green`,
    );
  const prometheusUrl = reader.string('prometheus-url', {
    pattern: /^https?:\/\/\S+$/,
    patternHint: 'an http(s) URL',
    example: 'http://prometheus.monitoring:9090',
  });
  const prometheusQueries = readPrometheusQueries(reader.string('prometheus-queries'));
  if (prometheusQueries.length > 0 && !prometheusUrl)
    throw new InputError(
      'prometheus-url',
      'is needed when prometheus-queries are given',
      'http://prometheus:9090',
    );
  const deploymentId = reader.integer('deployment-id', { min: 1, example: '123456789' });
  const scheduledTasks = parseScheduledTasks(reader.string('scheduled-tasks') ?? '');
  return {
    mode: 'runner',
    ...(scheduledTasks ? { 'scheduled-tasks': scheduledTasks } : {}),
    cluster: readCluster(reader),
    service,
    'blue-service': blueService,
    'green-service': greenService,
    production,
    duration,
    interval,
    'failures-before-rollback': reader.integer('failures-before-rollback', { default: 3, min: 1, max: 100 }),
    'max-error-rate': reader.number('max-error-rate', { default: 5, min: 0, max: 100 }),
    'max-p95-latency': reader.duration('max-p95-latency', { default: 500, min: 1, max: 600_000 }),
    'max-p99-latency': reader.duration('max-p99-latency', { default: 1000, min: 1, max: 600_000 }),
    alarms: reader.list('alarms', { example: 'svc-portal-5xx' }),
    probes: readProbes(reader),
    'probe-interval': reader.duration('probe-interval', { default: 5000, min: 1000, max: HOUR }),
    'max-task-restarts': reader.integer('max-task-restarts', { default: 0, min: 0, max: 10_000 }),
    'prometheus-url': prometheusUrl,
    'prometheus-queries': prometheusQueries,
    'prometheus-token': reader.secret('prometheus-token'),
    ...readMetricInputs(reader),
    rollback: reader.boolean('rollback', { default: true }),
    'wait-timeout': reader.duration('wait-timeout', { default: 600_000, min: 1000, max: 6 * HOUR }),
    'restore-timeout': reader.duration('restore-timeout', { default: 180_000, min: 1000, max: HOUR }),
    'lock-ttl': reader.duration('lock-ttl', { default: 600_000, min: 60_000, max: 24 * HOUR }),
    'lock-wait': reader.duration('lock-wait', { default: 300_000, max: 6 * HOUR }),
    'github-token': reader.secret('github-token'),
    'deployment-id': deploymentId,
    environment: reader.string('environment', { example: 'production' }),
    ...readAwsInputs(reader, env),
  };
}

/** `probe-url` as a check that wants a 2xx or 3xx answer, and `probe-checks` in smoke-test's format. */
function readProbes(reader: InputReader): Check[] {
  const url = reader.string('probe-url', {
    pattern: /^https?:\/\/\S+$/,
    patternHint: 'an http(s) URL',
    example: 'https://portal.example.com/health',
  });
  const defaults = { vars: new Map<string, string>() };
  const probes: Check[] = [];
  if (url) probes.push(probeUrlCheck(url));
  const text = reader.string('probe-checks');
  if (text) probes.push(...parseChecks(text, 'probe-checks', defaults));
  for (const check of probes) for (const secret of checkSecrets(check)) registerSecret(secret);
  return probes;
}

function readPrometheusQueries(text: string | undefined): PrometheusQuery[] {
  if (!text) return [];
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new InputError(
      'prometheus-queries',
      `is not valid YAML (${(error as Error).message.split('\n')[0]})`,
      PROMETHEUS_EXAMPLE,
    );
  }
  if (!Array.isArray(document) || document.length === 0)
    throw new InputError('prometheus-queries', 'must be a list of queries', PROMETHEUS_EXAMPLE);
  return document.map((raw: unknown, index) => {
    const entry = (raw ?? {}) as Record<string, unknown>;
    const where = `query ${index + 1}${typeof entry.name === 'string' ? ` ('${entry.name}')` : ''}`;
    const unknown = Object.keys(entry).filter(
      (key) => !['name', 'query', 'threshold', 'direction', 'aggregate'].includes(key),
    );
    if (unknown.length > 0)
      throw new InputError(
        'prometheus-queries',
        `${where} has unknown keys ${unknown.join(', ')}`,
        PROMETHEUS_EXAMPLE,
      );
    if (typeof entry.name !== 'string' || !entry.name)
      throw new InputError('prometheus-queries', `${where} has no name`, PROMETHEUS_EXAMPLE);
    if (typeof entry.query !== 'string' || !entry.query)
      throw new InputError('prometheus-queries', `${where} has no query`, PROMETHEUS_EXAMPLE);
    if (typeof entry.threshold !== 'number' || !Number.isFinite(entry.threshold))
      throw new InputError('prometheus-queries', `${where} needs a number threshold`, PROMETHEUS_EXAMPLE);
    const direction = entry.direction ?? 'above';
    if (direction !== 'above' && direction !== 'below')
      throw new InputError(
        'prometheus-queries',
        `${where}: direction must be above or below; got ${String(direction)}`,
        PROMETHEUS_EXAMPLE,
      );
    const aggregate = entry.aggregate ?? 'each';
    if (!PROMETHEUS_AGGREGATIONS.includes(aggregate as PrometheusQuery['aggregate']))
      throw new InputError(
        'prometheus-queries',
        `${where}: aggregate must be one of ${PROMETHEUS_AGGREGATIONS.join(', ')} (each: every series judged); got ${String(aggregate)}`,
        PROMETHEUS_EXAMPLE,
      );
    return {
      name: entry.name,
      query: entry.query,
      threshold: entry.threshold,
      direction,
      aggregate: aggregate as PrometheusQuery['aggregate'],
    };
  });
}
