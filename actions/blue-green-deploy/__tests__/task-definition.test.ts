import { describe, expect, it } from '@jest/globals';
import { parseTaskDefinitionText, renderTaskDefinition, sameTaskDefinition } from '../src/task-definition.js';

const none = { environment: new Map(), secrets: new Map(), dockerLabels: new Map(), logOptions: new Map() };
const template = {
  family: 'svc-portal',
  taskDefinitionArn: 'arn:aws:ecs:eu-west-1:1:task-definition/svc-portal:7',
  revision: 7,
  registeredAt: '2026-01-01',
  containerDefinitions: [
    {
      name: 'app',
      image: 'old',
      environment: [{ name: 'LOG_LEVEL', value: 'info' }],
      logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-region': 'eu-west-1' } },
    },
    { name: 'sidecar', image: 'envoy' },
  ],
};

describe('renderTaskDefinition', () => {
  it('sets the image, merges environment (values may hold =), secrets, labels and log options, and drops describe-only fields', () => {
    const { definition, notices } = renderTaskDefinition(template, {
      containerName: 'app',
      image: 'repo/svc-portal@sha256:abc',
      environment: new Map([
        ['LOG_LEVEL', 'debug'],
        ['DSN', 'postgres://u@h/db?sslmode=require'],
      ]),
      secrets: new Map([['DB_PASSWORD', 'arn:aws:secretsmanager:eu-west-1:1:secret:db']]),
      dockerLabels: new Map([['team', 'platform']]),
      logOptions: new Map([['awslogs-group', '/ecs/svc-portal']]),
    });
    const app = (definition.containerDefinitions as Record<string, unknown>[])[0]!;
    expect(app.image).toBe('repo/svc-portal@sha256:abc');
    expect(app.environment).toEqual([
      { name: 'LOG_LEVEL', value: 'debug' },
      { name: 'DSN', value: 'postgres://u@h/db?sslmode=require' },
    ]);
    expect(app.secrets).toEqual([
      { name: 'DB_PASSWORD', valueFrom: 'arn:aws:secretsmanager:eu-west-1:1:secret:db' },
    ]);
    expect(app.dockerLabels).toEqual({ team: 'platform' });
    expect(app.logConfiguration).toEqual({
      logDriver: 'awslogs',
      options: { 'awslogs-region': 'eu-west-1', 'awslogs-group': '/ecs/svc-portal' },
    });
    expect(definition).not.toHaveProperty('revision');
    expect(notices).toEqual([
      'Dropped describe-only fields the ECS API refuses: taskDefinitionArn, revision, registeredAt',
    ]);
    expect(template.containerDefinitions[0]!.image).toBe('old');
  });

  it('names the containers there are when container-name matches none, or is missing with several', () => {
    expect(() => renderTaskDefinition(template, { ...none, containerName: 'web', image: 'x' })).toThrow(
      "Input 'container-name' names 'web', but the task definition has no such container (it has app, sidecar)",
    );
    expect(() => renderTaskDefinition(template, { ...none, image: 'x' })).toThrow(
      /'container-name' is needed: the task definition has 2 containers \(app, sidecar\)/,
    );
  });

  it('refuses log options for a container without a log driver', () => {
    expect(() =>
      renderTaskDefinition(template, {
        ...none,
        containerName: 'sidecar',
        logOptions: new Map([['a', 'b']]),
      }),
    ).toThrow(/'log-configuration-options' cannot be applied: container 'sidecar' has no logConfiguration/);
  });
});

describe('parseTaskDefinitionText', () => {
  it('reads JSON and YAML, and names the file when it is malformed', () => {
    expect(
      parseTaskDefinitionText('family: x\ncontainerDefinitions:\n  - name: app\n    image: i\n', 'td.yml')
        .family,
    ).toBe('x');
    expect(() => parseTaskDefinitionText('{"family": ', 'deploy/td.json')).toThrow(
      /points to deploy\/td.json, which is not valid JSON or YAML/,
    );
    expect(() => parseTaskDefinitionText('[1]', 'td.json')).toThrow(/not a task definition object/);
    expect(() => parseTaskDefinitionText('{"family": "x"}', 'td.json')).toThrow(
      /has no containerDefinitions/,
    );
  });
});

describe('sameTaskDefinition', () => {
  it('ignores describe-only fields, empty lists and key order, and sees real changes', () => {
    const registered = {
      ...template,
      volumes: [],
      placementConstraints: [],
      status: 'ACTIVE',
      compatibilities: ['FARGATE'],
    };
    const { definition } = renderTaskDefinition(template, none);
    expect(sameTaskDefinition(registered, definition)).toBe(true);
    const changed = renderTaskDefinition(template, {
      ...none,
      containerName: 'app',
      image: 'new',
    }).definition;
    expect(sameTaskDefinition(registered, changed)).toBe(false);
  });
});
