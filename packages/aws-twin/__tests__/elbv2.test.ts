import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  AddTagsCommand,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ListenerNotFoundException,
  ModifyListenerCommand,
  ModifyRuleCommand,
  PriorityInUseException,
  RegisterTargetsCommand,
  RemoveTagsCommand,
  RuleNotFoundException,
  TargetGroupNotFoundException,
  TooManyTargetGroupsException,
  DuplicateTargetGroupNameException,
  LoadBalancerNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { startTwin, type Twin } from '../src/index.js';
import { clientsFor } from './clients.js';

describe('ELBv2 through the real SDK client', () => {
  let twin: Twin;
  let elbv2: ReturnType<typeof clientsFor>['elbv2'];
  let lbArn: string;
  let groups: string[];
  let listenerArn: string;

  const forward = (weights: number[], stickiness?: { Enabled: boolean; DurationSeconds?: number }) => [
    {
      Type: 'forward' as const,
      ForwardConfig: {
        TargetGroups: weights.map((Weight, index) => ({ TargetGroupArn: groups[index]!, Weight })),
        ...(stickiness ? { TargetGroupStickinessConfig: stickiness } : {}),
      },
    },
  ];

  beforeAll(async () => {
    twin = await startTwin({ seed: 3 });
    ({ elbv2 } = clientsFor(twin));
    lbArn = (
      await elbv2.send(new CreateLoadBalancerCommand({ Name: 'web', Subnets: ['subnet-1', 'subnet-2'] }))
    ).LoadBalancers![0]!.LoadBalancerArn!;
    groups = [];
    for (const name of ['tg-a', 'tg-b', 'tg-c', 'tg-d', 'tg-e', 'tg-f']) {
      const created = await elbv2.send(
        new CreateTargetGroupCommand({
          Name: name,
          Protocol: 'HTTP',
          Port: 8080,
          VpcId: 'vpc-1',
          TargetType: 'ip',
          HealthCheckPath: '/health',
          HealthyThresholdCount: 2,
        }),
      );
      groups.push(created.TargetGroups![0]!.TargetGroupArn!);
    }
    listenerArn = (
      await elbv2.send(
        new CreateListenerCommand({
          LoadBalancerArn: lbArn,
          Port: 80,
          Protocol: 'HTTP',
          DefaultActions: forward([100, 0]),
        }),
      )
    ).Listeners![0]!.ListenerArn!;
  });
  afterAll(async () => {
    await twin.close();
  });

  it('forms ARNs as AWS does and describes load balancers, target groups and listeners', async () => {
    expect(lbArn).toMatch(
      /^arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer\/app\/web\/[0-9a-f]{16}$/,
    );
    expect(groups[0]).toMatch(
      /^arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup\/tg-a\/[0-9a-f]{16}$/,
    );
    expect(listenerArn).toMatch(/:listener\/app\/web\/[0-9a-f]{16}\/[0-9a-f]{16}$/);
    const lbs = await elbv2.send(new DescribeLoadBalancersCommand({ Names: ['web'] }));
    expect(lbs.LoadBalancers?.[0]).toMatchObject({
      LoadBalancerName: 'web',
      Type: 'application',
      State: { Code: 'active' },
    });
    expect(lbs.LoadBalancers?.[0]?.CreatedTime).toBeInstanceOf(Date);
    const described = await elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [groups[0]!] }));
    expect(described.TargetGroups?.[0]).toMatchObject({
      TargetGroupName: 'tg-a',
      Port: 8080,
      HealthCheckPath: '/health',
      HealthyThresholdCount: 2,
      LoadBalancerArns: [lbArn],
    });
    const listeners = await elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: lbArn }));
    expect(listeners.Listeners?.[0]?.DefaultActions?.[0]?.ForwardConfig?.TargetGroups).toEqual([
      { TargetGroupArn: groups[0], Weight: 100 },
      { TargetGroupArn: groups[1], Weight: 0 },
    ]);
  });

  it('raises typed not-found exceptions', async () => {
    const ghostGroup = groups[0]!.replace(/tg-a\/[0-9a-f]+$/, 'ghost/0123456789abcdef');
    await expect(
      elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [ghostGroup] })),
    ).rejects.toBeInstanceOf(TargetGroupNotFoundException);
    await expect(
      elbv2.send(new DescribeListenersCommand({ ListenerArns: [`${listenerArn}0`] })),
    ).rejects.toBeInstanceOf(ListenerNotFoundException);
    await expect(
      elbv2.send(
        new DescribeRulesCommand({
          RuleArns: [listenerArn.replace(':listener/', ':listener-rule/') + '/0123456789abcdef'],
        }),
      ),
    ).rejects.toBeInstanceOf(RuleNotFoundException);
    await expect(
      elbv2.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [`${lbArn}0`] })),
    ).rejects.toBeInstanceOf(LoadBalancerNotFoundException);
    await expect(
      elbv2.send(new CreateTargetGroupCommand({ Name: 'tg-a', Protocol: 'HTTP', Port: 80, VpcId: 'vpc-1' })),
    ).rejects.toBeInstanceOf(DuplicateTargetGroupNameException);
  });

  it('creates, describes and modifies rules; DescribeRules includes the default rule; ModifyRule replaces all actions', async () => {
    const created = await elbv2.send(
      new CreateRuleCommand({
        ListenerArn: listenerArn,
        Priority: 10,
        Conditions: [{ Field: 'path-pattern', Values: ['/api/*'] }],
        Actions: forward([95, 5]),
      }),
    );
    const ruleArn = created.Rules![0]!.RuleArn!;
    await expect(
      elbv2.send(
        new CreateRuleCommand({
          ListenerArn: listenerArn,
          Priority: 10,
          Conditions: [{ Field: 'path-pattern', Values: ['/x'] }],
          Actions: forward([1]),
        }),
      ),
    ).rejects.toBeInstanceOf(PriorityInUseException);

    await elbv2.send(new ModifyRuleCommand({ RuleArn: ruleArn, Actions: forward([50, 50]) }));
    const rules = (await elbv2.send(new DescribeRulesCommand({ ListenerArn: listenerArn }))).Rules!;
    expect(rules.map((rule) => [rule.Priority, rule.IsDefault])).toEqual([
      ['10', false],
      ['default', true],
    ]);
    expect(rules[0]?.Conditions?.[0]?.PathPatternConfig?.Values).toEqual(['/api/*']);
    expect(rules[0]?.Actions?.[0]?.ForwardConfig?.TargetGroups?.map((group) => group.Weight)).toEqual([
      50, 50,
    ]);
    expect(rules[0]?.Actions?.[0]?.ForwardConfig?.TargetGroupStickinessConfig).toEqual({ Enabled: false });

    await elbv2.send(
      new ModifyListenerCommand({ ListenerArn: listenerArn, DefaultActions: forward([0, 100]) }),
    );
    const defaultRule = (await elbv2.send(new DescribeRulesCommand({ RuleArns: [rules[1]!.RuleArn!] })))
      .Rules![0]!;
    expect(defaultRule.Actions?.[0]?.ForwardConfig?.TargetGroups?.map((group) => group.Weight)).toEqual([
      0, 100,
    ]);
  });

  it('validates forward actions as AWS does: weights 0-999, at most 5 groups, stickiness duration', async () => {
    const rule = (await elbv2.send(new DescribeRulesCommand({ ListenerArn: listenerArn }))).Rules![0]!
      .RuleArn!;
    const before = twin.calls.of('elbv2', 'ModifyRule').length;
    await expect(
      elbv2.send(new ModifyRuleCommand({ RuleArn: rule, Actions: forward([1000, 0]) })),
    ).rejects.toThrow(/between 0 and 999; got 1000/);
    await expect(
      elbv2.send(new ModifyRuleCommand({ RuleArn: rule, Actions: forward([1, 1, 1, 1, 1, 1]) })),
    ).rejects.toBeInstanceOf(TooManyTargetGroupsException);
    await expect(
      elbv2.send(new ModifyRuleCommand({ RuleArn: rule, Actions: forward([1, 1], { Enabled: true }) })),
    ).rejects.toThrow(/Stickiness duration/);
    const error = await elbv2
      .send(new ModifyRuleCommand({ RuleArn: rule, Actions: forward([-1, 1]) }))
      .catch((e: { name: string }) => e);
    expect((error as { name: string }).name).toBe('ValidationError');
    expect(
      twin.calls
        .of('elbv2', 'ModifyRule')
        .slice(before)
        .map((call) => call.outcome),
    ).toEqual(['ValidationError', 'TooManyTargetGroups', 'ValidationError', 'ValidationError']);
    // nothing changed
    const rules = (await elbv2.send(new DescribeRulesCommand({ RuleArns: [rule] }))).Rules!;
    expect(rules[0]?.Actions?.[0]?.ForwardConfig?.TargetGroups?.map((group) => group.Weight)).toEqual([
      50, 50,
    ]);
  });

  it('registers, describes and deregisters targets with health as the twin checks it', async () => {
    await elbv2.send(
      new RegisterTargetsCommand({ TargetGroupArn: groups[2]!, Targets: [{ Id: '127.0.0.1', Port: 1 }] }),
    );
    let health = (await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: groups[2]! })))
      .TargetHealthDescriptions!;
    expect(health[0]?.TargetHealth).toEqual({
      State: 'unused',
      Reason: 'Target.NotInUse',
      Description: expect.any(String),
    });
    await elbv2.send(
      new ModifyListenerCommand({ ListenerArn: listenerArn, DefaultActions: forward([0, 0, 1]) }),
    );
    await twin.waitFor(
      () =>
        twin.services.elbv2.targetGroups.get(groups[2]!)?.targets.get('127.0.0.1:1')?.state === 'unhealthy',
      5000,
      'unhealthy target',
    );
    health = (await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: groups[2]! })))
      .TargetHealthDescriptions!;
    expect(health[0]).toMatchObject({
      Target: { Id: '127.0.0.1', Port: 1 },
      TargetHealth: { State: 'unhealthy', Reason: 'Target.FailedHealthChecks' },
    });
    await elbv2.send(
      new DeregisterTargetsCommand({ TargetGroupArn: groups[2]!, Targets: [{ Id: '127.0.0.1', Port: 1 }] }),
    );
    health = (await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: groups[2]! })))
      .TargetHealthDescriptions!;
    expect(health[0]?.TargetHealth?.State).toBe('draining');
  });

  it('adds, describes and removes tags on rules and listeners', async () => {
    const rule = (await elbv2.send(new DescribeRulesCommand({ ListenerArn: listenerArn }))).Rules![0]!
      .RuleArn!;
    await elbv2.send(
      new AddTagsCommand({
        ResourceArns: [rule, listenerArn],
        Tags: [
          { Key: 'mpac:lock', Value: 'run-1;2026-11-22T12:00:00Z' },
          { Key: 'owner', Value: 'x' },
        ],
      }),
    );
    await elbv2.send(new RemoveTagsCommand({ ResourceArns: [rule], TagKeys: ['owner'] }));
    const described = await elbv2.send(new DescribeTagsCommand({ ResourceArns: [rule, listenerArn] }));
    expect(described.TagDescriptions).toEqual([
      { ResourceArn: rule, Tags: [{ Key: 'mpac:lock', Value: 'run-1;2026-11-22T12:00:00Z' }] },
      {
        ResourceArn: listenerArn,
        Tags: [
          { Key: 'mpac:lock', Value: 'run-1;2026-11-22T12:00:00Z' },
          { Key: 'owner', Value: 'x' },
        ],
      },
    ]);
    await expect(
      elbv2.send(new AddTagsCommand({ ResourceArns: [`${rule}0`], Tags: [{ Key: 'a', Value: 'b' }] })),
    ).rejects.toBeInstanceOf(RuleNotFoundException);
  });
});
