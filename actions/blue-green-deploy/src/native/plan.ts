/**
 * `strategy: ecs-native`, the plan: the deployment configuration the suite gives ECS (its strategy
 * as it is, PAUSE hooks where the suite judges, each failing closed by its own timeout) and the
 * production weights it judges at. Pure: no AWS, no clock.
 */
import type { DeploymentConfiguration, DeploymentLifecycleHook } from '@aws-sdk/client-ecs';
import { InputError } from '../../../../packages/shared/src/errors.js';
import { NATIVE_STRATEGIES, type NativeStrategy } from '../../../../packages/shared/src/native/strategies.js';

export interface NativeSettings {
  /** ECS's strategy to use; undefined keeps the service's own. */
  ecsStrategy?: NativeStrategy;
  /** LINEAR's stepPercent or CANARY's canaryPercent; undefined keeps the service's (or ECS's default). */
  stepPercent?: number;
  /** ECS's bakeTimeInMinutes after 100 %, in ms (whole minutes); undefined keeps the service's. */
  bakeMs?: number;
  /**
   * The production weights to judge at (traffic-steps); 100 is judged at the post-production pause.
   * Undefined: ECS's first partial step (the canary, the first linear step) and 100.
   */
  trafficSteps?: number[];
  /** The longest the suite spends judging one step (bake, late data, no-data waits). */
  judgeWindowMs: number;
  /** How long the post-test pause may wait for the next job (phase prepare), or for smoke tests. */
  testPauseMs: number;
  /**
   * CloudWatch alarms ECS itself watches through the shift and the bake, rolling back on ALARM
   * (also when no runner is left); undefined or empty keeps the service's own.
   */
  alarms?: string[];
}

export interface NativePlan {
  strategy: NativeStrategy;
  /** What UpdateService sends with the new task definition. */
  deploymentConfiguration: DeploymentConfiguration;
  /** Green's production weights at which the suite holds and judges, in order (100 last). */
  judgedWeights: number[];
  /** Each step ECS will take (for the summary and the docs' caveats). */
  productionSteps: number[];
  notes: string[];
}

const MINUTE = 60_000;
/** Past the window the suite means to spend at a pause, before ECS rolls back on its own. */
export const HOOK_MARGIN_MS = 2 * MINUTE;

/** Whole minutes for a pause that the suite expects to spend `windowMs` at: the window, a margin, rounded up. */
export function hookTimeoutMinutes(windowMs: number): number {
  return Math.min(20_160, Math.max(1, Math.ceil((windowMs + HOOK_MARGIN_MS) / MINUTE)));
}

/** The production weights ECS moves through under a configuration (ECS_NATIVE.md §3.2). */
export function nativeSteps(strategy: NativeStrategy, percent: number | undefined): number[] {
  if (strategy === 'BLUE_GREEN') return [100];
  if (strategy === 'CANARY') {
    const canary = percent ?? 5;
    return canary >= 100 ? [100] : [canary, 100];
  }
  const step = Math.round((percent ?? 10) * 10);
  const steps: number[] = [];
  for (let tenths = step; tenths < 1000; tenths += step) steps.push(tenths / 10);
  return [...steps, 100];
}

export function planNative(
  current: DeploymentConfiguration | undefined,
  settings: NativeSettings,
): NativePlan {
  const strategy = (settings.ecsStrategy ?? current?.strategy) as NativeStrategy | undefined;
  if (!strategy || !NATIVE_STRATEGIES.includes(strategy))
    throw new InputError(
      'ecs-strategy',
      `is needed: the service's deployment strategy is ${current?.strategy ?? 'ROLLING'}, and strategy ecs-native needs BLUE_GREEN, LINEAR or CANARY`,
      'LINEAR',
    );
  const percent =
    settings.stepPercent ??
    (strategy === 'LINEAR'
      ? current?.linearConfiguration?.stepPercent
      : strategy === 'CANARY'
        ? current?.canaryConfiguration?.canaryPercent
        : undefined);
  const productionSteps = nativeSteps(strategy, percent);
  const judgedWeights = (settings.trafficSteps ?? productionSteps.slice(0, 1)).filter(
    (weight) => weight < 100,
  );
  const missing = judgedWeights.filter(
    (weight) => !productionSteps.some((step) => Math.abs(step - weight) < 1e-9),
  );
  if (missing.length > 0)
    throw new InputError(
      'traffic-steps',
      `holds at ${missing.join(', ')} %, which ECS's ${strategy} never stops at (its steps: ${productionSteps.join(', ')}); under ecs-native each step must be one ECS takes`,
      strategy === 'LINEAR'
        ? `${productionSteps[0]},50,100`
        : strategy === 'CANARY'
          ? `${productionSteps[0]},100`
          : '100',
    );
  const bakeMinutes =
    settings.bakeMs === undefined ? (current?.bakeTimeInMinutes ?? 0) : Math.round(settings.bakeMs / MINUTE);
  const judge = hookTimeoutMinutes(settings.judgeWindowMs);
  const hooks: DeploymentLifecycleHook[] = [
    pause('POST_TEST_TRAFFIC_SHIFT', hookTimeoutMinutes(settings.testPauseMs)),
    pause('PRE_PRODUCTION_TRAFFIC_SHIFT', judge),
    pause('POST_PRODUCTION_TRAFFIC_SHIFT', judge),
  ];
  const deploymentConfiguration: DeploymentConfiguration = {
    strategy,
    bakeTimeInMinutes: bakeMinutes,
    lifecycleHooks: hooks,
    // ECS's own hold at a partial step is replaced by the suite's judged hold at the next pause.
    ...(strategy === 'LINEAR'
      ? { linearConfiguration: { stepPercent: percent ?? 10, stepBakeTimeInMinutes: 0 } }
      : {}),
    ...(strategy === 'CANARY'
      ? { canaryConfiguration: { canaryPercent: percent ?? 5, canaryBakeTimeInMinutes: 0 } }
      : {}),
    ...(settings.alarms?.length
      ? { alarms: { alarmNames: settings.alarms, enable: true, rollback: true } }
      : {}),
  };
  const notes: string[] = [];
  const dropped = (current?.lifecycleHooks ?? []).length;
  if (dropped > 0)
    notes.push(
      `The service's ${dropped} lifecycle hook(s) are replaced by the suite's three PAUSE hooks for this deployment`,
    );
  if (strategy === 'LINEAR' && judgedWeights.length < productionSteps.length - 1)
    notes.push(
      `ECS's LINEAR moves through ${productionSteps.join(', ')} %; the suite judges at ${[...judgedWeights, 100].join(', ')} % and continues the other steps at once`,
    );
  return {
    strategy,
    deploymentConfiguration,
    judgedWeights: [...judgedWeights, 100],
    productionSteps,
    notes,
  };
}

function pause(
  stage: DeploymentLifecycleHook['lifecycleStages'] extends (infer S)[] | undefined ? S : never,
  minutes: number,
): DeploymentLifecycleHook {
  return {
    targetType: 'PAUSE',
    lifecycleStages: [stage],
    timeoutConfiguration: { timeoutInMinutes: minutes, action: 'ROLLBACK' },
  };
}
