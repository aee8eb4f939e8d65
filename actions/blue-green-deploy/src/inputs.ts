import {
  parseScheduledTasks,
  type ScheduledTasksInput,
} from '../../../packages/shared/src/scheduled-tasks/input.js';
import { InputError } from '../../../packages/shared/src/errors.js';
import { inWorkspace } from '../../../packages/shared/src/workspace.js';
import {
  readCluster,
  readProductionTarget,
  RULE_EXAMPLE,
} from '../../../packages/shared/src/blue-green/inputs.js';
import { InputReader, parseKeyValueLines } from '../../../packages/shared/src/inputs.js';
import { readAwsInputs, type AwsInputs } from '../../../packages/shared/src/aws-inputs.js';
import type { Color } from '../../../packages/shared/src/traffic.js';
import { parseTrafficSteps } from '../../../packages/shared/src/traffic-steps.js';
import { readMetricInputs } from '../../../packages/shared/src/signals/inputs.js';
import type { NoDataPolicy } from '../../../packages/shared/src/signals/judge.js';
import { parseEcrImage } from './standby-image.js';
import { NATIVE_STRATEGIES, type NativeStrategy } from '../../../packages/shared/src/native/strategies.js';

export const PHASES = ['all', 'prepare', 'shift', 'rollback', 'cleanup', 'standby'] as const;
export const STRATEGIES = ['weighted', 'ecs-native'] as const;
export type Phase = (typeof PHASES)[number];

export type TaskDefinitionSource =
  { kind: 'file'; path: string } | { kind: 'arn'; arn: string } | { kind: 'family'; family: string };

