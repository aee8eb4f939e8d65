import { InputError } from '../../../packages/shared/src/errors.js';
import { InputReader } from '../../../packages/shared/src/inputs.js';
import { readAwsInputs, type AwsInputs } from '../../../packages/shared/src/aws-inputs.js';

export const NO_DATA_POLICIES = ['pass', 'fail', 'inconclusive'] as const;

export interface Inputs extends AwsInputs {
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
  'probe-url'?: string;
  'no-data': (typeof NO_DATA_POLICIES)[number];
  rollback: boolean;
  'wait-timeout': number;
  'restore-timeout': number;
}

export function getInputs(reader = new InputReader(), env: NodeJS.ProcessEnv = process.env): Inputs {
  const service = reader.string('service', { required: true, example: 'svc-portal' });
  const ruleArn = reader.arn('listener-rule-arn', 'elasticloadbalancing', {
    resourcePrefix: 'listener-rule/',
  });
  const listenerArn = reader.arn('listener-arn', 'elasticloadbalancing', { resourcePrefix: 'listener/' });
  if (Boolean(ruleArn) === Boolean(listenerArn)) {
    throw new InputError(
      'listener-rule-arn',
      `and listener-arn: give exactly one (got ${ruleArn ? 'both' : 'neither'})`,
      'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee',
    );
  }
  const duration = reader.duration('duration', { default: 3_600_000, min: 1000 });
  const interval = reader.duration('interval', { default: 60_000, min: 1000 });
  if (interval > duration)
    throw new InputError('interval', `must not be longer than duration (${duration} ms)`, '1m');
  return {
    cluster: reader.string('cluster', { required: true, example: 'mpac-production' }),
    service,
    'blue-service': reader.string('blue-service', { default: `${service}-blue` }),
    'green-service': reader.string('green-service', { default: `${service}-green` }),
    production: ruleArn ? { kind: 'rule', arn: ruleArn } : { kind: 'listener', arn: listenerArn! },
    duration,
    interval,
    'failures-before-rollback': reader.integer('failures-before-rollback', { default: 3, min: 1, max: 100 }),
    'max-error-rate': reader.number('max-error-rate', { default: 5, min: 0, max: 100 }),
    'max-p95-latency': reader.duration('max-p95-latency', { default: 500, min: 1 }),
    'max-p99-latency': reader.duration('max-p99-latency', { default: 1000, min: 1 }),
    alarms: reader.list('alarms', { example: 'svc-portal-5xx' }),
    'probe-url': reader.string('probe-url', {
      pattern: /^https?:\/\/\S+$/,
      patternHint: 'an http(s) URL',
      example: 'https://portal.example.com/health',
    }),
    'no-data': reader.enum('no-data', NO_DATA_POLICIES, { default: 'inconclusive' }),
    rollback: reader.boolean('rollback', { default: true }),
    'wait-timeout': reader.duration('wait-timeout', { default: 600_000, min: 1000, max: 6 * 3_600_000 }),
    'restore-timeout': reader.duration('restore-timeout', { default: 180_000, min: 1000, max: 3_600_000 }),
    ...readAwsInputs(reader, env),
  };
}
