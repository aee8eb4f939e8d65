import { InputError } from '../../../packages/shared/src/errors.js';
import { InputReader } from '../../../packages/shared/src/inputs.js';

export const METRICS = ['line', 'branch', 'function'] as const;

export interface Inputs {
  files: string[];
  threshold: number;
  metric: (typeof METRICS)[number];
  'working-directory': string;
  config?: string;
  'patch-threshold'?: number;
  'github-token'?: string;
  comment: boolean;
  annotations: boolean;
  'merged-output': string[];
}

export function getInputs(reader = new InputReader()): Inputs {
  return {
    files: reader.list('files', { required: true, separators: 'newline', example: 'coverage/lcov.info' }),
    threshold: reader.number('threshold', { default: 80, min: 0, max: 100, example: '80' }),
    metric: reader.enum('metric', METRICS, { default: 'line' }),
    'working-directory': reader.string('working-directory', { default: '.' }),
    config: reader.string('config', { example: '.github/coverage.yml' }),
    'patch-threshold': reader.number('patch-threshold', { min: 0, max: 100, example: '90' }),
    'github-token': reader.secret('github-token'),
    comment: reader.boolean('comment', { default: true }),
    annotations: reader.boolean('annotations', { default: true }),
    'merged-output': readMergedOutput(reader),
  };
}

/** Where to write the merged report; the extension says the format (.info LCOV, .xml Cobertura). */
function readMergedOutput(reader: InputReader): string[] {
  const targets = reader.list('merged-output', { separators: 'newline', example: 'coverage/merged.xml' });
  for (const target of targets) {
    if (!/\.(info|xml)$/.test(target))
      throw new InputError(
        'merged-output',
        `cannot tell the format of '${target}': end it in .info (LCOV) or .xml (Cobertura)`,
        'coverage/merged.xml',
      );
  }
  return targets;
}
