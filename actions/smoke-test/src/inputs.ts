import { InputError } from '../../../packages/shared/src/errors.js';
import { inWorkspace } from '../../../packages/shared/src/workspace.js';
import { InputReader, parseKeyValueLines } from '../../../packages/shared/src/inputs.js';

export interface Inputs {
  url?: string;
  checks?: string;
  'checks-file'?: string;
  vars: Map<string, string>;
  'base-url'?: string;
  'host-header'?: string;
  'wait-for'?: string;
  timeout: number;
  'request-timeout': number;
  retries: number;
  'retry-on-status': number[];
  'retry-on-assertion': boolean;
  'fail-fast': boolean;
  concurrency: number;
  'show-body': boolean;
  junit?: string;
}

const URL_PATTERN = /^https?:\/\/[^\s/]+(\/\S*)?$/;

export function getInputs(reader = new InputReader()): Inputs {
  const url = reader.string('url', {
    pattern: URL_PATTERN,
    patternHint: 'an http(s) URL',
    example: 'https://portal.example.com/health',
  });
  const checks = reader.string('checks', { example: '- name: health\n  path: /health' });
  const checksFileText = reader.string('checks-file', { example: '.github/smoke/checks.yml' });
  const checksFile =
    checksFileText && inWorkspace('checks-file', checksFileText, { example: '.github/smoke/checks.yml' });
  if (!url && !checks && !checksFile) {
    throw new InputError(
      'url',
      '(or checks, checks-file) is needed: there is nothing to check',
      'https://portal.example.com/health',
    );
  }
  const retryOnStatus = reader
    .list('retry-on-status', { default: ['429', '502', '503', '504'] })
    .map((text) => {
      if (!/^[1-5]\d\d$/.test(text))
        throw new InputError(
          'retry-on-status',
          `must list HTTP status codes; '${text}' is not one`,
          '429,502,503,504',
        );
      return Number(text);
    });
  return {
    url,
    checks,
    'checks-file': checksFile,
    vars: parseKeyValueLines('vars', reader.list('vars', { separators: 'newline' }), 'COMMIT_SHA=3f2c1ab'),
    'base-url': reader.string('base-url', {
      pattern: URL_PATTERN,
      patternHint: 'an http(s) URL',
      example: 'http://127.0.0.1:8080',
    }),
    'host-header': reader.string('host-header', {
      pattern: /^[A-Za-z0-9.-]+(:\d+)?$/,
      patternHint: 'a host name',
      example: 'portal.example.com',
    }),
    'wait-for': reader.string('wait-for', { example: 'path: /version' }),
    timeout: reader.duration('timeout', { default: 300_000, min: 1, max: 3_600_000 }),
    'request-timeout': reader.duration('request-timeout', { default: 10_000, min: 1, max: 600_000 }),
    retries: reader.integer('retries', { default: 3, min: 0, max: 100 }),
    'retry-on-status': retryOnStatus,
    'retry-on-assertion': reader.boolean('retry-on-assertion', { default: false }),
    'fail-fast': reader.boolean('fail-fast', { default: false }),
    concurrency: reader.integer('concurrency', { default: 1, min: 1, max: 64 }),
    'show-body': reader.boolean('show-body', { default: true }),
    junit: readJunit(reader),
  };
}

/** Where the JUnit report goes: inside the workspace (its folder is created when missing). */
function readJunit(reader: InputReader): string | undefined {
  const junit = reader.string('junit', { example: 'reports/smoke-junit.xml' });
  return junit && inWorkspace('junit', junit, { example: 'reports/smoke-junit.xml' });
}
