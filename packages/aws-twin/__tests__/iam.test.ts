/**
 * IAM in the twin, as a table, through the real SDK clients with credentials from
 * AssumeRoleWithWebIdentity: allow, implicit deny, explicit deny over allow, wildcards, PassRole
 * with and without iam:PassedToService, resource tags, and the trust policy's sub condition.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ECSClient,
  CreateClusterCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import {
  AddTagsCommand,
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
  ModifyRuleCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { GetScheduleCommand, SchedulerClient, UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startTwin, type Twin } from '../src/index.js';
import { policyFromTemplate, type PolicyDocument } from '../src/iam.js';

const ACCOUNT = '123456789012';
// The deploy role's policy as the suite publishes it, for this twin's cluster and load balancer.
const deployPolicy = policyFromTemplate(
  readFileSync(path.resolve(import.meta.dirname, '../../../docs/iam/deploy.json'), 'utf8'),
  { Account: ACCOUNT, Region: 'eu-west-1', Cluster: 'mpac', LoadBalancer: 'svc-portal-alb' },
);
const trust = (sub: string): PolicyDocument => ({
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com` },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
        StringLike: { 'token.actions.githubusercontent.com:sub': sub },
      },
    },
  ],
});

/** A JWT as GitHub's OIDC provider shapes it (the twin reads its claims, it cannot check the signature). */
const token = (sub: string) =>
  [
    '{"alg":"RS256"}',
    JSON.stringify({ sub, aud: 'sts.amazonaws.com', iss: 'https://token.actions.githubusercontent.com' }),
    'sig',
  ]
    .map((part) => Buffer.from(part).toString('base64url'))
    .join('.');

let twin: Twin;
beforeAll(async () => {
  twin = await startTwin({
    blueGreen: [{ name: 'svc-portal', image: 'svc-portal:v1' }],
    scheduledTasks: [{ name: 'portal-report', service: 'svc-portal', schedule: 'cron(0 3 * * ? *)' }],
    iam: {
      roles: {
        deploy: { policy: deployPolicy, trust: trust('repo:mpac/*:ref:refs/heads/main') },
        guarded: {
          policy: {
            Statement: [
              { Effect: 'Allow', Action: 'ecs:*', Resource: '*' },
              {
                Effect: 'Deny',
                Action: 'ecs:UpdateService',
                Resource: `arn:aws:ecs:*:${ACCOUNT}:service/*/svc-portal-green`,
              },
              { Effect: 'Allow', Action: 'elasticloadbalancing:Describe*', Resource: '*' },
              {
                Effect: 'Allow',
                Action: ['elasticloadbalancing:ModifyRule', 'elasticloadbalancing:AddTags'],
                Resource: '*',
                Condition: { StringEquals: { 'aws:ResourceTag/team': 'portal' } },
              },
              {
                Effect: 'Allow',
                Action: 'iam:PassRole',
                Resource: '*',
                Condition: { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } },
              },
            ],
          },
        },
      },
    },
  });
});
afterAll(() => twin.close());

