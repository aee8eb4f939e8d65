/**
 * `npm run demo`: the example platform's own workflow files (examples/workflows/) rehearsed on the
 * local AWS twin, through this suite's reusable workflows and bundled actions, with customers
 * sending steady traffic to every service. Five releases: a good one through staging and
 * production, one caught by the 5 % gate, one rolled back by the monitor, one rolled back by the
 * workflow after a failed production smoke test, and an on-call rollback from the Actions tab.
 * Only 127.0.0.1 is used; job summaries go to demo-output/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Json } from '../packages/rehearsal/src/expressions.js';
import { startPlatform, TIME_SCALE, type Platform, type Story } from '../packages/rehearsal/src/platform.js';
import { findJob, jobsOf } from '../packages/rehearsal/src/report.js';

const root = process.cwd();
const outputDir = path.join(root, 'demo-output');

async function main(): Promise<void> {
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
      `Time is scaled, minutes as seconds: ${scaled}; CloudWatch publishes 1-second periods 3 s late.\n`,
    );

    platform.commit('release 2: a good release');
    await step(platform, 1, 'A good release, pushed to develop: staging', { ref: 'refs/heads/develop' });
    await step(
      platform,
      1,
      'The same commit, fast-forwarded to main: production (the image is reused, not rebuilt)',
      {
        ref: 'refs/heads/main',
      },
    );

    platform.commit('release 3: svc-portal answers 500 on /orders');
    await step(
      platform,
      2,
      'svc-portal answers every order with 500 (its /health and /version are fine), on develop',
      {
        ref: 'refs/heads/develop',
        story: 'bad-image',
        storyServices: ['svc-portal'],
      },
    );

    platform.commit('release 4: svc-smarttab breaks under full load');
    await step(platform, 3, 'svc-smarttab fails customers once it has all the traffic, on main', {
      ref: 'refs/heads/main',
      story: 'breaks-after-cutover',
      storyServices: ['svc-smarttab'],
    });

    platform.commit('release 5: mpac-pgw health check fails on production');
    await step(platform, 4, 'mpac-pgw’s health check fails on production right after the cutover, on main', {
      ref: 'refs/heads/main',
      story: 'fails-production-smoke',
      storyServices: ['mpac-pgw'],
    });

    await step(platform, 5, 'On call: roll the frontend back by hand (workflow_dispatch of rollback.yml)', {
      workflow: 'rollback.yml',
      event: 'workflow_dispatch',
      inputs: {
        environment: 'production',
        service: 'frontend',
        target: 'previous',
        reason: 'a layout bug on T-1001 screens',
      },
    });
    console.log(
      `\nDone in ${((Date.now() - started) / 1000).toFixed(0)} s. Job summaries: ${path.relative(root, outputDir)}/`,
    );
  } finally {
    await platform.close();
  }
}

async function step(
  platform: Platform,
  index: number,
  what: string,
  request: {
    ref?: string;
    story?: Story;
    storyServices?: string[];
    workflow?: string;
    event?: 'push' | 'workflow_dispatch';
    inputs?: Record<string, Json>;
  },
): Promise<void> {
  console.log(`${index}. ${what}`);
  const began = Date.now();
  const run = await platform.run({
    workflow: request.workflow ?? 'platform.yml',
    event: request.event ?? 'push',
    ref: request.ref,
    story: request.story,
    storyServices: request.storyServices,
    inputs: request.inputs,
  });
  const environment = request.ref === 'refs/heads/develop' ? 'staging' : 'production';
  console.log(
    `   ${request.workflow ?? 'platform.yml'} ${run.record.result} in ${((Date.now() - began) / 1000).toFixed(0)} s`,
  );
  for (const service of platform.services) {
    const job = findJob(run.record, `${environment} (${service.name})`) ?? findJob(run.record, 'rollback');
    const outcome = job?.outputs.outcome ?? 'not deployed';
    const live = platform.live(environment, service.name);
    const tally = run.customers[service.name]!;
    const errors = Object.entries(tally.byStatus)
      .filter(([status]) => Number(status) >= 500)
      .reduce((sum, [, count]) => sum + count, 0);
    const release = live.image.split(':').at(-1)!.slice(0, 7);
    console.log(
      `   ${service.name.padEnd(12)} ${request.workflow ? '' : `${outcome.padEnd(24)} `}live: ${release} · customers ${tally.sent} requests, ${errors} 5xx, ${tally.failed} unanswered`,
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
      writeFileSync(path.join(outputDir, `${index}-${job.name.replace(/[^\w.-]+/g, '-')}.md`), text);
  }
  console.log('');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
