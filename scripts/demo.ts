/**
 * `npm run demo`: the example platform's own workflow files (examples/workflows/) rehearsed on the
 * local AWS twin, through this suite's reusable workflows and bundled actions, with customers
 * sending steady traffic to every service. Five releases: a good one through staging and
 * production, one caught by the 5 % gate, one rolled back by the monitor, one rolled back by the
 * workflow after a failed production smoke test, and an on-call rollback from the Actions tab.
 * Each story says how it must end and is checked (packages/rehearsal/src/demo.ts); the demo exits
 * 1, naming the story, when one did not end as told or could not be told on a busy machine.
 * Only 127.0.0.1 is used; job summaries go to demo-output/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { failuresOf } from '../packages/aws-twin/src/traffic.js';
import {
  DEMO_STORIES,
  describeFailures,
  exitCodeOf,
  tellStory,
  type ServiceEnding,
  type StoryVerdict,
} from '../packages/rehearsal/src/demo.js';
import { METRIC_DELAY_SECONDS, startPlatform, TIME_SCALE } from '../packages/rehearsal/src/platform.js';
import { jobsOf } from '../packages/rehearsal/src/report.js';

const root = process.cwd();
// Not a literal: ncc would take a literal path next to process.cwd() for an asset of the bundle and
// write the summaries under build/demo/.
const outputDir = path.resolve(root, process.env.DEMO_OUTPUT_DIR ?? 'demo-output');

/** `npm run demo -- --only 1,3` tells only those stories (in order; later ones build on earlier ones). */
function chosenStories(argv: string[]): typeof DEMO_STORIES {
  const at = argv.indexOf('--only');
  if (at < 0) return DEMO_STORIES;
  const ids = (argv[at + 1] ?? '').split(',').filter(Boolean);
  const unknown = ids.filter((id) => !DEMO_STORIES.some((story) => story.id === id));
  if (ids.length === 0 || unknown.length > 0) {
    console.error(
      `demo: --only takes story numbers ${DEMO_STORIES.map((story) => story.id).join(', ')}; got ${argv[at + 1] ?? 'nothing'}`,
    );
    process.exit(2);
  }
  return DEMO_STORIES.filter((story) => ids.includes(story.id));
}

async function main(): Promise<void> {
  const stories = chosenStories(process.argv.slice(2));
  mkdirSync(outputDir, { recursive: true });
  const started = Date.now();
  const platform = await startPlatform({ suiteRoot: root, requestsPerSecond: 60 });
  try {
    const names = platform.services.map((service) => service.name);
    console.log(
      'mpac actions demo: the example platform’s workflow files, rehearsed on the AWS twin (127.0.0.1 only).\n',
    );
    console.log(
      `Services ${names.join(', ')}: blue/green on ECS behind an ALB, in a staging and a production account;`,
    );
    console.log(
      'each runs release v1 and gets 60 customer requests/s. The language CI steps use stand-ins (no',
    );
    console.log(
      'Python or Go toolchain here); everything from the coverage gate on is the real workflows and actions.',
    );
    const scaled = Object.entries(TIME_SCALE)
      .flatMap(([action, inputs]) =>
        Object.entries(inputs).map(([input, value]) => `${action} ${input} ${value}`),
      )
      .join(', ');
    console.log(
      `Time is scaled, minutes as seconds: ${scaled}; CloudWatch publishes 1-second periods ${METRIC_DELAY_SECONDS} s late.\n`,
    );

    const verdicts: StoryVerdict[] = [];
    for (const story of stories) {
      console.log(`${story.id}. ${story.title}`);
      const began = Date.now();
      const verdict = await tellStory(platform, story);
      verdicts.push(verdict);
      report(verdict, (Date.now() - began) / 1000);
    }
    process.exitCode = exitCodeOf(verdicts);
    const wrong = verdicts.filter((verdict) => verdict.status !== 'ended as told');
    console.log(
      `Done in ${((Date.now() - started) / 1000).toFixed(0)} s. Job summaries: ${path.relative(root, outputDir)}/`,
    );
    if (wrong.length === 0) console.log(`Every story (${verdicts.length}) ended as told.`);
    else {
      for (const verdict of wrong)
        console.log(
          `✗ story ${verdict.story.id} ${verdict.status === 'not seen' ? 'was not told' : 'did not end as told'}: ${verdict.problems.join('; ')}`,
        );
    }
  } finally {
    await platform.close();
  }
}

function report(verdict: StoryVerdict, seconds: number): void {
  const { story, run } = verdict;
  if (!run) {
    console.log(`   not told: ${verdict.problems.join('; ')}\n`);
    return;
  }
  console.log(
    `   ${story.request.workflow ?? 'platform.yml'} ${run.record.result} in ${seconds.toFixed(0)} s`,
  );
  for (const ending of verdict.services) {
    const { customers } = ending;
    const failed = failuresOf(customers);
    console.log(
      `   ${ending.service.padEnd(12)} ${ending.outcome.padEnd(24)} live: ${ending.liveRelease} · customers ${customers.sent} requests, ${failed} failed${failed > 0 ? ` (${describeFailures(customers)})` : ''}${followers(ending)}`,
    );
  }
  for (const message of run.notifications) console.log(`   slack: ${message.split('\n')[0]}`);
  const reasons = jobsOf(run.record)
    .map((job) => job.outputs.reason)
    .filter((reason): reason is string => Boolean(reason));
  for (const reason of new Set(reasons)) console.log(`   why: ${reason}`);
  for (const job of jobsOf(run.record)) {
    const text = job.steps.map((entry) => entry.summary).join('\n');
    if (text.trim())
      writeFileSync(path.join(outputDir, `${story.id}-${job.name.replace(/[^\w.-]+/g, '-')}.md`), text);
  }
  console.log(
    verdict.status === 'ended as told'
      ? '   ✓ ended as told\n'
      : `   ✗ did not end as told: ${verdict.problems.join('; ')}\n`,
  );
}

/** ` · matcher runs it · standby runs it`: whether what follows the release runs the live one. */
function followers(ending: ServiceEnding): string {
  const said = (what: string, ran: string) => ` · ${what} ${ran === 'live' ? 'runs it' : `runs ${ran}`}`;
  return [
    ...Object.entries(ending.scheduled ?? {}).map(([name, ran]) => said(name, ran)),
    ...(ending.standby !== undefined ? [said('standby', ending.standby)] : []),
  ].join('');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
