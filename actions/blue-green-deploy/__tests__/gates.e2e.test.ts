/**
 * Issue 11's deploy scenarios on the scaled faithful twin (1-second periods published 3 seconds
 * late), with the default gate inputs apart from that scaling.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Twin } from '../../../packages/aws-twin/src/index.js';
import type { ImageBehaviour } from '../../../packages/aws-twin/src/scenario.js';
import { setUpTwin } from './twin-setup.js';

let twin: Twin | undefined;
afterEach(async () => {
  await twin?.close();
  twin = undefined;
});

async function setUp(
  liveImage: ImageBehaviour = { version: 'v1' },
  moreImages: Record<string, ImageBehaviour> = {},
  scenario: Parameters<typeof setUpTwin>[2] = {},
) {
  const setup = await setUpTwin({}, { 'svc-portal:v1': liveImage, ...moreImages }, scenario);
  twin = setup.twin;
  return setup;
}

/** The defaults, apart from the period/delay scaling the twin-setup gives. */
const defaults = { 'no-data': '' };

describe('deploy gates on CloudWatch as AWS publishes it (scaled)', () => {
  it('promotes a healthy release: late metrics are waited for, not taken for no data', async () => {
    const { twin, portal, weights, run } = await setUp();
    const traffic = twin.traffic.start({
      url: `${portal.productionUrl}/orders`,
      // 5 requests a second reach the new colour at 5 %: a 3 s bake never judges an empty period.
      requestsPerSecond: 100,
      maxDurationMs: 60_000,
    });
    const result = await run({ ...defaults, image: 'svc-portal:v2', 'step-bake': '3s' });
    await traffic.stop();
    expect(result.main.exitCode).toBe(0);
    expect(result.outputs.outcome).toBe('promoted');
    expect(await weights()).toEqual([0, 100]);
    // Each step judged published periods with requests on the new colour.
    expect(result.summary).toMatch(
      /<td>5 %<\/td><td>[^<]+<\/td><td>[1-9]\d*<\/td><td>[1-9]\d* \/ [1-9]\d*<\/td>/,
    );
    expect(result.summary).toContain('✅ passed');
  }, 90_000);

  it('does not promote a 100 %-5xx release that no request reached: watched up to max-bake, then inconclusive, and red', async () => {
    const { weights, run, tags } = await setUp();
    // no-data: wait (the default) watches a step without evidence longer, up to max-bake.
    const result = await run({ ...defaults, image: 'svc-portal:bad', 'max-bake': '4s' });
    expect(result.main.exitCode).toBe(1);
    expect(result.outputs).toMatchObject({ outcome: 'inconclusive', 'live-color': 'blue' });
    expect(result.annotations[0]?.message).toMatch(
      /^Gate inconclusive at 5 %: no evidence: no request reached green in \d+ complete periods?; all traffic is back on blue$/,
    );
    expect(result.summary).toContain('⚪ inconclusive');
    expect(await weights()).toEqual([100, 0]);
    expect((await tags())['mpac:outcome']).toBe('inconclusive');
  }, 60_000);

  it('catches a 3 % release against a 0.2 % baseline at 5 %, below the 5 % guardrail', async () => {
    const { twin, portal, weights, run } = await setUp(
      { version: 'v1', errorEvery: 500 },
      { 'svc-portal:three-percent': { version: 'v2', errorEvery: 33 } },
    );
    const traffic = twin.traffic.start({
      url: `${portal.productionUrl}/orders`,
      requestsPerSecond: 150,
      maxDurationMs: 60_000,
    });
    const result = await run({ ...defaults, image: 'svc-portal:three-percent', 'step-bake': '40s' });
    await traffic.stop();
    expect(result.main.exitCode).toBe(1);
    expect(result.outputs.outcome).toBe('rolled-back');
    expect(result.annotations[0]?.message).toMatch(
      /^Gate failed at 5 %: error rate rose against blue: green [23]\.\d\d % vs blue 0\.\d\d %, \+[1-3]\.\d\d pp, p = .*all traffic is back on blue$/,
    );
    expect(result.summary).not.toMatch(/<td>50 %<\/td>/);
    expect(await weights()).toEqual([100, 0]);
  }, 120_000);

  it('catches a latency regression against the old colour under the 500 ms limit', async () => {
    const { twin, portal, weights, run } = await setUp(
      { version: 'v1' },
      { 'svc-portal:slow': { version: 'v2', latencyMs: 300 } },
    );
    const traffic = twin.traffic.start({
      url: `${portal.productionUrl}/orders`,
      requestsPerSecond: 80,
      maxDurationMs: 60_000,
    });
    const result = await run({ ...defaults, image: 'svc-portal:slow', 'step-bake': '3s' });
    await traffic.stop();
    expect(result.main.exitCode).toBe(1);
    expect(result.annotations[0]?.message).toMatch(
      /p95 latency rose against blue: 3\d\d ms vs \d+ ms, \+\d+ ms > 100 ms/,
    );
    expect(await weights()).toEqual([100, 0]);
  }, 60_000);

  it('follows every page when AWS answers one item at a time: metrics, alarms, services', async () => {
    const { twin, portal, weights, run } = await setUp(
      { version: 'v1' },
      {},
      {
        pageSize: 1,
        alarms: [
          { name: 'portal-latency', metricName: 'TargetResponseTime', threshold: 10 },
          { name: 'portal-5xx', metricName: 'HTTPCode_Target_5XX_Count', threshold: 100_000 },
        ],
      },
    );
    const traffic = twin.traffic.start({
      url: `${portal.productionUrl}/orders`,
      requestsPerSecond: 100,
      maxDurationMs: 60_000,
    });
    const result = await run({
      ...defaults,
      image: 'svc-portal:bad',
      'step-bake': '3s',
      alarms: 'portal-latency, portal-5xx',
    });
    await traffic.stop();
    expect(result.outputs.outcome).toBe('rolled-back');
    expect(result.annotations[0]?.message).toMatch(
      /^Gate failed at 5 %: error rate 100\.00 % > 5 % \(\d+ of \d+ requests\)/,
    );
    const pages = twin.calls
      .of('cloudwatch', 'GetMetricData')
      .filter((call) => call.params.NextToken !== undefined);
    expect(pages.length).toBeGreaterThan(0);
    expect(
      twin.calls.of('cloudwatch', 'DescribeAlarms').some((call) => call.params.NextToken !== undefined),
    ).toBe(true);
    expect(await weights()).toEqual([100, 0]);
  }, 60_000);
});
