/** The signal inputs blue-green-deploy and monitor-rollback share: how CloudWatch publishes, how to compare. */
import { InputError } from '../errors.js';
import type { InputReader } from '../inputs.js';
import { DEFAULT_NO_DATA, NO_DATA_POLICIES, type NoDataPolicy } from './judge.js';

export interface MetricInputs {
  'metric-period': number;
  'metric-delay': number;
  alpha: number;
  'max-error-increase': number;
  'max-latency-increase': number;
  /** What a step or check without evidence is, the same in both actions (see judge.ts). */
  'no-data': NoDataPolicy;
}

export function readMetricInputs(reader: InputReader): MetricInputs {
  const period = reader.duration('metric-period', {
    default: 60_000,
    min: 1000,
    max: 3_600_000,
    example: '60s',
  });
  const seconds = period / 1000;
  // CloudWatch's rule for GetMetricData periods.
  if (!Number.isInteger(seconds) || (seconds < 60 ? ![1, 5, 10, 30].includes(seconds) : seconds % 60 !== 0))
    throw new InputError(
      'metric-period',
      `must be 1s, 5s, 10s, 30s or a multiple of 60s; got ${seconds} s`,
      '60s',
    );
  return {
    'metric-period': period,
    'metric-delay': reader.duration('metric-delay', { default: 180_000, max: 3_600_000, example: '3m' }),
    alpha: reader.number('alpha', { default: 0.01, min: 0.000001, max: 0.5, example: '0.01' }),
    'max-error-increase': reader.number('max-error-increase', { default: 1, min: 0, max: 100, example: '1' }),
    'no-data': reader.enum('no-data', NO_DATA_POLICIES, { default: DEFAULT_NO_DATA }),
    'max-latency-increase': reader.duration('max-latency-increase', {
      default: 100,
      min: 0,
      max: 60_000,
      example: '100ms',
    }),
  };
}
