import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InputReader } from '../../packages/shared/src/inputs.js';
import { inputsWithDefaults, readActionMetadata } from '../../packages/shared/testing/action-metadata.js';
import { getInputs as blueGreenInputs } from '../blue-green-deploy/src/inputs.js';
import { getInputs as coverageInputs } from '../coverage-gate/src/inputs.js';
import { getInputs as ecrInputs } from '../ecr-push/src/inputs.js';
import { readInputs as monitorInputs } from '../monitor-rollback/src/inputs.js';
import { getInputs as smokeInputs } from '../smoke-test/src/inputs.js';

const RULE =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';

/** Each action with the smallest valid set of inputs a user gives. */
const actions: { name: string; read: (reader: InputReader) => unknown; given: Record<string, string> }[] = [
  {
    name: 'ecr-push',
    read: (reader) => ecrInputs(reader, {}),
    given: { repository: 'svc-portal', 'aws-region': 'eu-west-1' },
  },
  {
    name: 'blue-green-deploy',
    read: (reader) => blueGreenInputs(reader, {}),
    given: {
      cluster: 'prod',
      service: 'svc-portal',
      'listener-rule-arn': RULE,
      'task-definition': 'td.json',
      'aws-region': 'eu-west-1',
    },
  },
  {
    name: 'smoke-test',
    read: (reader) => smokeInputs(reader),
    given: { url: 'http://127.0.0.1:8080/health' },
  },
  { name: 'coverage-gate', read: (reader) => coverageInputs(reader), given: { files: 'coverage/lcov.info' } },
  {
    name: 'monitor-rollback',
    read: (reader) => monitorInputs(reader, {}),
    given: { cluster: 'prod', service: 'svc-portal', 'listener-rule-arn': RULE, 'aws-region': 'eu-west-1' },
  },
];

describe.each(actions)('actions/$name', ({ name, read, given }) => {
  const dir = path.join(import.meta.dirname, '..', name);
  const metadata = readActionMetadata(dir);

  it('declares a node24 action with one bundle for main (and post) and branding', () => {
    expect(metadata.runs.using).toBe('node24');
    expect(metadata.runs.main).toBe('dist/index.js');
    if (metadata.runs.post) expect(metadata.runs.post).toBe('dist/index.js');
    expect(metadata.name).toMatch(/^MPAC /);
    expect(metadata.branding?.icon).toBeTruthy();
    for (const [input, spec] of Object.entries(metadata.inputs))
      expect([input, spec.description]).toEqual([input, expect.any(String)]);
  });

  it('reads every input action.yml declares, and no other', () => {
    const asked = new Set<string>();
    const values = inputsWithDefaults(metadata, given);
    read(
      new InputReader((input) => {
        asked.add(input);
        return values[input] ?? '';
      }),
    );
    expect([...asked].sort()).toEqual(Object.keys(metadata.inputs).sort());
  });

  it('has code defaults equal to the action.yml defaults', () => {
    const withDefaults = read(new InputReader((input) => inputsWithDefaults(metadata, given)[input] ?? ''));
    const withoutDefaults = read(new InputReader((input) => given[input] ?? ''));
    expect(withoutDefaults).toEqual(withDefaults);
  });

  it('documents every input and output in its README', () => {
    const readme = readFileSync(path.join(dir, 'README.md'), 'utf8');
    for (const input of Object.keys(metadata.inputs)) expect(readme).toContain(`| \`${input}\` |`);
    for (const output of Object.keys(metadata.outputs)) expect(readme).toContain(`| \`${output}\` |`);
  });
});

describe('blue-green-deploy inputs', () => {
  const metadata = readActionMetadata(path.join(import.meta.dirname, '..', 'blue-green-deploy'));
  const base = actions[1]!.given;
  const readWith = (changes: Record<string, string | undefined>) => {
    const values = { ...inputsWithDefaults(metadata, base), ...changes };
    return () => blueGreenInputs(new InputReader((input) => values[input] ?? ''), {});
  };

  it('derives the colour service names from the base name', () => {
    const inputs = readWith({})();
    expect([inputs['blue-service'], inputs['green-service']]).toEqual([
      'svc-portal-blue',
      'svc-portal-green',
    ]);
    expect(inputs.production).toEqual({ kind: 'rule', arn: RULE });
  });
  it('rejects both or neither production target', () => {
    expect(
      readWith({
        'listener-arn':
          'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2',
      }),
    ).toThrow(/'listener-rule-arn' and listener-arn were both given; give exactly one/);
    expect(readWith({ 'listener-rule-arn': undefined })).toThrow(
      /\(or listener-arn\) is needed: .*both are empty/,
    );
  });
  it('rejects two task definition sources, and none for a deploy', () => {
    expect(readWith({ 'task-definition-family': 'svc-portal' })).toThrow(
      /'task-definition' cannot be combined with task-definition-family/,
    );
    expect(readWith({ 'task-definition': undefined })).toThrow(/needed for phase 'all'/);
    expect(readWith({ 'task-definition': undefined, phase: 'rollback' })().taskDefinition).toBeUndefined();
  });
  it('rejects traffic steps that do not increase to 100, and an image without its container', () => {
    expect(readWith({ 'traffic-steps': '50,5,100' })).toThrow(
      "Input 'traffic-steps' must increase step by step and end at 100; got 50,5,100",
    );
    expect(readWith({ image: 'repo@sha256:abc' })).toThrow(
      /'container-name' is required when image is given/,
    );
  });
});
