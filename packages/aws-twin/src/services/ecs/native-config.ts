/**
 * Native blue/green, linear and canary (ECS_NATIVE.md §2, §3): the deployment configuration as ECS
 * validates it on CreateService and UpdateService, and the stages a deployment goes through under
 * it. Pure: no state, no clock.
 */
import { AwsError } from '../../errors.js';

export type Json = Record<string, unknown>;

export type Strategy = 'ROLLING' | 'BLUE_GREEN' | 'LINEAR' | 'CANARY';

export const HOOK_STAGES = [
  'RECONCILE_SERVICE',
  'PRE_SCALE_UP',
  'POST_SCALE_UP',
  'TEST_TRAFFIC_SHIFT',
  'POST_TEST_TRAFFIC_SHIFT',
  'PRE_PRODUCTION_TRAFFIC_SHIFT',
  'PRODUCTION_TRAFFIC_SHIFT',
  'POST_PRODUCTION_TRAFFIC_SHIFT',
] as const;

/** PAUSE hooks cannot hold the two stages where traffic moves (the model's own text). */
const NOT_PAUSABLE = ['TEST_TRAFFIC_SHIFT', 'PRODUCTION_TRAFFIC_SHIFT'];
const MAX_HOOKS_PER_TYPE = 10;
const MAX_BAKE_MINUTES = 1440;

export interface PauseHook {
  lifecycleStages: string[];
  timeoutInMinutes: number;
  action: 'ROLLBACK' | 'CONTINUE';
}

/** One step of a deployment: a stage, the production weight it moves to, how long it holds after. */
export interface Phase {
  /** The stage as hooks name it (PRE_PRODUCTION_TRAFFIC_SHIFT included) or SCALE_UP/BAKE_TIME/CLEAN_UP. */
  stage: string;
  /** The stage DescribeServiceDeployments reports (its enum has no PRE_PRODUCTION_TRAFFIC_SHIFT). */
  reported: string;
  /** Green's share of production traffic this step shifts to (PRODUCTION_TRAFFIC_SHIFT). */
  weight?: number;
  /** Minutes (of the twin's clock) the phase holds once its work is done: a step's or the final bake. */
  holdMinutes?: number;
}

const invalid = (message: string) => new AwsError('InvalidParameterException', message);

const isTenth = (value: number) => Math.abs(Math.round(value * 10) - value * 10) < 1e-9;

function minutes(value: unknown, field: string, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0 || number > MAX_BAKE_MINUTES)
    throw invalid(
      `${field} must be an integer from 0 to ${MAX_BAKE_MINUTES} minutes; it was ${String(value)}.`,
    );
  return number;
}

/**
 * The service's deployment configuration after `given` is applied to `current`, as ECS stores it:
 * defaults filled in (linear 10 % every 6 minutes, canary 5 % for 10 minutes, hook timeouts 1440
 * minutes with ROLLBACK). Throws InvalidParameterException naming the field for what ECS refuses.
 * AWS_LAMBDA hooks, and hooks on a ROLLING service, are refused as not modelled by the twin: it
 * would otherwise accept them and never run them.
 */
