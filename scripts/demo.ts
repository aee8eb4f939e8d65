/**
 * `npm run demo`: the suite working end to end on the local AWS twin, with nothing but 127.0.0.1.
 * A blue/green svc-portal under steady customer traffic gets a good release (promoted through
 * 5/50/100) and then a bad one (caught by the gate at 5 % and rolled back); each job summary is
 * written to demo-output/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startTwin, type Twin } from '../packages/aws-twin/src/index.js';
import { runBundledAction } from '../packages/shared/testing/run-bundled-action.js';

const root = process.cwd();
const outputDir = path.join(root, 'demo-output');
const requestsPerSecond = 50;

async function main(): Promise<void> {
  mkdirSync(outputDir, { recursive: true });
  const started = Date.now();
  const twin = await startTwin({
    images: {
      'svc-portal:v1': { version: 'v1', latencyMs: { min: 2, max: 20 } },
      'svc-portal:v2': { version: 'v2', latencyMs: { min: 2, max: 20 } },
      'svc-portal:v3': { version: 'v3', errorRate: 0.6, latencyMs: { min: 2, max: 20 } },
    },
    blueGreen: [{ name: 'svc-portal', image: 'svc-portal:v1', desiredCount: 2 }],
    // CloudWatch as AWS publishes ALB metrics (whole periods, published late), scaled from minutes to seconds.
    metrics: { periodSeconds: 1, publicationDelaySeconds: 3 },
  });
  try {
    const portal = twin.resources['svc-portal']!;
    const taskDefinitionPath = path.join(outputDir, 'task-definition.json');
    writeFileSync(
      taskDefinitionPath,
      JSON.stringify(
        {
          family: 'svc-portal',
          networkMode: 'awsvpc',
          requiresCompatibilities: ['FARGATE'],
          cpu: '256',
          memory: '512',
          containerDefinitions: [
            {
              name: 'app',
              image: 'set-by-the-action',
              essential: true,
              portMappings: [{ containerPort: 8080 }],
            },
          ],
        },
        null,
        2,
      ),
    );
    console.log('mpac actions demo: everything below runs on the local AWS twin (127.0.0.1 only).\n');
    console.log(`AWS twin at ${twin.endpoint}: svc-portal-blue runs svc-portal:v1 (2 tasks) behind an ALB;`);
    console.log(
      `customers send ${requestsPerSecond} requests/s to the production listener ${portal.productionUrl}.`,
    );
    console.log(
      'CloudWatch is faithful but scaled: ALB metrics come in 1-second periods published 3 s late (AWS: 60 s, 1–3 min);',
    );
    console.log('bakes are 3 s (default 5 m), and each step waits for its first published period.\n');

    await release(twin, portal, taskDefinitionPath, 1, 'svc-portal:v2', 'a good release');
    await release(
      twin,
      portal,
      taskDefinitionPath,
      2,
      'svc-portal:v3',
      'a bad release whose image answers 60 % of requests with 500',
    );
    console.log(
      `\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s. Job summaries: ${path.relative(root, outputDir)}/`,
    );
  } finally {
    await twin.close();
  }
}

async function release(
  twin: Twin,
  portal: Twin['resources'][string],
  taskDefinitionPath: string,
  index: number,
  image: string,
  what: string,
): Promise<void> {
  console.log(`${index}. Deploying ${image}, ${what}.`);
  const traffic = twin.traffic.start({
    url: `${portal.productionUrl}/orders`,
    requestsPerSecond,
    maxDurationMs: 60_000,
  });
  const began = Date.now();
  const result = await runBundledAction(path.join(root, 'actions/blue-green-deploy'), {
    inputs: {
      cluster: portal.cluster,
      service: 'svc-portal',
      'listener-rule-arn': portal.productionRuleArn,
      'task-definition': taskDefinitionPath,
      'container-name': 'app',
      image,
      'traffic-steps': '5,50,100',
      'step-bake': '3s',
      'wait-timeout': '30s',
      'metric-period': '1s',
      'metric-delay': '3s',
    },
    env: {
      ...twin.env,
      GITHUB_RUN_ID: String(1000 + index),
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_REPOSITORY: 'mpac/svc-portal',
    },
    timeoutMs: 60_000,
  });
  const tally = await traffic.stop();
  const seconds = ((Date.now() - began) / 1000).toFixed(1);
  const summaryFile = path.join(outputDir, `${index}-${image.replace(/[^\w.-]/g, '-')}.md`);
  writeFileSync(summaryFile, result.summary);
  const errors = Object.entries(tally.byStatus)
    .filter(([status]) => Number(status) >= 500)
    .reduce((sum, [, count]) => sum + count, 0);
  const failure = result.annotations.find((annotation) => annotation.level === 'error')?.message;
  console.log(
    `   blue-green-deploy: ${result.outputs.outcome ?? 'no outcome'} in ${seconds} s (exit code ${result.main.exitCode}); live colour now ${result.outputs['live-color']}`,
  );
  if (failure) console.log(`   why: ${failure}`);
  const versions = Object.entries(tally.byVersion)
    .map(([version, count]) => `${version} ${count}`)
    .join(', ');
  console.log(
    `   customers: ${tally.sent} requests, ${errors} answered 5xx (${((100 * errors) / Math.max(1, tally.sent)).toFixed(2)} %), ${tally.failed} got no answer; served by ${versions}`,
  );
  console.log(`   job summary: ${path.relative(root, summaryFile)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