async function as(role: string, sub = 'repo:mpac/svc-portal:ref:refs/heads/main') {
  const sts = new STSClient({
    region: 'eu-west-1',
    endpoint: twin.endpoint,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const assumed = await sts.send(
    new AssumeRoleWithWebIdentityCommand({
      RoleArn: `arn:aws:iam::${ACCOUNT}:role/${role}`,
      RoleSessionName: 'rehearsal',
      WebIdentityToken: token(sub),
    }),
  );
  const credentials = {
    accessKeyId: assumed.Credentials!.AccessKeyId!,
    secretAccessKey: assumed.Credentials!.SecretAccessKey!,
    sessionToken: assumed.Credentials!.SessionToken!,
  };
  const config = { region: 'eu-west-1', endpoint: twin.endpoint, credentials, maxAttempts: 1 };
  return {
    ecs: new ECSClient(config),
    elbv2: new ElasticLoadBalancingV2Client(config),
    scheduler: new SchedulerClient(config),
  };
}

const outcome = (call: Promise<unknown>) =>
  call.then(
    () => 'allowed',
    (error: { name: string; message: string }) => `${error.name}: ${error.message}`,
  );

const taskDefinition = (executionRole: string) =>
  new RegisterTaskDefinitionCommand({
    family: 'svc-portal',
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: '256',
    memory: '512',
    executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/${executionRole}`,
    containerDefinitions: [{ name: 'app', image: 'svc-portal:v1', essential: true }],
  });

describe('IAM policies, evaluated on every call of an assumed role', () => {
  const portal = () => twin.resources['svc-portal']!;
  const session = (role: string) => `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/rehearsal`;

  it('allows what the policy allows: docs/iam/deploy.json may update a service in its cluster', async () => {
    const { ecs } = await as('deploy');
    expect(
      await outcome(
        ecs.send(
          new UpdateServiceCommand({
            cluster: portal().cluster,
            service: 'svc-portal-blue',
            desiredCount: 2,
          }),
        ),
      ),
    ).toBe('allowed');
    // Scoped to its cluster and its load balancer: another cluster's service, another ALB's rule are refused.
    expect(
      await outcome(
        ecs.send(
          new UpdateServiceCommand({ cluster: 'billing', service: 'svc-portal-blue', desiredCount: 2 }),
        ),
      ),
    ).toBe(
      `AccessDeniedException: User: ${session('deploy')} is not authorized to perform: ecs:UpdateService on resource: arn:aws:ecs:eu-west-1:${ACCOUNT}:service/billing/svc-portal-blue because no identity-based policy allows the ecs:UpdateService action`,
    );
    const { elbv2 } = await as('deploy');
    const otherRule = `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}:listener-rule/app/billing-alb/0123456789abcdef/0123456789abcdef/0123456789abcdef`;
    expect(await outcome(elbv2.send(new ModifyRuleCommand({ RuleArn: otherRule, Actions: [] })))).toMatch(
      /^AccessDenied: .*is not authorized to perform: elasticloadbalancing:ModifyRule on resource: arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule\/app\/billing-alb\//,
    );
  });

  it('refuses what no statement allows, in ECS JSON shape with AWS words', async () => {
    const { ecs } = await as('deploy');
    expect(await outcome(ecs.send(new CreateClusterCommand({ clusterName: 'other' })))).toBe(
      `AccessDeniedException: User: ${session('deploy')} is not authorized to perform: ecs:CreateCluster on resource: * because no identity-based policy allows the ecs:CreateCluster action`,
    );
  });

  it('lets an explicit Deny win over an Allow, for the resource it names only', async () => {
    const { ecs } = await as('guarded');
    const update = (service: string) =>
      outcome(ecs.send(new UpdateServiceCommand({ cluster: portal().cluster, service, desiredCount: 2 })));
    expect(await update('svc-portal-green')).toMatch(
      /^AccessDeniedException: User: .* is not authorized to perform: ecs:UpdateService on resource: arn:aws:ecs:eu-west-1:123456789012:service\/mpac\/svc-portal-green with an explicit deny/,
    );
    expect(await update('svc-portal-blue')).toBe('allowed');
  });

  it('matches Action wildcards, and refuses in the query protocol shape', async () => {
    const { elbv2 } = await as('guarded');
    expect(
      await outcome(elbv2.send(new DescribeRulesCommand({ RuleArns: [portal().productionRuleArn] }))),
    ).toBe('allowed');
    expect(
      await outcome(
        elbv2.send(
          new ModifyRuleCommand({
            RuleArn: portal().productionRuleArn,
            Actions: [{ Type: 'forward', TargetGroupArn: portal().blueTargetGroupArn }],
          }),
        ),
      ),
    ).toMatch(
      /^AccessDenied: User: .* is not authorized to perform: elasticloadbalancing:ModifyRule on resource: arn:aws:elasticloadbalancing:.*listener-rule\//,
    );
  });

  it("checks aws:ResourceTag conditions against the resource's tags", async () => {
    const { elbv2 } = await as('guarded');
    const modify = () =>
      outcome(
        elbv2.send(
          new ModifyRuleCommand({
            RuleArn: portal().productionRuleArn,
            Actions: [
              {
                Type: 'forward',
                ForwardConfig: {
                  TargetGroups: [
                    { TargetGroupArn: portal().blueTargetGroupArn, Weight: 100 },
                    { TargetGroupArn: portal().greenTargetGroupArn, Weight: 0 },
                  ],
                },
              },
            ],
          }),
        ),
      );
    expect(await modify()).toMatch(/^AccessDenied/);
    twin.services.elbv2.tags.set(portal().productionRuleArn, new Map([['team', 'portal']]));
    expect(await modify()).toBe('allowed');
    twin.services.elbv2.tags.delete(portal().productionRuleArn);
    expect(
      await outcome(
        elbv2.send(
          new AddTagsCommand({
            ResourceArns: [portal().productionRuleArn],
            Tags: [{ Key: 'team', Value: 'portal' }],
          }),
        ),
      ),
    ).toMatch(/^AccessDenied/);
  });

  it('checks iam:PassRole for the roles a task definition names, with iam:PassedToService', async () => {
    const { ecs } = await as('deploy');
    // docs/iam/deploy.json allows passing exactly the example's execution roles, to ECS tasks only.
    expect(await outcome(ecs.send(taskDefinition('mpac-svc-portal-task-execution')))).toBe('allowed');
    expect(await outcome(ecs.send(taskDefinition('ecs-task-execution')))).toBe(
      `AccessDeniedException: User: ${session('deploy')} is not authorized to perform: iam:PassRole on resource: arn:aws:iam::${ACCOUNT}:role/ecs-task-execution because no identity-based policy allows the iam:PassRole action`,
    );
    const { ecs: guarded } = await as('guarded');
    // Allowed to pass any role, but to Lambda only: ECS tasks are refused.
    expect(await outcome(guarded.send(taskDefinition('mpac-svc-portal-task-execution')))).toMatch(
      /^AccessDeniedException: .*iam:PassRole/,
    );
  });

  it("checks iam:PassRole for a schedule's target role when it is updated, to Scheduler only", async () => {
    const { scheduler } = await as('deploy');
    const schedule = await scheduler.send(new GetScheduleCommand({ Name: 'portal-report' }));
    const update = (roleArn: string) =>
      scheduler.send(
        new UpdateScheduleCommand({
          Name: 'portal-report',
          ScheduleExpression: schedule.ScheduleExpression!,
          FlexibleTimeWindow: schedule.FlexibleTimeWindow!,
          Target: { ...schedule.Target!, RoleArn: roleArn },
        }),
      );
    // docs/iam/deploy.json passes the scheduled tasks' own roles (mpac-*-scheduler) and no other.
    expect(schedule.Target!.RoleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/mpac-svc-portal-scheduler`);
    expect(await outcome(update(schedule.Target!.RoleArn!))).toBe('allowed');
    expect(await outcome(update(`arn:aws:iam::${ACCOUNT}:role/admin`))).toBe(
      `AccessDeniedException: User: ${session('deploy')} is not authorized to perform: iam:PassRole on resource: arn:aws:iam::${ACCOUNT}:role/admin because no identity-based policy allows the iam:PassRole action`,
    );
    const { scheduler: guarded } = await as('guarded');
    expect(await outcome(guarded.send(new GetScheduleCommand({ Name: 'portal-report' })))).toMatch(
      /^AccessDeniedException: .*scheduler:GetSchedule/,
    );
  });

  it("checks the trust policy's sub condition against the OIDC token: another repository or branch is refused", async () => {
    await expect(as('deploy', 'repo:someone/else:ref:refs/heads/main')).rejects.toThrow(
      'Not authorized to perform sts:AssumeRoleWithWebIdentity',
    );
    await expect(as('deploy', 'repo:mpac/svc-portal:ref:refs/heads/feature')).rejects.toThrow(
      'Not authorized to perform sts:AssumeRoleWithWebIdentity',
    );
    await expect(as('nobody')).rejects.toThrow('Not authorized to perform sts:AssumeRoleWithWebIdentity');
    const refused = twin.calls
      .of('sts', 'AssumeRoleWithWebIdentity')
      .filter((call) => call.outcome === 'AccessDenied');
    expect(refused.length).toBeGreaterThanOrEqual(3);
  });
});
