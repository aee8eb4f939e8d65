import { InputError } from '../../../packages/shared/src/errors.js';
import { existsSync, statSync } from 'node:fs';
import { inWorkspace } from '../../../packages/shared/src/workspace.js';
import { InputReader, parseKeyValueLines } from '../../../packages/shared/src/inputs.js';
import { readAwsInputs, type AwsInputs } from '../../../packages/shared/src/aws-inputs.js';

export const SCAN_THRESHOLDS = ['CRITICAL', 'HIGH', 'MEDIUM', 'none'] as const;

export interface Inputs extends AwsInputs {
  repository: string;
  'registry-id'?: string;
  context: string;
  dockerfile?: string;
  target?: string;
  'build-args': Map<string, string>;
  platforms: string[];
  labels: Map<string, string>;
  push: boolean;
  tags: string[];
  image?: string;
  'create-repository': boolean;
  'update-repository': boolean;
  'scan-severity-threshold': (typeof SCAN_THRESHOLDS)[number];
  'scan-timeout': number;
  'skip-logout': boolean;
  'reuse-existing': boolean;
  cache: 'gha' | 'none';
  'build-secrets': string[];
}

const REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export function getInputs(reader = new InputReader(), env: NodeJS.ProcessEnv = process.env): Inputs {
  const tags = reader.list('tags');
  const badTag = tags.find((tag) => !TAG.test(tag));
  if (badTag !== undefined) {
    throw new InputError(
      'tags',
      `has '${badTag}', which is not an image tag (letters, digits, _ . -; at most 128)`,
      'main, 3f2c1ab',
    );
  }
  return {
    repository: reader.string('repository', {
      required: true,
      pattern: REPOSITORY_NAME,
      patternHint: 'an ECR repository name (lower case, digits, . _ - and /)',
      example: 'svc-portal',
    }),
    'registry-id': reader.string('registry-id', {
      pattern: /^\d{12}$/,
      patternHint: 'a 12-digit AWS account ID',
      example: '123456789012',
    }),
    ...readBuildFiles(reader),
    target: reader.string('target', { example: 'production' }),
    'build-args': parseKeyValueLines(
      'build-args',
      reader.list('build-args', { separators: 'newline' }),
      'GO_VERSION=1.23',
    ),
    platforms: readPlatforms(reader),
    labels: parseKeyValueLines('labels', reader.list('labels', { separators: 'newline' }), 'team=platform'),
    push: reader.boolean('push', { default: true }),
    tags,
    image: reader.string('image', { example: 'svc-portal:local' }),
    'create-repository': reader.boolean('create-repository', { default: true }),
    'update-repository': reader.boolean('update-repository', { default: false }),
    'scan-severity-threshold': reader.enum('scan-severity-threshold', SCAN_THRESHOLDS, {
      default: 'CRITICAL',
    }),
    'scan-timeout': reader.duration('scan-timeout', { default: 600_000, min: 1000, max: 3_600_000 }),
    'skip-logout': reader.boolean('skip-logout', { default: false }),
    'reuse-existing': reader.boolean('reuse-existing', { default: true }),
    cache: reader.enum('cache', ['none', 'gha'] as const, { default: 'none' }),
    'build-secrets': readBuildSecrets(reader, env),
    ...readAwsInputs(reader, env),
  };
}

/** The build context and Dockerfile: inside the workspace, and there. */
function readBuildFiles(reader: InputReader): { context: string; dockerfile?: string } {
  const context = reader.string('context', { default: '.' });
  const contextPath = inWorkspace('context', context, { example: 'services/svc-portal' });
  if (!existsSync(contextPath) || !statSync(contextPath).isDirectory())
    throw new InputError('context', `'${context}' is not a folder of the workspace`, 'services/svc-portal');
  const dockerfile = reader.string('dockerfile', { example: 'services/svc-portal/Dockerfile' });
  if (dockerfile !== undefined) {
    const file = inWorkspace('dockerfile', dockerfile, { example: 'services/svc-portal/Dockerfile' });
    if (!existsSync(file))
      throw new InputError('dockerfile', `'${dockerfile}' does not exist`, 'services/svc-portal/Dockerfile');
  }
  return { context, dockerfile };
}

/** `os/arch` or `os/arch/variant`, as buildx takes them. */
function readPlatforms(reader: InputReader): string[] {
  const platforms = reader.list('platforms', { example: 'linux/amd64,linux/arm64' });
  for (const platform of platforms)
    if (!/^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/.test(platform))
      throw new InputError(
        'platforms',
        `has '${platform}', which is not a platform (os/arch, e.g. linux/amd64 or linux/arm64/v8)`,
        'linux/amd64,linux/arm64',
      );
  return platforms;
}

/** Names of environment variables to pass as build secrets; each must be set (its value is never logged). */
function readBuildSecrets(reader: InputReader, env: NodeJS.ProcessEnv): string[] {
  const names = reader.list('build-secrets', { example: 'NPM_TOKEN' });
  for (const name of names) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new InputError(
        'build-secrets',
        `has '${name}', which is not an environment variable name`,
        'NPM_TOKEN',
      );
    if (!env[name])
      throw new InputError(
        'build-secrets',
        `names ${name}, but the step's environment has no ${name}; set it with env: ${name}: \${{ secrets.${name} }}`,
        'NPM_TOKEN',
      );
  }
  return names;
}