export function resolveDeploymentConfiguration(current: Json, given: Json | undefined): Json {
  const merged: Json = { ...current, ...(given ?? {}) };
  const strategy = String(merged.strategy ?? 'ROLLING') as Strategy;
  merged.strategy = strategy;
  if (strategy !== 'LINEAR') delete merged.linearConfiguration;
  if (strategy !== 'CANARY') delete merged.canaryConfiguration;
  for (const [field, own] of [
    ['linearConfiguration', 'LINEAR'],
    ['canaryConfiguration', 'CANARY'],
  ] as const) {
    if (given?.[field] !== undefined && strategy !== own)
      throw invalid(
        `${field} is only valid when the deployment strategy is ${own}; the strategy is ${strategy}.`,
      );
  }
  if (strategy === 'BLUE_GREEN') {
    if (merged.bakeTimeInMinutes === undefined || merged.bakeTimeInMinutes === null)
      throw invalid('bakeTimeInMinutes is required when the deployment strategy is BLUE_GREEN (0 to 1440).');
    merged.bakeTimeInMinutes = minutes(merged.bakeTimeInMinutes, 'bakeTimeInMinutes', 0);
  } else if (strategy !== 'ROLLING') {
    merged.bakeTimeInMinutes = minutes(merged.bakeTimeInMinutes, 'bakeTimeInMinutes', 0);
  }
  if (strategy === 'LINEAR') {
    const linear = (merged.linearConfiguration ?? {}) as Json;
    const stepPercent = Number(linear.stepPercent ?? 10);
    if (!(stepPercent >= 3 && stepPercent <= 100) || !isTenth(stepPercent))
      throw invalid(
        `linearConfiguration.stepPercent must be a multiple of 0.1 from 3.0 to 100.0; it was ${String(linear.stepPercent)}.`,
      );
    merged.linearConfiguration = {
      stepPercent,
      stepBakeTimeInMinutes: minutes(
        linear.stepBakeTimeInMinutes,
        'linearConfiguration.stepBakeTimeInMinutes',
        6,
      ),
    };
  }
  if (strategy === 'CANARY') {
    const canary = (merged.canaryConfiguration ?? {}) as Json;
    const canaryPercent = Number(canary.canaryPercent ?? 5);
    if (!(canaryPercent >= 0.1 && canaryPercent <= 100) || !isTenth(canaryPercent))
      throw invalid(
        `canaryConfiguration.canaryPercent must be a multiple of 0.1 from 0.1 to 100.0; it was ${String(canary.canaryPercent)}.`,
      );
    merged.canaryConfiguration = {
      canaryPercent,
      canaryBakeTimeInMinutes: minutes(
        canary.canaryBakeTimeInMinutes,
        'canaryConfiguration.canaryBakeTimeInMinutes',
        10,
      ),
    };
  }
  const hooks = (merged.lifecycleHooks as Json[] | undefined) ?? [];
  merged.lifecycleHooks = hooks.map((hook, index) => resolveHook(hook, index));
  const pauses = hooks.filter((hook) => hook.targetType === 'PAUSE').length;
  if (pauses > MAX_HOOKS_PER_TYPE)
    throw invalid(`lifecycleHooks may hold at most ${MAX_HOOKS_PER_TYPE} PAUSE hooks; there were ${pauses}.`);
  if (hooks.length > 0 && strategy === 'ROLLING')
    throw new AwsError(
      'UnsupportedFeatureException',
      'lifecycleHooks on a ROLLING deployment are not modelled by the twin (only BLUE_GREEN, LINEAR and CANARY).',
    );
  const alarms = merged.alarms as Json | undefined;
  if (alarms && !Array.isArray(alarms.alarmNames))
    throw invalid('alarms.alarmNames is required: the CloudWatch alarms the deployment watches.');
  return merged;
}

function resolveHook(hook: Json, index: number): Json {
  const at = `lifecycleHooks[${index}]`;
  const targetType = String(hook.targetType ?? 'AWS_LAMBDA');
  const stages = (hook.lifecycleStages as string[] | undefined) ?? [];
  if (stages.length === 0) throw invalid(`${at}.lifecycleStages must name at least one stage.`);
  if (targetType === 'AWS_LAMBDA') {
    if (!hook.hookTargetArn || !hook.roleArn)
      throw invalid(
        `${at}: an AWS_LAMBDA hook needs hookTargetArn (the function) and roleArn (the role ECS invokes it with).`,
      );
    throw new AwsError(
      'UnsupportedFeatureException',
      `${at}: AWS_LAMBDA hooks are not modelled by the twin; use targetType PAUSE with ContinueServiceDeployment.`,
    );
  }
  const blocked = stages.filter((stage) => NOT_PAUSABLE.includes(stage));
  if (blocked.length > 0)
    throw invalid(
      `${at}: PAUSE hooks cannot be configured at ${blocked.join(' or ')}; those stages are only valid for AWS_LAMBDA hooks.`,
    );
  const timeout = (hook.timeoutConfiguration ?? {}) as Json;
  const timeoutInMinutes = Number(timeout.timeoutInMinutes ?? 1440);
  if (!Number.isInteger(timeoutInMinutes) || timeoutInMinutes < 1 || timeoutInMinutes > 20160)
    throw invalid(
      `${at}.timeoutConfiguration.timeoutInMinutes must be an integer from 1 to 20160; it was ${String(timeout.timeoutInMinutes)}.`,
    );
  return {
    ...hook,
    targetType,
    lifecycleStages: stages,
    timeoutConfiguration: { timeoutInMinutes, action: String(timeout.action ?? 'ROLLBACK') },
  };
}

