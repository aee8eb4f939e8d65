/**
 * The demo checks its own stories: an ending that did not happen fails it, naming the story and
 * the service; a good release costs customers nothing; a failed request is put down to where it
 * came from.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TrafficTally } from '../../aws-twin/src/traffic.js';
import {
  DEMO_STORIES,
  exitCodeOf,
  judgeStory,
  tellStory,
  type DemoStory,
  type ServiceEnding,
  type StoryVerdict,
} from '../src/demo.js';
import { startPlatform, type Platform } from '../src/platform.js';

const tally = (failedBy: Partial<TrafficTally['failedBy']> = {}): TrafficTally => ({
  sent: 100,
  completed: 100,
  failed: failedBy['no answer'] ?? 0,
  byStatus: {},
  byVersion: {},
  errors: {},
  failedBy: { application: 0, 'load balancer': 0, 'no answer': 0, ...failedBy },
});

const portalBad = DEMO_STORIES.find((story) => story.id === '3')!;
const ending = (overrides: Partial<ServiceEnding>): ServiceEnding => ({
  service: 'svc-portal',
  expected: 'rolled-back-by-gate',
  outcome: 'rolled-back-by-gate',
  live: 'previous',
  liveRelease: 'abc1234',
  customers: tally({ application: 40 }),
  ...overrides,
});
const told = [
  '↩️ svc-portal rolled back in staging by a traffic gate: customers are on the previous release',
];

describe('judging a story', () => {
  it('accepts the ending it promised: the broken release failed some customers, counted and shown', () => {
    expect(judgeStory(portalBad, [ending({})], told)).toEqual([]);
    expect(
      judgeStory(portalBad, [ending({ customers: tally({ application: 40, 'load balancer': 3 }) })], told),
    ).toEqual([]);
  });

  it.each([
    [
      { outcome: 'promoted', live: 'new' as const },
      /svc-portal: expected rolled-back-by-gate, ended promoted/,
    ],
    [
      { live: 'new' as const, liveRelease: 'def5678' },
      /customers should be on the previous release, are on def5678/,
    ],
    [
      // A service the story does not break (promoted beside the broken one) may fail no request.
      {
        service: 'frontend',
        expected: 'promoted' as const,
        outcome: 'promoted',
        live: 'new' as const,
        customers: tally({ 'load balancer': 3 }),
      },
      /frontend: 3 customer requests failed \(0 by the application, 3 by the load balancer, 0 with no answer\)/,
    ],
  ])('names what did not happen: %j', (overrides, problem) => {
    expect(judgeStory(portalBad, [ending(overrides)], told).join('; ')).toMatch(problem);
  });

  it('wants the scheduled tasks and the DR standby on the release customers are on', () => {
    expect(
      judgeStory(portalBad, [ending({ scheduled: { matcher: 'live' }, standby: 'live' })], told),
    ).toEqual([]);
    expect(
      judgeStory(
        portalBad,
        [
          ending({
            scheduled: { matcher: 'registry/svc-portal:tree-new' },
            standby: 'registry/svc-portal@sha256:1',
          }),
        ],
        told,
      ),
    ).toEqual([
      'svc-portal: its scheduled task matcher ran registry/svc-portal:tree-new, not the release customers are on',
      "svc-portal: production's standby runs registry/svc-portal@sha256:1, not the release customers are on",
    ]);
  });

  it('wants the message the team should get', () => {
    expect(judgeStory(portalBad, [ending({})], [])).toEqual([
      'svc-portal: no message saying "svc-portal rolled back in staging by a traffic gate"',
    ]);
  });

  it('fails a good release that cost any customer request, wherever it failed', () => {
    const good = DEMO_STORIES[0]!;
    const problems = judgeStory(
      good,
      [
        ending({
          expected: 'promoted',
          outcome: 'promoted',
          live: 'new',
          customers: tally({ 'no answer': 2 }),
        }),
      ],
      ['✅ svc-portal promoted to staging'],
    );
    expect(problems).toEqual([
      'svc-portal: 2 customer requests failed (0 by the application, 0 by the load balancer, 2 with no answer)',
    ]);
  });

  it('exits 0 only when every story was told and ended as told', () => {
    const verdict = (status: StoryVerdict['status']): StoryVerdict => ({
      story: portalBad,
      status,
      problems: [],
      services: [],
    });
    expect(exitCodeOf([verdict('ended as told'), verdict('ended as told')])).toBe(0);
    expect(exitCodeOf([verdict('ended as told'), verdict('did not end as told')])).toBe(1);
    expect(exitCodeOf([verdict('not seen')])).toBe(1);
    expect(exitCodeOf([])).toBe(1);
  });
});

describe('a story told on the twin', () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform({ services: ['svc-portal'], requestsPerSecond: 40 });
  }, 60_000);
  afterAll(async () => {
    await platform?.close();
  });

  it('ends as told, a good release costing customers nothing; the same story with its ending edited does not', async () => {
    const good = DEMO_STORIES[0]!;
    const verdict = await tellStory(platform, good);
    expect(verdict.problems).toEqual([]);
    expect(verdict.status).toBe('ended as told');
    expect(verdict.services[0]!.outcome).toBe('promoted');
    expect(verdict.services[0]!.customers.sent).toBeGreaterThan(0);

    const edited: DemoStory = {
      ...good,
      commit: 'release 2b: another good release',
      ending: { outcomes: { 'svc-portal': 'rolled-back-by-gate' } },
    };
    const wrong = await tellStory(platform, edited);
    expect(wrong.status).toBe('did not end as told');
    expect(wrong.problems).toEqual(
      expect.arrayContaining([
        'svc-portal: expected rolled-back-by-gate, ended promoted',
        'svc-portal: no message saying "svc-portal rolled back in staging by a traffic gate"',
      ]),
    );
    expect(exitCodeOf([verdict, wrong])).toBe(1);
  }, 240_000);
});
