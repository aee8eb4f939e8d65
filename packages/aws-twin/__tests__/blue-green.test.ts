import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTwin, type Twin } from '../src/index.js';

describe('a blue/green scenario', () => {
  let twin: Twin;
  beforeAll(async () => {
    twin = await startTwin({
      seed: 7,
      blueGreen: [{ name: 'svc-portal', image: 'svc-portal:v1', desiredCount: 2 }],
    });
  });
  afterAll(async () => {
    await twin.close();
  });

  it('starts with the live colour serving production traffic', async () => {
    const portal = twin.resources['svc-portal']!;
    const tally = await twin.traffic.send(`${portal.productionUrl}/orders`, 50);
    expect(tally.byStatus).toEqual({ '200': 50 });
    expect(tally.byVersion).toEqual({ v1: 50 });
  });
});
