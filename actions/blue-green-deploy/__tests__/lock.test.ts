import { describe, expect, it } from '@jest/globals';
import {
  AddTagsCommand,
  DescribeTagsCommand,
  ElasticLoadBalancingV2Client,
  RemoveTagsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { fakeClock } from '../../../packages/shared/testing/fake-clock.js';
import { acquireLock, formatLock, LOCK_TAG, lockHolder, parseLock, releaseLock } from '../src/lock.js';

const RULE = 'arn:aws:elasticloadbalancing:eu-west-1:1:listener-rule/app/web/1/2/3';

/** A mocked ELB whose tags live in a map, so writes are seen by later reads. */
function taggedElb(initial?: string) {
  const tags = new Map<string, string>(initial ? [[LOCK_TAG, initial]] : []);
  const mock = mockClient(ElasticLoadBalancingV2Client);
  mock.on(DescribeTagsCommand).callsFake(() => ({
    TagDescriptions: [{ ResourceArn: RULE, Tags: [...tags].map(([Key, Value]) => ({ Key, Value })) }],
  }));
  mock.on(AddTagsCommand).callsFake((input: { Tags: { Key: string; Value: string }[] }) => {
    for (const tag of input.Tags) tags.set(tag.Key, tag.Value);
    return {};
  });
  mock.on(RemoveTagsCommand).callsFake((input: { TagKeys: string[] }) => {
    for (const key of input.TagKeys) tags.delete(key);
    return {};
  });
  return { mock, tags, client: new ElasticLoadBalancingV2Client({ region: 'eu-west-1' }) };
}

describe('the deploy lock', () => {
  it('round-trips through a tag value ELB accepts', () => {
    const lock = { holder: 'run-42-1@mpac/svc-portal', expiresAt: Date.parse('2026-11-22T12:00:00Z') };
    expect(formatLock(lock)).toBe('run-42-1@mpac/svc-portal 2026-11-22T12:00:00.000Z');
    expect(formatLock(lock)).toMatch(/^[\w .:/=+@-]+$/);
    expect(parseLock(formatLock(lock))).toEqual(lock);
    expect(parseLock('garbage')).toBeUndefined();
    expect(
      lockHolder({ GITHUB_RUN_ID: '42', GITHUB_RUN_ATTEMPT: '2', GITHUB_REPOSITORY: 'mpac/svc-portal' }),
    ).toBe('run-42-2@mpac/svc-portal');
  });

  it('takes a free lock with an expiry of now + ttl', async () => {
    const clock = fakeClock();
    const { mock, tags, client } = taggedElb();
    await acquireLock(client, RULE, {
      holder: 'me',
      ttlMs: 7_200_000,
      waitMs: 0,
      clock,
      log: () => undefined,
    });
    expect(parseLock(tags.get(LOCK_TAG))).toEqual({ holder: 'me', expiresAt: clock.now() + 7_200_000 });
    mock.restore();
  });

  it('fails fast naming the holder when another run holds it', async () => {
    const clock = fakeClock();
    const { mock, client } = taggedElb(
      formatLock({ holder: 'run-7-1@mpac/svc-portal', expiresAt: clock.now() + 60_000 }),
    );
    await expect(
      acquireLock(client, RULE, { holder: 'me', ttlMs: 1000, waitMs: 0, clock, log: () => undefined }),
    ).rejects.toThrow(/Another deploy holds the lock on .*: run-7-1@mpac\/svc-portal, until/);
    expect(mock.commandCalls(AddTagsCommand)).toHaveLength(0);
    mock.restore();
  });

  it('waits up to lock-wait for the holder, then takes the lock once it expires', async () => {
    const clock = fakeClock();
    const { mock, tags, client } = taggedElb(
      formatLock({ holder: 'other', expiresAt: clock.now() + 12_000 }),
    );
    const lines: string[] = [];
    await acquireLock(client, RULE, {
      holder: 'me',
      ttlMs: 1000,
      waitMs: 60_000,
      clock,
      log: (line) => lines.push(line),
    });
    expect(parseLock(tags.get(LOCK_TAG))?.holder).toBe('me');
    expect(clock.sleeps).toEqual([5000, 5000, 5000]);
    expect(lines.at(-1)).toBe('Taking over an expired deploy lock held by other');
    mock.restore();
  });

  it('releases only its own lock', async () => {
    const { mock, tags, client } = taggedElb(formatLock({ holder: 'other', expiresAt: Date.now() + 60_000 }));
    expect(await releaseLock(client, RULE, 'me')).toBe(false);
    expect(tags.has(LOCK_TAG)).toBe(true);
    expect(await releaseLock(client, RULE, 'other')).toBe(true);
    expect(tags.has(LOCK_TAG)).toBe(false);
    mock.restore();
  });
});