export interface Inputs extends AwsInputs {
  /** weighted: the suite moves the weights between two services; ecs-native: ECS moves them in one. */
  strategy: (typeof STRATEGIES)[number];
  cluster: string;
  service: string;
  'blue-service': string;
  'green-service': string;
  /** Exactly one of listener-rule-arn / listener-arn, resolved (weighted only). */
  production?: { kind: 'rule'; arn: string } | { kind: 'listener'; arn: string };
  /** Exactly one of test-listener-rule-arn / test-listener-arn, resolved, when either is given. */
  test?: { kind: 'rule'; arn: string } | { kind: 'listener'; arn: string };
  taskDefinition?: TaskDefinitionSource;
  'container-name'?: string;
  image?: string;
  'environment-variables': Map<string, string>;
  secrets: Map<string, string>;
  'docker-labels': Map<string, string>;
  'log-configuration-options': Map<string, string>;
  phase: Phase;
  /** After a promotion, run each scheduled task once on the new revision, judged by its exit codes. */
  'run-scheduled-now': boolean;
  'traffic-steps': number[];
  'step-bake': number;
  'wait-timeout': number;
  'desired-count'?: number;
  'max-error-rate': number;
  'max-p95-latency': number;
  'max-error-increase': number;
  'max-latency-increase': number;
  alpha: number;
  'metric-period': number;
  'metric-delay': number;
  'no-data': NoDataPolicy;
  'max-bake': number;
  alarms: string[];
  'probe-url'?: string;
  'migration-command'?: string;
  'lock-ttl': number;
  'lock-wait': number;
  'restore-timeout': number;
  'force-from-split': boolean;
  'to-color'?: Color;
  'to-task-definition'?: string;
  /** An earlier release by its image (tag or digest): the family's newest revision that runs it. */
  'to-image'?: string;
  force: boolean;
  'if-unsettled': boolean;
  'github-token'?: string;
  environment?: string;
  'deployment-id'?: number;
  'environment-url'?: string;
  release?: string;
  /** ecs-native: ECS's strategy for this deployment (default the service's own). */
  'ecs-strategy'?: NativeStrategy;
  /** ecs-native: LINEAR's step or CANARY's canary, in percent. */
  'ecs-step-percent'?: number;
  /** ecs-native: ECS's bake after 100 %, whole minutes, in ms. */
  'bake-time'?: number;
  /** ecs-native: a deployment to re-attach to (phases shift and rollback). */
  'service-deployment-arn'?: string;
  /** ecs-native: how long the post-test pause waits for phase shift before ECS rolls back. */
  'pause-timeout': number;
  /**
   * ecs-native: stay until ECS ends the deployment (true), or end the job when ECS's bake begins,
   * leaving the watch to the deployment's alarms (false).
   */
  'wait-for-bake': boolean;
  /** traffic-steps was given (ecs-native judges ECS's first step and 100 % when it was not). */
  'traffic-steps-given': boolean;
  /** Scheduled tasks of the family to keep on the live revision. */
  'scheduled-tasks'?: ScheduledTasksInput;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$/;
const HOUR = 3_600_000;

export function getInputs(reader = new InputReader(), env: NodeJS.ProcessEnv = process.env): Inputs {
  const service = reader.string('service', {
    required: true,
    pattern: NAME,
    patternHint: 'an ECS service base name',
    example: 'svc-portal',
  });
  const phase = reader.enum('phase', PHASES, { default: 'all' });
  const strategy = reader.enum('strategy', STRATEGIES, { default: 'weighted' });
  const native = readNativeInputs(reader, strategy, phase);
  const production = strategy === 'weighted' ? readProductionTarget(reader) : undefined;
  const taskDefinition = readTaskDefinitionSource(reader, phase);
  const containerName = reader.string('container-name', { example: 'app' });
  const image = reader.string('image', {
    example: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/svc-portal@sha256:…',
  });
  if (image && !containerName)
    throw new InputError('container-name', 'is required when image is given', 'app');
  const blueService = reader.string('blue-service', {
    default: `${service}-blue`,
    pattern: NAME,
    patternHint: 'an ECS service name',
  });
  const greenService = reader.string('green-service', {
    default: `${service}-green`,
    pattern: NAME,
    patternHint: 'an ECS service name',
  });
  if (blueService === greenService)
    throw new InputError(
      'green-service',
      `is the same service as blue-service ('${blueService}'); the colours need one service each`,
      `${service}-green`,
    );
  const stepsGiven = reader.string('traffic-steps');
  const stepsText = stepsGiven ?? '5,50,100';
  const stepBake = reader.duration('step-bake', { default: 300_000, max: 6 * HOUR });
  const alarms = reader.list('alarms', { example: 'svc-portal-5xx, svc-portal-latency' });
  const probeUrl = reader.string('probe-url', {
    pattern: /^https?:\/\/\S+$/,
    patternHint: 'an http(s) URL',
    example: 'https://portal.example.com/health',
  });
  const signals = readSignalInputs(reader, {
    'step-bake': stepBake,
    hasFastSignals: alarms.length > 0 || Boolean(probeUrl),
  });
  const scheduledTasks = parseScheduledTasks(reader.string('scheduled-tasks') ?? '');
  const runScheduledNow = reader.boolean('run-scheduled-now', { default: false });
  if (runScheduledNow && !scheduledTasks)
    throw new InputError(
      'run-scheduled-now',
      'needs scheduled-tasks: it runs each of them once after the promotion',
      'scheduled-tasks: matcher',
    );
  if (runScheduledNow && phase !== 'all' && phase !== 'shift')
    throw new InputError(
      'run-scheduled-now',
      `runs the scheduled tasks after a promotion: it applies to phase all or shift (phase is '${phase}')`,
      'phase: shift',
    );
  const inputs: Inputs = {
    strategy,
    'run-scheduled-now': runScheduledNow,
    ...native,
    ...(scheduledTasks ? { 'scheduled-tasks': scheduledTasks } : {}),
    'traffic-steps-given': stepsGiven !== undefined,
    cluster: readCluster(reader),
    service,
    'blue-service': blueService,
    'green-service': greenService,
    production,
    test: readTestListener(reader),
    taskDefinition,
    'container-name': containerName,
    image,
    'environment-variables': parseKeyValueLines(
      'environment-variables',
      reader.list('environment-variables', { separators: 'newline' }),
    ),
    secrets: parseKeyValueLines(
      'secrets',
      reader.list('secrets', { separators: 'newline' }),
      'DB_PASSWORD=arn:aws:secretsmanager:eu-west-1:123456789012:secret:db',
    ),
    'docker-labels': parseKeyValueLines(
      'docker-labels',
      reader.list('docker-labels', { separators: 'newline' }),
      'team=platform',
    ),
    'log-configuration-options': parseKeyValueLines(
      'log-configuration-options',
      reader.list('log-configuration-options', { separators: 'newline' }),
      'awslogs-group=/ecs/svc-portal',
    ),
    phase,
    'traffic-steps': parseTrafficSteps('traffic-steps', stepsText),
    'step-bake': stepBake,
    'wait-timeout': reader.duration('wait-timeout', { default: 1_800_000, min: 1000, max: 6 * HOUR }),
    'desired-count': reader.integer('desired-count', { min: 1, max: 5000, example: '4' }),
    'max-error-rate': reader.number('max-error-rate', { default: 5, min: 0, max: 100 }),
    'max-p95-latency': reader.duration('max-p95-latency', { default: 500, min: 1, max: 600_000 }),
    alarms,
    'probe-url': probeUrl,
    ...signals,
    'migration-command': reader.string('migration-command', { example: 'alembic upgrade head' }),
    'lock-ttl': reader.duration('lock-ttl', { default: 7_200_000, min: 60_000, max: 24 * HOUR }),
    'lock-wait': reader.duration('lock-wait', { default: 0, max: 6 * HOUR }),
    'restore-timeout': reader.duration('restore-timeout', { default: 180_000, min: 1000, max: HOUR }),
    'force-from-split': reader.boolean('force-from-split', { default: false }),
    ...readRollbackTarget(reader, phase),
    force: reader.boolean('force', { default: false }),
    'if-unsettled': reader.boolean('if-unsettled', { default: false }),
    'github-token': reader.secret('github-token'),
    environment: reader.string('environment', { example: 'production' }),
    'deployment-id': reader.integer('deployment-id', { min: 1, example: '123456789' }),
    'environment-url': reader.string('environment-url', {
      pattern: /^https?:\/\/\S+$/,
      patternHint: 'an http(s) URL',
      example: 'https://portal.example.com',
    }),
    release: reader.string('release', {
      pattern: /^\S{1,500}$/,
      patternHint: 'one word of at most 500 characters (an image URI)',
      example: '123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/svc-portal:tree-3f2c1ab',
    }),
    ...readAwsInputs(reader, env),
  };
  if (phase === 'standby') checkStandbyInputs(inputs);
  return inputs;
}

/**
 * Phase standby brings a DR region's blue/green service to the release production runs: the image
 * must come from that region's own registry (a failover must not pull from the primary's), and
 * what only a customer-facing deploy does (migrations, ECS's own strategy) does not apply.
 */
function checkStandbyInputs(inputs: Inputs): void {
  if (inputs.strategy !== 'weighted')
    throw new InputError(
      'phase',
      'standby applies to strategy: weighted (a standby with two colour services behind its own listener)',
      'strategy: weighted',
    );
  if (inputs['migration-command'])
    throw new InputError(
      'migration-command',
      "does not apply to phase: standby: the standby's database follows the primary's, whose deploy migrated it",
      'leave migration-command out of the standby step',
    );
  const example = `123456789012.dkr.ecr.${inputs['aws-region']}.amazonaws.com/svc-portal:tree-3f2c1ab`;
  // task-definition-arn of production's region: the standby follows that revision, its image taken
  // from the standby's registry (found there by blue-green-deploy).
  if (!inputs.image) {
    if (inputs.taskDefinition?.kind === 'arn') return;
    throw new InputError(
      'image',
      'is needed for phase: standby with a task-definition file or family (the release production runs)',
      example,
    );
  }
  // An image of another registry (not ECR) is pulled as production pulls it: nothing to move.
  const image = parseEcrImage(inputs.image);
  if (!image) return;
  if (image.region !== inputs['aws-region'])
    throw new InputError(
      'image',
      `is in the ${image.region} registry, but the standby is in ${inputs['aws-region']}: a standby must pull from its own region's registry, or a failover depends on the region that failed`,
      `${image.host.replace(image.region, inputs['aws-region'])}/${image.repository}${image.digest ? `@${image.digest}` : `:${image.tag}`}`,
    );
}

function readTaskDefinitionSource(reader: InputReader, phase: Phase): TaskDefinitionSource | undefined {
  const file = reader.string('task-definition', { example: 'deploy/task-definition.json' });
  const arn = reader.arn('task-definition-arn', 'ecs', { resourcePrefix: 'task-definition/' });
  const family = reader.string('task-definition-family', {
    pattern: /^[A-Za-z0-9_-]{1,255}$/,
    patternHint: 'a task definition family name',
    example: 'svc-portal',
  });
  const given = [
    file && 'task-definition',
    arn && 'task-definition-arn',
    family && 'task-definition-family',
  ].filter(Boolean);
  if (given.length > 1) {
    throw new InputError(
      given[0] as string,
      `cannot be combined with ${given.slice(1).join(', ')}; give exactly one task definition source`,
      'task-definition: deploy/task-definition.json',
    );
  }
  if (given.length === 0 && (phase === 'all' || phase === 'prepare' || phase === 'standby')) {
    throw new InputError(
      'task-definition',
      `(or task-definition-arn, task-definition-family) is needed for phase '${phase}'`,
      'deploy/task-definition.json',
    );
  }
  if (file)
    return {
      kind: 'file',
      path: inWorkspace('task-definition', file, { example: 'deploy/task-definition.json' }),
    };
  if (arn) return { kind: 'arn', arn };
  if (family) return { kind: 'family', family };
  return undefined;
}

function readTestListener(reader: InputReader): Inputs['test'] {
  const ruleArn = reader.arn('test-listener-rule-arn', 'elasticloadbalancing', {
    resourcePrefix: 'listener-rule/',
  });
  const listenerArn = reader.arn('test-listener-arn', 'elasticloadbalancing', {
    resourcePrefix: 'listener/',
  });
  if (ruleArn && listenerArn)
    throw new InputError(
      'test-listener-rule-arn',
      'and test-listener-arn were both given; give at most one',
      RULE_EXAMPLE,
    );
  if (ruleArn) return { kind: 'rule', arn: ruleArn };
  if (listenerArn) return { kind: 'listener', arn: listenerArn };
  return undefined;
}

/** An image reference with a tag or a digest, or a bare digest: what `to-image` accepts. */
const IMAGE_REFERENCE =
  /^(?:sha256:[0-9a-f]{64}|[a-z0-9][a-z0-9._/:-]*(?:@sha256:[0-9a-f]{64}|:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))$/;

function readRollbackTarget(
  reader: InputReader,
  phase: Phase,
): { 'to-color'?: Color; 'to-task-definition'?: string; 'to-image'?: string } {
  const toColor = reader.enum('to-color', ['blue', 'green'] as const);
  const toTaskDefinition = reader.arn('to-task-definition', 'ecs', { resourcePrefix: 'task-definition/' });
  const toImage = reader.string('to-image', {
    pattern: IMAGE_REFERENCE,
    patternHint:
      'an image with its tag or digest (registry/repository:tag, registry/repository@sha256:…) or a digest',
    example: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/svc-portal:tree-3f2a…',
  });
  const given = (['to-color', 'to-task-definition', 'to-image'] as const).filter(
    (name) => ({ 'to-color': toColor, 'to-task-definition': toTaskDefinition, 'to-image': toImage })[name],
  );
  if (given.length > 1)
    throw new InputError(
      given[0]!,
      `and ${given.slice(1).join(' and ')} were ${given.length === 2 ? 'both' : 'all'} given; give at most one`,
      'blue',
    );
  if (given.length && phase !== 'rollback')
    throw new InputError(
      given[0]!,
      `only applies to phase: rollback (phase is '${phase}')`,
      'phase: rollback',
    );
  return { 'to-color': toColor, 'to-task-definition': toTaskDefinition, 'to-image': toImage };
}

function readSignalInputs(
  reader: InputReader,
  context: { 'step-bake': number; hasFastSignals: boolean },
): Pick<
  Inputs,
  | 'max-error-increase'
  | 'max-latency-increase'
  | 'alpha'
  | 'metric-period'
  | 'metric-delay'
  | 'no-data'
  | 'max-bake'
> {
  const metrics = readMetricInputs(reader);
  if (context['step-bake'] < metrics['metric-period'] && !context.hasFastSignals) {
    throw new InputError(
      'step-bake',
      `(${context['step-bake'] / 1000} s) is shorter than metric-period (${metrics['metric-period'] / 1000} s), and there is no probe-url and no alarms: the gate could never see a complete metric period. Make step-bake at least metric-period, or add probe-url or alarms`,
      '5m',
    );
  }
  const maxBake = reader.duration('max-bake', { default: 1_800_000, max: 6 * HOUR });
  if (maxBake < context['step-bake'])
    throw new InputError(
      'max-bake',
      `must not be shorter than step-bake (${context['step-bake'] / 1000} s)`,
      '30m',
    );
  return {
    ...metrics,
    'max-bake': maxBake,
  };
}

/** Inputs of one strategy given to the other are refused by name: they would silently do nothing. */
const WEIGHTED_ONLY = [
  'blue-service',
  'green-service',
  'listener-rule-arn',
  'listener-arn',
  'test-listener-rule-arn',
  'test-listener-arn',
  'to-color',
  'force-from-split',
];
const NATIVE_ONLY = [
  'ecs-strategy',
  'ecs-step-percent',
  'bake-time',
  'service-deployment-arn',
  'pause-timeout',
  'wait-for-bake',
];

function readNativeInputs(
  reader: InputReader,
  strategy: Inputs['strategy'],
  phase: Phase,
): Pick<
  Inputs,
  | 'ecs-strategy'
  | 'ecs-step-percent'
  | 'bake-time'
  | 'service-deployment-arn'
  | 'pause-timeout'
  | 'wait-for-bake'
> {
  const foreign = strategy === 'weighted' ? NATIVE_ONLY : WEIGHTED_ONLY;
  for (const name of foreign)
    if (name === 'force-from-split' ? reader.boolean(name) === true : reader.string(name) !== undefined)
      throw new InputError(
        name,
        strategy === 'weighted'
          ? 'only applies to strategy: ecs-native (strategy is weighted)'
          : 'does not apply to strategy: ecs-native: ECS deploys one service and rewrites the rules named in its advancedConfiguration',
        strategy === 'weighted' ? 'strategy: ecs-native' : 'strategy: weighted',
      );
  if (strategy === 'weighted') return { 'pause-timeout': 0, 'wait-for-bake': true };
  if (phase === 'cleanup')
    throw new InputError(
      'phase',
      'cleanup does not apply to strategy: ecs-native: ECS stops the previous revision itself after its bake',
      'phase: all',
    );
  const ecsStrategy = reader.enum('ecs-strategy', NATIVE_STRATEGIES);
  const stepPercent = reader.number('ecs-step-percent', { min: 0.1, max: 100, example: '5' });
  if (stepPercent !== undefined) {
    if (Math.abs(Math.round(stepPercent * 10) - stepPercent * 10) > 1e-9)
      throw new InputError('ecs-step-percent', `must be a multiple of 0.1; got ${stepPercent}`, '5');
    if (ecsStrategy === 'BLUE_GREEN')
      throw new InputError(
        'ecs-step-percent',
        'does not apply to ecs-strategy BLUE_GREEN (all at once)',
        '5',
      );
    if (ecsStrategy === 'LINEAR' && stepPercent < 3)
      throw new InputError('ecs-step-percent', `must be from 3 to 100 for LINEAR; got ${stepPercent}`, '5');
  }
  const bake = reader.duration('bake-time', { max: 24 * HOUR, example: '60m' });
  if (bake !== undefined && bake % 60_000 !== 0)
    throw new InputError('bake-time', 'must be whole minutes (ECS counts its bake in minutes)', '60m');
  return {
    'ecs-strategy': ecsStrategy,
    'ecs-step-percent': stepPercent,
    'bake-time': bake,
    'service-deployment-arn': reader.arn('service-deployment-arn', 'ecs', {
      resourcePrefix: 'service-deployment/',
    }),
    'pause-timeout': reader.duration('pause-timeout', {
      default: 24 * HOUR,
      min: 60_000,
      max: 14 * 24 * HOUR,
    }),
    'wait-for-bake': reader.boolean('wait-for-bake', { default: true }),
  };
}
