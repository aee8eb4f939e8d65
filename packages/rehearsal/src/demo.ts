/**
 * The demo's stories, each with the ending it promises, and the judge of whether it ended so: per
 * service the outcome, the release customers are on, the message the team gets, and what
 * customers saw. A good release costs no failed customer request; a failed request is put down to
 * where it came from (the release's application, the load balancer, no answer). Before a story is
 * told, the world must be healthy: when this machine cannot keep the twin's own traffic answered,
 * the story is not told, and the demo says so instead of telling a story it did not see.
 */
import { sendRequests, failuresOf, type TrafficTally } from '../../aws-twin/src/traffic.js';
import type { Json } from './expressions.js';
import type { Platform, PlatformRun, Story } from './platform.js';
import { findJob } from './report.js';

export type Outcome =
  | 'promoted'
  | 'rolled-back-by-gate'
  | 'rolled-back-by-monitor'
  | 'rolled-back-by-workflow'
  /** rollback.yml's outcome: the on-call's rollback moved customers back. */
  | 'rolled-back';

/** How a story must end, per service it names (services not named must be promoted). */
export interface Ending {
  outcomes: Record<string, Outcome>;
}

export interface DemoStory {
  id: string;
  title: string;
  /** A new commit (a release) before the story, with this message. */
  commit?: string;
  environment: 'staging' | 'production';
  /**
   * Before a production story: push the release to develop first, as a team must (production
   * deploys only what passed staging); every service must be promoted there.
   */
  stagingFirst?: boolean;
  /** Before a production story: merge develop into main with a commit that changes no file. */
  merge?: string;
  request: {
    workflow?: string;
    event?: 'push' | 'workflow_dispatch';
    story?: Story;
    storyServices?: string[];
    inputs?: Record<string, Json>;
  };
  ending: Ending;
}

export const DEMO_STORIES: DemoStory[] = [
  {
    id: '1',
    title: 'A good release, pushed to develop: staging',
    commit: 'release 2: a good release',
    environment: 'staging',
    request: {},
    ending: { outcomes: {} },
  },
  {
    id: '2',
    title:
      'Merged into main with a merge commit: production (the same image, reused, not rebuilt); mpac-pgw’s nightly matcher and the DR standby follow it',
    environment: 'production',
    merge: 'Merge develop into main',
    request: {},
    ending: { outcomes: {} },
  },
  {
    id: '3',
    title: 'svc-portal answers every order with 500 (its /health and /version are fine), on develop',
    commit: 'release 3: svc-portal answers 500 on /orders',
    environment: 'staging',
    request: { story: 'bad-image', storyServices: ['svc-portal'] },
    ending: { outcomes: { 'svc-portal': 'rolled-back-by-gate' } },
  },
  {
    id: '4',
    title: 'svc-smarttab fails customers once it has all the traffic on production (it passed staging)',
    commit: 'release 4: svc-smarttab breaks under full load',
    environment: 'production',
    stagingFirst: true,
    merge: 'Merge develop into main',
    request: { story: 'breaks-after-cutover', storyServices: ['svc-smarttab'] },
    ending: { outcomes: { 'svc-smarttab': 'rolled-back-by-monitor' } },
  },
  {
    id: '5',
    title:
      'mpac-pgw’s health check fails on production right after the cutover (it passed staging): its matcher goes back with it',
    commit: 'release 5: mpac-pgw health check fails on production',
    environment: 'production',
    stagingFirst: true,
    merge: 'Merge develop into main',
    request: { story: 'fails-production-smoke', storyServices: ['mpac-pgw'] },
    ending: { outcomes: { 'mpac-pgw': 'rolled-back-by-workflow' } },
  },
  {
    id: '6',
    title:
      'On call: roll the frontend back by hand (workflow_dispatch of rollback.yml); the DR standby follows',
    environment: 'production',
    request: {
      workflow: 'rollback.yml',
      event: 'workflow_dispatch',
      inputs: {
        environment: 'production',
        service: 'frontend',
        target: 'previous',
        reason: 'a layout bug on T-1001 screens',
      },
    },
    ending: { outcomes: { frontend: 'rolled-back' } },
  },
];

