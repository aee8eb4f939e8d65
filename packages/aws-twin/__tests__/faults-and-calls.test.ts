import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { DescribeServicesCommand, UpdateServiceCommand, ServiceNotFoundException } from '@aws-sdk/client-ecs';
import { DescribeRulesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { startTwin, type Twin } from '../src/index.js';
import { clientsFor } from './clients.js';

describe('faults and the call record', () => {
  let twin: Twin;
  beforeAll(async () => {
    twin = await startTwin({
      seed: 11,
      blueGreen: [{ name: 'svc-portal', image: 'svc-portal:v1', desiredCount: 1 }],
    });
  });
  afterAll(async () => {
    await twin.close();
  });
  afterEach(() => twin.faults.clear());

  it('records every call with its parameters and outcome, and tells reads from changes', async () => {
    twin.calls.clear();
    const { ecs, elbv2 } = clientsFor(twin);
    const portal = twin.resources['svc-portal']!;
    await ecs.send(new DescribeServicesCommand({ cluster: portal.cluster, services: [portal.blueService] }));
    await elbv2.send(new DescribeRulesCommand({ RuleArns: [portal.productionRuleArn] }));
    expect(twin.calls.mutating()).toEqual([]);
    expect(twin.calls.actions()).toEqual(['ecs:DescribeServices', 'elbv2:DescribeRules']);
    expect(twin.calls.of('elbv2', 'DescribeRules')[0]).toMatchObject({
      params: { RuleArns: [portal.productionRuleArn] },
      outcome: 'ok',
      accessKeyId: 'AKIDTWINEXAMPLE',
    });
    await ecs.send(
      new UpdateServiceCommand({ cluster: portal.cluster, service: portal.greenService, desiredCount: 0 }),
    );
    expect(twin.calls.mutating().map((call) => call.operation)).toEqual(['UpdateService']);
  });

  it('fails the next call with a chosen typed error, once', async () => {
    const { ecs } = clientsFor(twin);
    const portal = twin.resources['svc-portal']!;
    twin.faults.add({
      service: 'ecs',
      operation: 'UpdateService',
      fail: { code: 'ServiceNotFoundException', message: 'injected' },
    });
    await expect(
      ecs.send(
        new UpdateServiceCommand({ cluster: portal.cluster, service: portal.greenService, desiredCount: 0 }),
      ),
    ).rejects.toBeInstanceOf(ServiceNotFoundException);
    await expect(
      ecs.send(
        new UpdateServiceCommand({ cluster: portal.cluster, service: portal.greenService, desiredCount: 0 }),
      ),
    ).resolves.toBeDefined();
  });

  it('throttles at a rate: one attempt sees ThrottlingException, retries get through', async () => {
    const portal = twin.resources['svc-portal']!;
    twin.faults.clear();
    twin.faults.add({ service: 'ecs', operation: 'DescribeServices', throttleRate: 1 });
    const once = await clientsFor(twin)
      .ecs.send(new DescribeServicesCommand({ cluster: portal.cluster, services: [portal.blueService] }))
      .catch((error: Error) => error);
    expect((once as Error).name).toBe('ThrottlingException');
    twin.faults.clear();
    twin.faults.add({ service: 'elbv2', throttleRate: 0.5 });
    twin.calls.clear();
    const retrying = clientsFor(twin, { maxAttempts: 10 });
    for (let index = 0; index < 8; index++)
      await retrying.elbv2.send(new DescribeRulesCommand({ RuleArns: [portal.productionRuleArn] }));
    const outcomes = twin.calls.of('elbv2', 'DescribeRules').map((call) => call.outcome);
    expect(outcomes.filter((outcome) => outcome === 'ok')).toHaveLength(8);
    expect(outcomes).toContain('Throttling');
    twin.faults.clear();
  });

  it('answers a chosen share of calls with a 500 internal error', async () => {
    const portal = twin.resources['svc-portal']!;
    twin.faults.add({ service: 'ecs', operation: 'DescribeServices', errorRate: 1 });
    const error = await clientsFor(twin)
      .ecs.send(new DescribeServicesCommand({ cluster: portal.cluster, services: [portal.blueService] }))
      .catch((caught: { name: string; $metadata: { httpStatusCode?: number } }) => caught);
    expect(error).toMatchObject({ name: 'ServerException', $metadata: { httpStatusCode: 500 } });
  });

  it('adds latency to matching calls', async () => {
    const portal = twin.resources['svc-portal']!;
    twin.faults.add({ service: 'elbv2', operation: 'DescribeRules', latencyMs: 150 });
    const started = Date.now();
    await clientsFor(twin).elbv2.send(new DescribeRulesCommand({ RuleArns: [portal.productionRuleArn] }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    twin.faults.clear();
  });

  it('makes an image start failing at a chosen time, running tasks included', async () => {
    const portal = twin.resources['svc-portal']!;
    expect((await twin.traffic.send(portal.productionUrl, 20)).byStatus).toEqual({ '200': 20 });
    // 2 s ahead: room for 20 requests on a loaded machine before the change.
    const changeAt = Date.now() + 2000;
    twin.faults.changeImage('svc-portal:v1', { errorRate: 1 }, 2000);
    expect((await twin.traffic.send(portal.productionUrl, 20)).byStatus).toEqual({ '200': 20 });
    await new Promise((resolve) => setTimeout(resolve, changeAt + 50 - Date.now()));
    expect((await twin.traffic.send(portal.productionUrl, 20)).byStatus).toEqual({ '500': 20 });
  });
});
