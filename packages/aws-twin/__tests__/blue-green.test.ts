import { describe, expect, it } from '@jest/globals';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeRulesCommand, DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { startTwin } from '../src/index.js';
import { clientsFor } from './clients.js';

describe('a blue/green scenario', () => {
  it('is ready in under a second, serves the live colour, exposes the idle one on the test listener, and closes cleanly', async () => {
    const handlesBefore = process.getActiveResourcesInfo().filter((kind) => kind !== 'TTYWrap').length;
    const started = Date.now();
    const twin = await startTwin({
      blueGreen: [
        { name: 'svc-portal', image: 'svc-portal:v1', idleImage: 'svc-portal:v2', desiredCount: 2 },
      ],
    });
    const readyMs = Date.now() - started;
    try {
      expect(readyMs).toBeLessThan(5000); // the benchmark reports the real figure; this only bounds the test
      const portal = twin.resources['svc-portal']!;
      const { ecs, elbv2 } = clientsFor(twin);

      const services = await ecs.send(
        new DescribeServicesCommand({
          cluster: portal.cluster,
          services: [portal.blueService, portal.greenService],
        }),
      );
      expect(
        services.services!.map((service) => [
          service.serviceName,
          service.runningCount,
          service.deployments![0]!.rolloutState,
        ]),
      ).toEqual([
        ['svc-portal-blue', 2, 'COMPLETED'],
        ['svc-portal-green', 2, 'COMPLETED'],
      ]);
      const health = await elbv2.send(
        new DescribeTargetHealthCommand({ TargetGroupArn: portal.blueTargetGroupArn }),
      );
      expect(health.TargetHealthDescriptions!.map((target) => target.TargetHealth?.State)).toEqual([
        'healthy',
        'healthy',
      ]);
      const rule = (await elbv2.send(new DescribeRulesCommand({ RuleArns: [portal.productionRuleArn] })))
        .Rules![0]!;
      expect(rule.Actions![0]!.ForwardConfig!.TargetGroups).toEqual([
        { TargetGroupArn: portal.blueTargetGroupArn, Weight: 100 },
        { TargetGroupArn: portal.greenTargetGroupArn, Weight: 0 },
      ]);

      const production = await twin.traffic.send(`${portal.productionUrl}/orders`, 40);
      expect(production.byVersion).toEqual({ v1: 40 });
      const test = await twin.traffic.send(`${portal.testUrl}/orders`, 40);
      expect(test.byVersion).toEqual({ v2: 40 });
    } finally {
      await twin.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(process.getActiveResourcesInfo().filter((kind) => kind !== 'TTYWrap').length).toBeLessThanOrEqual(
      handlesBefore,
    );
  });
});