/** What the team is told for each outcome (notify's headline), to find in the Slack messages. */
export const HEADLINES: Record<Outcome, (service: string, environment: string) => string> = {
  promoted: (service, environment) => `✅ ${service} promoted to ${environment}`,
  'rolled-back-by-gate': (service, environment) =>
    `${service} rolled back in ${environment} by a traffic gate`,
  'rolled-back-by-monitor': (service, environment) =>
    `${service} rolled back in ${environment} by the monitor`,
  'rolled-back-by-workflow': (service, environment) =>
    `${service} rolled back in ${environment} by the workflow`,
  'rolled-back': (service, environment) => `${service} rolled back in ${environment} by hand`,
};

/** One service at the end of a story, as seen. */
export interface ServiceEnding {
  service: string;
  expected: Outcome | 'not deployed';
  outcome: string;
  /** The release customers are on: the story's commit (`new`) or an earlier one (`previous`). */
  live: 'new' | 'previous';
  liveRelease: string;
  customers: TrafficTally;
  /**
   * Releases the service's scheduled tasks (mpac-pgw's matcher) ran when started now, by name:
   * `live` when the release customers are on, else the release it ran.
   */
  scheduled?: Record<string, string>;
  /** Production stories: what production's DR standby runs, `live` when the release customers are on. */
  standby?: string;
}

export interface StoryVerdict {
  story: DemoStory;
  /** `told`: it ran and was judged; `not seen`: the world was not healthy before it, so it was not told. */
  status: 'ended as told' | 'did not end as told' | 'not seen';
  problems: string[];
  services: ServiceEnding[];
  run?: PlatformRun;
}

/**
 * The outcome a service should end with: a rollback story names its one service (the others are
 * untouched, `not deployed`); a release story names the services it breaks, the rest are promoted.
 */
function expectedOf(story: DemoStory, service: string): Outcome | 'not deployed' {
  const named = story.ending.outcomes[service];
  if (named) return named;
  return story.request.workflow === 'rollback.yml' ? 'not deployed' : 'promoted';
}

/** Judges an ended story: outcomes, live releases, messages, customers. Pure: returns the problems. */
export function judgeStory(story: DemoStory, services: ServiceEnding[], notifications: string[]): string[] {
  const problems: string[] = [];
  for (const ending of services) {
    const { service, expected, outcome, live, customers } = ending;
    if (outcome !== expected) problems.push(`${service}: expected ${expected}, ended ${outcome}`);
    // A promoted release is live; a rolled-back one is not; an untouched service keeps its release.
    const shouldBeLive = expected === 'promoted' ? 'new' : 'previous';
    if (expected !== 'not deployed' && live !== shouldBeLive)
      problems.push(
        `${service}: customers should be on the ${shouldBeLive} release, are on ${ending.liveRelease}`,
      );
    if (expected !== 'not deployed') {
      const headline = HEADLINES[expected](service, story.environment);
      if (!notifications.some((message) => message.includes(headline)))
        problems.push(`${service}: no message saying "${headline}"`);
    }
    // Every scheduled task of the service, and production's standby, run the release customers are on.
    for (const [name, ran] of Object.entries(ending.scheduled ?? {}))
      if (ran !== 'live')
        problems.push(`${service}: its scheduled task ${name} ran ${ran}, not the release customers are on`);
    if (ending.standby !== undefined && ending.standby !== 'live')
      problems.push(
        `${service}: production's standby runs ${ending.standby}, not the release customers are on`,
      );
    const failed = failuresOf(customers);
    // The release a story breaks may fail customers, by its application or by the load balancer
    // finding no healthy task of it (counted and shown, not a problem); every other service, and a
    // rollback by hand, must not fail any.
    const broken = story.ending.outcomes[service] !== undefined && expected !== 'rolled-back';
    const allowed = broken ? failed : 0;
    if (failed > allowed)
      problems.push(
        `${service}: ${failed - allowed} customer requests failed (${describeFailures(customers)})`,
      );
  }
  return problems;
}

/** `12 by the application, 3 by the load balancer, 0 with no answer`. */
export function describeFailures(tally: TrafficTally): string {
  return `${tally.failedBy.application} by the application, ${tally.failedBy['load balancer']} by the load balancer, ${tally.failedBy['no answer']} with no answer`;
}

/**
 * Whether the twin answers its own customers before a story: a short burst to every service in the
 * environment. Returns why not, when it does not.
 */