/** The PAUSE hooks of a configuration, by stage. */
export function pauseHooksAt(config: Json, stage: string): PauseHook[] {
  return ((config.lifecycleHooks as Json[] | undefined) ?? [])
    .filter((hook) => hook.targetType === 'PAUSE' && (hook.lifecycleStages as string[]).includes(stage))
    .map((hook) => {
      const timeout = hook.timeoutConfiguration as {
        timeoutInMinutes: number;
        action: 'ROLLBACK' | 'CONTINUE';
      };
      return { lifecycleStages: hook.lifecycleStages as string[], ...timeout };
    });
}

/** Green's production share after each traffic step: 100 at once, a canary then 100, or linear steps. */
export function productionSteps(config: Json): { weight: number; holdMinutes: number }[] {
  if (config.strategy === 'CANARY') {
    const { canaryPercent, canaryBakeTimeInMinutes } = config.canaryConfiguration as {
      canaryPercent: number;
      canaryBakeTimeInMinutes: number;
    };
    return canaryPercent >= 100
      ? [{ weight: 100, holdMinutes: 0 }]
      : [
          { weight: canaryPercent, holdMinutes: canaryBakeTimeInMinutes },
          { weight: 100, holdMinutes: 0 },
        ];
  }
  if (config.strategy === 'LINEAR') {
    const { stepPercent, stepBakeTimeInMinutes } = config.linearConfiguration as {
      stepPercent: number;
      stepBakeTimeInMinutes: number;
    };
    const steps: { weight: number; holdMinutes: number }[] = [];
    for (let tenths = Math.round(stepPercent * 10); tenths < 1000; tenths += Math.round(stepPercent * 10))
      steps.push({ weight: tenths / 10, holdMinutes: stepBakeTimeInMinutes });
    steps.push({ weight: 100, holdMinutes: 0 });
    return steps;
  }
  return [{ weight: 100, holdMinutes: 0 }];
}

/**
 * The phases of a deployment in the order of ECS_NATIVE.md §3.2. RECONCILE_SERVICE only when more
 * than one revision was active at the start; a PRE_PRODUCTION_TRAFFIC_SHIFT before every step
 * (reported as PRODUCTION_TRAFFIC_SHIFT); no step bake after 100 %.
 */
export function planPhases(config: Json, reconcile: boolean): Phase[] {
  const phases: Phase[] = [];
  const plain = (stage: string, holdMinutes?: number): Phase => ({ stage, reported: stage, holdMinutes });
  if (reconcile) phases.push(plain('RECONCILE_SERVICE'));
  phases.push(
    plain('PRE_SCALE_UP'),
    plain('SCALE_UP'),
    plain('POST_SCALE_UP'),
    plain('TEST_TRAFFIC_SHIFT'),
    plain('POST_TEST_TRAFFIC_SHIFT'),
  );
  for (const step of productionSteps(config)) {
    phases.push({
      stage: 'PRE_PRODUCTION_TRAFFIC_SHIFT',
      reported: 'PRODUCTION_TRAFFIC_SHIFT',
      weight: step.weight,
    });
    phases.push({
      stage: 'PRODUCTION_TRAFFIC_SHIFT',
      reported: 'PRODUCTION_TRAFFIC_SHIFT',
      weight: step.weight,
      holdMinutes: step.holdMinutes,
    });
  }
  phases.push(
    plain('POST_PRODUCTION_TRAFFIC_SHIFT'),
    plain('BAKE_TIME', Number(config.bakeTimeInMinutes ?? 0)),
    plain('CLEAN_UP'),
  );
  return phases;
}
