/**
 * `npm run rehearse -- <workflow file> [--event push] [--ref refs/heads/main] [--scenario bad-image]
 *   [--services svc-portal,frontend] [--input name=value ...] [--summaries dir]
 *   [--environments rules.json] [--approve production=alice ...] [--actor name]`
 *
 * Runs a workflow file's jobs here, against the AWS twin, in a copy of the example platform
 * repository (examples/): GitHub's own parser and expression evaluator decide what runs, this
 * suite's actions run from their bundles, `run:` steps in bash, and third-party actions are stood
 * in for or listed. Only 127.0.0.1 is used. Prints what ran, what customers saw and where traffic
 * ended, and writes each job summary to the summaries folder.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Json } from '../packages/rehearsal/src/expressions.js';
import { startPlatform, STORIES, type Story } from '../packages/rehearsal/src/platform.js';
import { formatRehearsal, jobsOf } from '../packages/rehearsal/src/report.js';
import type { EnvironmentRules } from '../packages/rehearsal/src/types.js';

const USAGE = `usage: npm run rehearse -- <workflow file> [--event push|workflow_dispatch] [--ref refs/heads/main]
       [--scenario ${STORIES.join('|')}] [--services a,b] [--input name=value ...] [--summaries dir]
       [--environments rules.json] [--approve <environment>=<person> ...] [--actor <person>]

  --environments  GitHub environments' protection rules, as JSON:
                  {"production": {"reviewers": ["alice", "bob"], "preventSelfReview": true,
                                  "branches": ["main"], "tags": [], "waitTimerMinutes": 5}}
  --approve       a required reviewer's approval of this run's deployment review (repeatable)
  --actor         who started the run (github.actor; default rehearsal)`;

interface Arguments {
  workflow: string;
  event: 'push' | 'workflow_dispatch';
  ref: string;
  story: Story;
  services?: string[];
  inputs: Record<string, Json>;
  summaries: string;
  protection: {
    environments?: Record<string, EnvironmentRules>;
    approvals: Record<string, string[]>;
    actor?: string;
  };
}

function parseArguments(argv: string[]): Arguments {
  const fail = (problem: string): never => {
    console.error(`rehearse: ${problem}\n${USAGE}`);
    process.exit(2);
  };
  const parsed: Partial<Arguments> & { inputs: Record<string, Json>; protection: Arguments['protection'] } = {
    inputs: {},
    protection: { approvals: {} },
  };
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    const value = () => argv[++index] ?? fail(`${arg} needs a value`);
    if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else if (arg === '--event') {
      const event = value();
      if (event !== 'push' && event !== 'workflow_dispatch')
        fail(`--event must be push or workflow_dispatch, got ${event}`);
      parsed.event = event as Arguments['event'];
    } else if (arg === '--ref') parsed.ref = value();
    else if (arg === '--scenario') {
      const story = value();
      if (!STORIES.includes(story as Story))
        fail(`--scenario must be one of ${STORIES.join(', ')}; got ${story}`);
      parsed.story = story as Story;
    } else if (arg === '--services') parsed.services = value().split(',').filter(Boolean);
    else if (arg === '--input') {
      const pair = value();
      const at = pair.indexOf('=');
      if (at <= 0) fail(`--input takes name=value, got ${pair}`);
      parsed.inputs[pair.slice(0, at)] = pair.slice(at + 1);
    } else if (arg === '--summaries') parsed.summaries = value();
    else if (arg === '--environments') {
      const file = value();
      try {
        parsed.protection.environments = JSON.parse(readFileSync(file, 'utf8')) as Record<
          string,
          EnvironmentRules
        >;
      } catch (error) {
        fail(`--environments ${file}: ${error instanceof Error ? error.message : String(error)}`);
      }
    } else if (arg === '--approve') {
      const pair = value();
      const at = pair.indexOf('=');
      if (at <= 0 || at === pair.length - 1) fail(`--approve takes <environment>=<person>, got ${pair}`);
      (parsed.protection.approvals[pair.slice(0, at)] ??= []).push(pair.slice(at + 1));
    } else if (arg === '--actor') parsed.protection.actor = value();
    else if (arg.startsWith('-')) fail(`unknown option ${arg}`);
    else if (parsed.workflow) fail(`one workflow file at a time; got ${parsed.workflow} and ${arg}`);
    else parsed.workflow = arg;
  }
  if (!parsed.workflow) fail('name the workflow file to rehearse, e.g. examples/workflows/platform.yml');
  return {
    workflow: parsed.workflow!,
    event: parsed.event ?? (Object.keys(parsed.inputs).length > 0 ? 'workflow_dispatch' : 'push'),
    ref: parsed.ref ?? 'refs/heads/main',
    story: parsed.story ?? 'good',
    services: parsed.services,
    inputs: parsed.inputs,
    summaries: parsed.summaries ?? 'rehearsal-output',
    protection: parsed.protection,
  };
}

async function main(): Promise<void> {
  const args = parseArguments(process.argv.slice(2));
  const root = process.cwd();
  const file = path.resolve(root, args.workflow);
  const examples = path.join(root, 'examples', 'workflows');
  const workflow = path.dirname(file) === examples ? path.basename(file) : file;
  const platform = await startPlatform({ services: args.services, suiteRoot: root });
  try {
    console.log(
      `Rehearsing ${path.relative(root, file)} for ${args.event} on ${args.ref} (scenario ${args.story}), on the AWS twin`,
    );
    console.log(
      `services: ${platform.services.map((service) => service.name).join(', ')}; staging and production accounts, customers at 100 requests/s per service\n`,
    );
    const run = await platform.run({
      workflow,
      event: args.event,
      ref: args.ref,
      story: args.story,
      inputs: args.inputs,
      protection: args.protection,
      log: (line) => console.log(line),
    });
    console.log(`\nWorkflow result: ${run.record.result}\n`);
    for (const line of formatRehearsal(run.record)) console.log(line);
    console.log('\nCustomers while it ran:');
    for (const [service, tally] of Object.entries(run.customers)) {
      const errors = Object.entries(tally.byStatus)
        .filter(([status]) => Number(status) >= 500)
        .reduce((sum, [, count]) => sum + count, 0);
      console.log(
        `  ${service}: ${tally.sent} requests, ${errors} answered 5xx, ${tally.failed} got no answer`,
      );
    }
    const environment = args.ref === 'refs/heads/develop' ? 'staging' : 'production';
    console.log(`\nLive in ${environment} now:`);
    for (const service of platform.services) {
      const live = platform.live(environment, service.name);
      console.log(
        `  ${service.name}: ${live.image} (blue ${live.weights.blue} / green ${live.weights.green})`,
      );
    }
    console.log('\nNotifications:');
    for (const message of run.notifications) console.log(`  ${message.split('\n').join('\n  ')}`);
    const summaries = path.resolve(root, args.summaries);
    mkdirSync(summaries, { recursive: true });
    for (const job of jobsOf(run.record)) {
      const text = job.steps.map((step) => step.summary).join('\n');
      if (text.trim()) writeFileSync(path.join(summaries, `${job.name.replace(/[^\w.-]+/g, '-')}.md`), text);
    }
    console.log(`\nJob summaries: ${path.relative(root, summaries)}/`);
  } finally {
    await platform.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