export async function worldUnhealthy(
  platform: Platform,
  environment: 'staging' | 'production',
): Promise<string | undefined> {
  const twin = environment === 'staging' ? platform.twins.staging : platform.twins.production;
  for (const service of platform.services) {
    const tally = await sendRequests(`${twin.resources[service.name]!.productionUrl}/orders`, 20, 4);
    const failed = failuresOf(tally);
    if (failed > 0)
      return `${service.name} in ${environment} failed ${failed} of 20 requests before the story began (${describeFailures(tally)}): this machine is too busy to keep the twin's own traffic healthy`;
  }
  return undefined;
}

/** Tells one story on the platform and judges its ending. */
export async function tellStory(platform: Platform, story: DemoStory): Promise<StoryVerdict> {
  if (story.commit) platform.commit(story.commit);
  if (story.stagingFirst) {
    const unhealthy = await worldUnhealthy(platform, 'staging');
    if (unhealthy) return { story, status: 'not seen', problems: [unhealthy], services: [] };
    const staging = await platform.run({
      workflow: 'platform.yml',
      event: 'push',
      ref: 'refs/heads/develop',
    });
    const notPromoted = platform.services
      .map((service) => [service.name, findJob(staging.record, `staging (${service.name})`)?.outputs.outcome])
      .filter(([, outcome]) => outcome !== 'promoted');
    if (notPromoted.length > 0)
      return {
        story,
        status: 'did not end as told',
        problems: notPromoted.map(
          ([name, outcome]) =>
            `${name}: staging should have promoted it first, ended ${outcome ?? 'not deployed'}`,
        ),
        services: [],
        run: staging,
      };
  }
  if (story.merge) platform.merge(story.merge);
  const unhealthy = await worldUnhealthy(platform, story.environment);
  if (unhealthy) return { story, status: 'not seen', problems: [unhealthy], services: [] };
  const run = await platform.run({
    workflow: story.request.workflow ?? 'platform.yml',
    event: story.request.event ?? 'push',
    ref: story.environment === 'staging' ? 'refs/heads/develop' : 'refs/heads/main',
    story: story.request.story,
    storyServices: story.request.storyServices,
    inputs: story.request.inputs,
  });
  const services: ServiceEnding[] = platform.services.map((service) => {
    const job =
      story.request.workflow === 'rollback.yml'
        ? findJob(run.record, 'rollback')
        : findJob(run.record, `${story.environment} (${service.name})`);
    const expected = expectedOf(story, service.name);
    const deployed = story.request.workflow !== 'rollback.yml' || service.name in story.ending.outcomes;
    const live = platform.live(story.environment, service.name);
    const liveRelease = live.image.split(':').at(-1)!;
    const twin = story.environment === 'staging' ? platform.twins.staging : platform.twins.production;
    /** `live` when an image is the release customers are on (by tag or by the digest the registry holds). */
    const asLive = (image: string) =>
      platform.releaseOf(image) === platform.releaseOf(live.image) ? 'live' : image;
    const scheduled = Object.fromEntries(
      (service['scheduled-tasks'] ?? '')
        .split(/[\s,]+/)
        .filter(Boolean)
        .map((name) => [name, asLive(twin.runSchedule(name)[0]?.task?.image ?? 'nothing')]),
    );
    const standby =
      story.environment === 'production' && service.environments.production.standby
        ? asLive(platform.standby(service.name).image)
        : undefined;
    return {
      service: service.name,
      ...(Object.keys(scheduled).length > 0 ? { scheduled } : {}),
      ...(standby !== undefined ? { standby } : {}),
      expected,
      outcome: deployed ? (job?.outputs.outcome ?? 'not deployed') : 'not deployed',
      live: liveRelease === platform.tagOf(service.name) ? 'new' : 'previous',
      liveRelease: liveRelease.slice(0, 7),
      customers: run.customers[service.name]!,
    };
  });
  const problems = judgeStory(story, services, run.notifications);
  return {
    story,
    status: problems.length === 0 ? 'ended as told' : 'did not end as told',
    problems,
    services,
    run,
  };
}

/** The demo's exit code: 0 only when every story was told and ended as told. */
export function exitCodeOf(verdicts: StoryVerdict[]): number {
  return verdicts.length > 0 && verdicts.every((verdict) => verdict.status === 'ended as told') ? 0 : 1;
}
