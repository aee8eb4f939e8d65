/**
 * The AWS inputs every action that calls AWS shares, read and checked without loading the AWS SDK
 * (an action fails on a bad input before it loads it); the clients are made in aws-clients.ts.
 */
import { InputError } from './errors.js';
import type { InputReader } from './inputs.js';

/** The AWS inputs every action that calls AWS shares. */
export interface AwsInputs {
  'aws-region': string;
  'role-to-assume'?: string;
  'role-duration': number;
  'aws-max-attempts': number;
}

export function readAwsInputs(reader: InputReader, env: NodeJS.ProcessEnv = process.env): AwsInputs {
  return {
    'aws-region': resolveRegion(reader.string('aws-region'), env),
    'role-to-assume': reader.arn('role-to-assume', 'iam', { resourcePrefix: 'role/' }),
    'role-duration': reader.duration('role-duration', { default: 3_600_000, min: 900_000, max: 43_200_000 }),
    'aws-max-attempts': reader.integer('aws-max-attempts', { default: 5, min: 1, max: 20 }),
  };
}

/**
 * The region from the `aws-region` input, else AWS_REGION / AWS_DEFAULT_REGION, else an input error
 * (no AWS call can be right without one).
 */
export function resolveRegion(inputRegion: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const region = inputRegion || env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (!region) {
    throw new InputError(
      'aws-region',
      'is empty and neither AWS_REGION nor AWS_DEFAULT_REGION is set',
      'eu-west-1',
    );
  }
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
    throw new InputError('aws-region', `is not an AWS region name; got '${region}'`, 'eu-west-1');
  }
  return region;
}
