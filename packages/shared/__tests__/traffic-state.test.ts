import { describe, expect, it } from '@jest/globals';
import type { Action } from '@aws-sdk/client-elastic-load-balancing-v2';
import { analyseTraffic, forwardWithWeights } from '../src/traffic.js';

const groups = {
  blue: 'arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/blue/1',
  green: 'arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/green/2',
};
const forward = (blue: number, green: number, stickiness?: number): Action[] => [
  {
    Type: 'forward',
    ForwardConfig: {
      TargetGroups: [
        { TargetGroupArn: groups.blue, Weight: blue },
        { TargetGroupArn: groups.green, Weight: green },
      ],
      TargetGroupStickinessConfig: stickiness
        ? { Enabled: true, DurationSeconds: stickiness }
        : { Enabled: false },
    },
  },
];

describe('analyseTraffic', () => {
  it('finds the live colour by the larger weight', () => {
    expect(analyseTraffic(forward(100, 0), groups)).toMatchObject({
      live: 'blue',
      idle: 'green',
      weights: { blue: 100, green: 0 },
    });
    expect(analyseTraffic(forward(5, 95), groups)).toMatchObject({ live: 'green', idle: 'blue' });
  });
  it('accepts a plain single-group forward as 100 % on that colour', () => {
    expect(analyseTraffic([{ Type: 'forward', TargetGroupArn: groups.green }], groups)).toMatchObject({
      live: 'green',
      weights: { blue: 0, green: 1 },
    });
  });
  it('refuses non-forward actions mixed in, naming them', () => {
    expect(() =>
      analyseTraffic([{ Type: 'authenticate-oidc', Order: 1 }, ...forward(100, 0)], groups),
    ).toThrow(/mixes authenticate-oidc with its forward action/);
  });
  it('refuses more than two groups, and groups that belong to neither colour', () => {
    const three: Action[] = [
      {
        Type: 'forward',
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: groups.blue, Weight: 1 },
            { TargetGroupArn: groups.green, Weight: 1 },
            { TargetGroupArn: 'x', Weight: 1 },
          ],
        },
      },
    ];
    expect(() => analyseTraffic(three, groups)).toThrow(/forwards to 3 target groups/);
    expect(() => analyseTraffic([{ Type: 'forward', TargetGroupArn: 'arn:other' }], groups)).toThrow(
      /arn:other, which is neither the blue group/,
    );
  });
  it('refuses stickiness that outlasts the bake', () => {
    expect(() => analyseTraffic(forward(100, 0, 3600), groups, 300)).toThrow(
      /stickiness on the production rule lasts 3600s, longer than the step bake \(300s\)/,
    );
    expect(analyseTraffic(forward(100, 0, 60), groups, 300).stickinessSeconds).toBe(60);
  });
  it('refuses a rule that sends traffic nowhere', () => {
    expect(() => analyseTraffic(forward(0, 0), groups)).toThrow(/both weights are 0/);
  });
});

describe('weights', () => {
  it('puts the step on the new colour and the rest on the other, keeping stickiness', () => {
    const state = analyseTraffic(forward(100, 0, 60), groups);
    const actions = forwardWithWeights(state, groups, 'green', 5);
    expect(actions[0]!.ForwardConfig!.TargetGroups).toEqual([
      { TargetGroupArn: groups.blue, Weight: 95 },
      { TargetGroupArn: groups.green, Weight: 5 },
    ]);
    expect(actions[0]!.ForwardConfig!.TargetGroupStickinessConfig).toEqual({
      Enabled: true,
      DurationSeconds: 60,
    });
  });
});
