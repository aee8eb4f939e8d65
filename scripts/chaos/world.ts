/**
 * What every chaos scenario starts from: the AWS twin with a blue/green svc-portal, a workspace
 * holding its task definition, and the bundled actions run as a runner runs them.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTwin, type TrafficRun, type Twin } from '../../packages/aws-twin/src/index.js';
import type { BlueGreenSpec, ImageBehaviour, Scenario } from '../../packages/aws-twin/src/scenario.js';
import {
  runBundledAction,
  type BundledActionResult,
  type RunBundledActionOptions,
} from '../../packages/shared/testing/run-bundled-action.js';
import { PORTAL_TASK_DEFINITION } from '../../packages/shared/testing/task-definition.js';

export const ROOT = process.cwd();

export interface World {
  twin: Twin;
  workspace: string;
  /** A bundled action run in the workspace against the twin; `runId` makes it a distinct run. */
  action(
    name: string,
    inputs: Record<string, string>,
    options?: Omit<RunBundledActionOptions, 'inputs'> & { runId?: number; accessKey?: string },
  ): Promise<BundledActionResult>;
  /** blue-green-deploy with the world's defaults under `inputs`. */
  deploy(
    inputs: Record<string, string>,
    options?: Omit<RunBundledActionOptions, 'inputs'> & { runId?: number; accessKey?: string },
  ): Promise<BundledActionResult>;
  /** Customers of svc-portal's production URL (`/orders`) at a steady rate, bounded in time. */
  customers(requestsPerSecond: number, maxDurationMs: number): TrafficRun;
  /** The production weights as the twin has them: { blue, green }. */
  weights(): { blue: number; green: number };
  /** Lock entries on the production rule that are still held. */
  heldLocks(): string[];
  close(): Promise<void>;
}

let nextRunId = 20_000;

export async function startWorld(
  options: {
    images?: Record<string, ImageBehaviour>;
    spec?: Partial<BlueGreenSpec>;
    scenario?: Scenario;
  } = {},
): Promise<World> {
  const twin = await startTwin({
    ...options.scenario,
    images: { 'svc-portal:v1': { version: 'v1' }, ...options.images },
    // Faithful CloudWatch, scaled: 1-second periods published one second late.
    metrics: { periodSeconds: 1, publicationDelaySeconds: 1 },
    blueGreen: [{ name: 'svc-portal', image: 'svc-portal:v1', desiredCount: 2, ...options.spec }],
  });
  const portal = twin.resources['svc-portal']!;
  const workspace = mkdtempSync(path.join(tmpdir(), 'mpac-chaos-'));
  mkdirSync(path.join(workspace, 'deploy'));
  writeFileSync(path.join(workspace, 'deploy/task-definition.json'), JSON.stringify(PORTAL_TASK_DEFINITION));
  const action: World['action'] = (name, inputs, extra = {}) => {
    const runId = extra.runId ?? nextRunId++;
    return runBundledAction(path.join(ROOT, 'actions', name), {
      ...extra,
      inputs,
      env: {
        ...twin.env,
        ...(extra.accessKey ? { AWS_ACCESS_KEY_ID: extra.accessKey } : {}),
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        GITHUB_RUN_ID: String(runId),
        GITHUB_RUN_ATTEMPT: '1',
        GITHUB_REPOSITORY: 'mpac/svc-portal',
        ...extra.env,
      },
      cwd: workspace,
      timeoutMs: extra.timeoutMs ?? 120_000,
    });
  };
  return {
    twin,
    workspace,
    action,
    deploy: (inputs, extra) =>
      action(
        'blue-green-deploy',
        {
          cluster: portal.cluster,
          service: 'svc-portal',
          'listener-rule-arn': portal.productionRuleArn,
          'task-definition': 'deploy/task-definition.json',
          'container-name': 'app',
          'step-bake': '1s',
          'metric-period': '1s',
          'metric-delay': '1s',
          'wait-timeout': '60s',
          'lock-ttl': '1m',
          ...inputs,
        },
        extra,
      ),
    customers: (requestsPerSecond, maxDurationMs) =>
      twin.traffic.start({ url: `${portal.productionUrl}/orders`, requestsPerSecond, maxDurationMs }),
    weights() {
      const rule = twin.services.elbv2.rules.get(portal.productionRuleArn)!;
      const groups = (
        rule.actions.find((entry) => entry.Type === 'forward') as unknown as {
          ForwardConfig: { TargetGroups: { TargetGroupArn: string; Weight: number }[] };
        }
      ).ForwardConfig.TargetGroups;
      const weight = (arn: string) => groups.find((group) => group.TargetGroupArn === arn)?.Weight ?? 0;
      return { blue: weight(portal.blueTargetGroupArn), green: weight(portal.greenTargetGroupArn) };
    },
    heldLocks() {
      const tags = twin.services.elbv2.tags.get(portal.productionRuleArn) ?? new Map<string, string>();
      const now = Date.now();
      return [...tags]
        .filter(([key, value]) => key.startsWith('mpac:lock:') && / held$/.test(value))
        .filter(([, value]) => Date.parse(value.split(' ')[1] ?? '') > now)
        .map(([, value]) => value);
    },
    async close() {
      await twin.close();
      rmSync(workspace, { recursive: true, force: true });
    },
  };
}

/**
 * Requests of a tally that got no answer at all, with why (the client's error codes), or '' when
 * every request was answered: "2 customer requests got no answer (ECONNRESET 1, timeout 1)".
 */
export function unanswered(
  tally: { failed: number; errors: Record<string, number> },
  who = 'customer requests',
): string {
  if (tally.failed === 0) return '';
  const why = Object.entries(tally.errors)
    .map(([code, count]) => `${code} ${count}`)
    .join(', ');
  return `${tally.failed} ${who} got no answer (${why})`;
}

/** 5xx answers in a tally. */
export function errorsOf(tally: { byStatus: Record<string, number> }): number {
  return Object.entries(tally.byStatus)
    .filter(([status]) => Number(status) >= 500)
    .reduce((sum, [, count]) => sum + count, 0);
}

export function settled(weights: { blue: number; green: number }): 'blue' | 'green' | undefined {
  if (weights.blue === 100 && weights.green === 0) return 'blue';
  if (weights.green === 100 && weights.blue === 0) return 'green';
  return undefined;
}
