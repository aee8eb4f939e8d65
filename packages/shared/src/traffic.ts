import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  type Action,
  type ElasticLoadBalancingV2Client,
  type Tag,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ActionError, InputError } from './errors.js';

export type Color = 'blue' | 'green';

/** Where production traffic is split: a listener rule, or a listener's default action. */
export type ProductionTarget = { kind: 'rule'; arn: string } | { kind: 'listener'; arn: string };

export interface ColorGroups {
  blue: string;
  green: string;
}

export interface TrafficState {
  /** The forward action and any other actions, as read. */
  actions: Action[];
  weights: Record<Color, number>;
  /** The colour with the larger weight (blue on a tie). */
  live: Color;
  idle: Color;
  stickinessSeconds?: number;
}

export function otherColor(color: Color): Color {
  return color === 'blue' ? 'green' : 'blue';
}

/**
 * Reads the production split and checks it is a shape the suite can move safely: one forward
 * action over exactly the two colour groups, nothing else mixed in, stickiness no longer than the bake.
 */
export function analyseTraffic(
  actions: Action[],
  groups: ColorGroups,
  maxStickinessSeconds?: number,
): TrafficState {
  const others = actions.filter((action) => action.Type !== 'forward');
  if (others.length > 0) {
    throw new ActionError(
      `The production rule mixes ${others.map((action) => action.Type).join(', ')} with its forward action; the suite only shifts weights on a rule whose actions are one forward. Move the other actions to their own rule.`,
    );
  }
  const forward = actions[0];
  if (actions.length !== 1 || !forward)
    throw new ActionError(
      `The production rule has ${actions.length} actions; expected exactly one forward action`,
    );
  const entries = forward.ForwardConfig?.TargetGroups?.length
    ? forward.ForwardConfig.TargetGroups.map((group) => ({
        arn: group.TargetGroupArn!,
        weight: group.Weight ?? 1,
      }))
    : [{ arn: forward.TargetGroupArn!, weight: 1 }];
  if (entries.length > 2) {
    throw new ActionError(
      `The production rule forwards to ${entries.length} target groups; blue/green needs exactly the two colour groups (${groups.blue}, ${groups.green})`,
    );
  }
  const foreign = entries.filter((entry) => entry.arn !== groups.blue && entry.arn !== groups.green);
  if (foreign.length > 0) {
    throw new ActionError(
      `The production rule forwards to ${foreign.map((entry) => entry.arn).join(', ')}, which is neither the blue group (${groups.blue}) nor the green group (${groups.green}) of the services`,
    );
  }
  const weights: Record<Color, number> = {
    blue: entries.find((entry) => entry.arn === groups.blue)?.weight ?? 0,
    green: entries.find((entry) => entry.arn === groups.green)?.weight ?? 0,
  };
  if (weights.blue + weights.green === 0)
    throw new ActionError(
      'The production rule sends no traffic anywhere (both weights are 0); fix it by hand first',
    );
  const stickiness = forward.ForwardConfig?.TargetGroupStickinessConfig;
  const stickinessSeconds = stickiness?.Enabled ? (stickiness.DurationSeconds ?? 0) : undefined;
  if (
    stickinessSeconds !== undefined &&
    maxStickinessSeconds !== undefined &&
    stickinessSeconds > maxStickinessSeconds
  ) {
    throw new ActionError(
      `Target-group stickiness on the production rule lasts ${stickinessSeconds}s, longer than the step bake (${maxStickinessSeconds}s): clients would stay on their colour and the gates would not see the new one. Shorten the stickiness or lengthen step-bake.`,
    );
  }
  const live: Color = weights.green > weights.blue ? 'green' : 'blue';
  return { actions, weights, live, idle: otherColor(live), stickinessSeconds };
}

/** The forward action with `percentOnColor` on `color` and the rest on the other colour. */
export function forwardWithWeights(
  state: TrafficState,
  groups: ColorGroups,
  color: Color,
  percentOnColor: number,
): Action[] {
  const weights: Record<Color, number> = { blue: 0, green: 0 };
  weights[color] = percentOnColor;
  weights[otherColor(color)] = 100 - percentOnColor;
  const forward = state.actions[0]!;
  return [
    {
      Type: 'forward',
      ...(forward.Order !== undefined ? { Order: forward.Order } : {}),
      ForwardConfig: {
        TargetGroups: [
          { TargetGroupArn: groups.blue, Weight: weights.blue },
          { TargetGroupArn: groups.green, Weight: weights.green },
        ],
        ...(forward.ForwardConfig?.TargetGroupStickinessConfig
          ? { TargetGroupStickinessConfig: forward.ForwardConfig.TargetGroupStickinessConfig }
          : {}),
      },
    },
  ];
}

/** The production rule or listener ELB does not have: the input's mistake, said in its words. */
export function unknownTargetError(arn: string): InputError {
  const rule = arn.includes(':listener-rule/');
  const input = rule ? 'listener-rule-arn' : 'listener-arn';
  return new InputError(
    input,
    `names ${arn}, a ${rule ? 'listener rule' : 'listener'} the load balancers of this account and region do not have; check the ARN and aws-region`,
    rule
      ? 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/portal/0f1e/9a8b/7c6d'
      : 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/portal/0f1e/9a8b',
  );
}

const NOT_FOUND = new Set(['RuleNotFoundException', 'ListenerNotFoundException']);

/** An ELB read of the production rule or listener, with "not found" said as the input's mistake. */
async function readTarget<T>(arn: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw error instanceof Error && NOT_FOUND.has(error.name) ? unknownTargetError(arn) : error;
  }
}

/** The tags of the production rule or listener (the lock and the recorded outcome live there). */
export async function describeTags(elbv2: ElasticLoadBalancingV2Client, arn: string): Promise<Tag[]> {
  const response = await readTarget(arn, () => elbv2.send(new DescribeTagsCommand({ ResourceArns: [arn] })));
  return response.TagDescriptions?.[0]?.Tags ?? [];
}

/** Reads the production actions as AWS has them now. */
export async function readProductionActions(
  elbv2: ElasticLoadBalancingV2Client,
  target: ProductionTarget,
): Promise<Action[]> {
  if (target.kind === 'rule') {
    const rule = (
      await readTarget(target.arn, () => elbv2.send(new DescribeRulesCommand({ RuleArns: [target.arn] })))
    ).Rules?.[0];
    if (!rule) throw unknownTargetError(target.arn);
    return rule.Actions ?? [];
  }
  const listener = (
    await readTarget(target.arn, () =>
      elbv2.send(new DescribeListenersCommand({ ListenerArns: [target.arn] })),
    )
  ).Listeners?.[0];
  if (!listener) throw unknownTargetError(target.arn);
  return listener.DefaultActions ?? [];
}
