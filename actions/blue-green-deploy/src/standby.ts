/**
 * Phase `standby`: a DR standby region follows production. The standby has the same blue/green
 * layout as production but no customers, so nothing is judged and no weight moves: the colour its
 * listener forwards to is updated in place to the release production promoted, at the standby's
 * own task count, and the run waits until ECS has replaced every task and every target is healthy.
 * A standby that cannot be brought to the release fails the run naming what it still runs.
 */
import { DescribeImagesCommand, type ECRClient } from '@aws-sdk/client-ecr';
import type { ECSClient } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describeWeights, type BlueGreenState } from '../../../packages/shared/src/blue-green/read.js';
import {
  markUnverified,
  outcomeTags,
  writeOutcomeTags,
} from '../../../packages/shared/src/blue-green/outcome.js';
import { DeploymentNotHealthyError, updateService } from '../../../packages/shared/src/ecs.js';
import type { Clock } from '../../../packages/shared/src/clock.js';
import { ActionError, errorMessage, InputError } from '../../../packages/shared/src/errors.js';
import { pollUntil } from '../../../packages/shared/src/poll.js';
import type { EcrImage } from './standby-image.js';
import { DeployFailure, type DeployResult, type PhaseContext } from './phase.js';
import { describeTaskDefinition } from './ecs-ops.js';
import type { Inputs } from './inputs.js';
import {
  renderFileTaskDefinition,
  renderWithInputs,
  revisionFor,
  waitForColour,
  type ResolvedTaskDefinition,
} from './prepare.js';
import { parseEcrImage } from './standby-image.js';

/** What the standby runs after the phase, for the summary and the outputs. */
export interface StandbyState {
  region: string;
  serviceName: string;
  taskDefinitionArn: string;
  image?: string;
  desiredCount: number;
  healthyTargets: number;
}

export interface StandbyResult extends DeployResult {
  standby: StandbyState;
}

/** A standby with its traffic split is not one this phase can read a live colour from. */
export function refuseStandbySplit(state: BlueGreenState): void {
  if (!state.split) return;
  throw new ActionError(
    `The standby's listener splits traffic (${describeWeights(state.traffic.weights)}): a run there did not finish. ` +
      `Nothing was changed. Put all of it on one colour first (phase: rollback with to-color in that region).`,
  );
}

export async function standby(
  run: PhaseContext,
  state: BlueGreenState,
  resolved: ResolvedTaskDefinition,
): Promise<StandbyResult> {
  const { inputs, clients } = run;
  refuseStandbySplit(state);
  const live = state.live;
  const side = state.sides[live];
  const taskDefinitionArn = await revisionFor(run, resolved);
  const desiredCount = inputs['desired-count'] ?? Math.max(1, side.desiredCount);
  const base = {
    taskDefinitionArn,
    previousTaskDefinitionArn: side.taskDefinition,
    liveColor: live,
    previousColor: live,
    steps: [],
    notices: run.notices,
  };
  const current = side.taskDefinition === taskDefinitionArn && side.desiredCount === desiredCount;
  if (current)
    run.log(`${side.serviceName} (${live}) already runs ${taskDefinitionArn} with ${desiredCount} tasks`);
  else {
    run.log(
      `Updating ${side.serviceName} (${live}, no customer traffic) from ${side.taskDefinition} to ${taskDefinitionArn} with ${desiredCount} tasks`,
    );
    await run.lease.check();
    // Until it is healthy, the colour holds a release that this region has not seen healthy.
    if (side.taskDefinition !== taskDefinitionArn)
      await markUnverified(clients.elbv2, run.target.production.arn, live, taskDefinitionArn);
    await updateService(clients.ecs, inputs.cluster, side.serviceName, {
      taskDefinition: taskDefinitionArn,
      desiredCount,
    });
  }
  try {
    await waitForColour(run, side, taskDefinitionArn, desiredCount);
  } catch (error) {
    if (error instanceof DeploymentNotHealthyError)
      throw new DeployFailure(
        `The standby in ${inputs['aws-region']} was not updated: ${error.message}. ` +
          `Its ${live} colour still ran ${side.taskDefinition} before this run; a failover now would serve that release.`,
        { ...base, outcome: 'failed' },
        error.diagnostics,
      );
    throw error;
  }
  if (!current) {
    const releases = {
      verified: { ...state.releases.verified, [live]: taskDefinitionArn },
      unverified: { ...state.releases.unverified, [live]: undefined },
    };
    await writeOutcomeTags(
      clients.elbv2,
      run.target.production.arn,
      outcomeTags(
        {
          liveColor: live,
          previousColor: live,
          taskDefinition: taskDefinitionArn,
          previousTaskDefinition: side.taskDefinition,
          outcome: 'standby-updated',
          run: run.holder,
        },
        releases,
        run.clock.now(),
      ),
    );
  }
  const health =
    (await clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: side.targetGroupArn })))
      .TargetHealthDescriptions ?? [];
  return {
    ...base,
    outcome: current ? 'unchanged' : 'standby-updated',
    standby: {
      region: inputs['aws-region'],
      serviceName: side.serviceName,
      taskDefinitionArn,
      ...(inputs.image ? { image: inputs.image } : {}),
      desiredCount,
      healthyTargets: health.filter((target) => target.TargetHealth?.State === 'healthy').length,
    },
  };
}

/**
 * The release as the standby's own registry holds it, by digest: the image must be there (ECR
 * replication, or a push by the build) before a task may start from it; a failover must not depend
 * on the primary region's registry. Waits (bounded) while replication catches up.
 */
export async function resolveStandbyImage(
  ecr: Pick<ECRClient, 'send'>,
  image: EcrImage,
  options: { timeoutMs: number; clock: Clock; log: (line: string) => void },
): Promise<string> {
  const wanted = `${image.host}/${image.repository}${image.digest ? `@${image.digest}` : `:${image.tag}`}`;
  const result = await pollUntil<{ digest?: string; why?: string }>({
    clock: options.clock,
    timeoutMs: options.timeoutMs,
    minIntervalMs: 1000,
    maxIntervalMs: 10_000,
    read: async () => {
      try {
        const found = await ecr.send(
          new DescribeImagesCommand({
            registryId: image.registryId,
            repositoryName: image.repository,
            imageIds: [image.digest ? { imageDigest: image.digest } : { imageTag: image.tag! }],
          }),
        );
        const digest = found.imageDetails?.[0]?.imageDigest;
        return digest
          ? { done: true, key: 'found', value: { digest } }
          : { done: false, key: 'absent', value: { why: 'ECR listed no such image' } };
      } catch (error) {
        const name = (error as { name?: string }).name ?? '';
        if (name !== 'ImageNotFoundException' && name !== 'RepositoryNotFoundException') throw error;
        return { done: false, key: name, value: { why: errorMessage(error) } };
      }
    },
    onChange: (state) =>
      options.log(
        state.digest
          ? `${wanted} is in the standby's registry as ${state.digest}`
          : `${wanted} is not in the standby's registry yet (${state.why}); waiting for replication`,
      ),
  });
  if (!result.done || !result.value.digest)
    throw new ActionError(
      `The standby's registry in ${image.region} does not hold ${wanted} after ${Math.round(options.timeoutMs / 1000)} s ` +
        `(${result.value.why ?? 'not found'}). Nothing was changed in the standby. ` +
        `Replicate the repository to ${image.region} (ECR replication) or push the image there, then re-run this job.`,
    );
  return `${image.host}/${image.repository}@${result.value.digest}`;
}

/**
 * The release the standby deploys, resolved before anything changes (reads only): the image, by
 * the digest the standby's registry holds; and the task definition: the file rendered with it, or,
 * when `task-definition-arn` names production's revision in another region, that revision copied
 * as it is (its roles, sizes, environment, secrets), with only the image and `awslogs-region`
 * moved to the standby's region.
 */
export async function resolveStandbyRelease(
  inputs: Inputs,
  clients: { ecr: Pick<ECRClient, 'send'>; ecsIn: (region: string) => ECSClient },
  options: {
    readFile: (path: string) => string;
    clock: Clock;
    log: (line: string) => void;
    notice: (line: string) => void;
  },
): Promise<{ inputs: Inputs; resolved?: ResolvedTaskDefinition }> {
  const region = inputs['aws-region'];
  const source = inputs.taskDefinition;
  let followed: Record<string, unknown> | undefined;
  let image = inputs.image;
  let containerName = inputs['container-name'];
  if (source?.kind === 'arn' && source.arn.split(':')[3] !== region) {
    const from = source.arn.split(':')[3]!;
    followed = await describeTaskDefinition(clients.ecsIn(from), source.arn).catch((error: Error) => {
      throw new InputError(
        'task-definition-arn',
        `names ${source.arn}, which ECS in ${from} cannot describe (${error.message})`,
        `arn:aws:ecs:${from}:123456789012:task-definition/svc-portal:42`,
      );
    });
    const containers = (followed.containerDefinitions ?? []) as { name?: string; image?: string }[];
    const container = containerName
      ? containers.find((entry) => entry.name === containerName)
      : containers[0];
    if (!container)
      throw new InputError(
        'container-name',
        `names ${containerName}, which ${source.arn} does not have (it has ${containers.map((entry) => entry.name).join(', ')})`,
        containers[0]?.name ?? 'app',
      );
    containerName = container.name;
    if (!image) {
      // An ECR image of production's region is taken from the standby's own registry; another
      // registry's image (not ECR) is pulled as production pulls it.
      const primary = parseEcrImage(container.image ?? '');
      image =
        primary && primary.region === from
          ? `${primary.host.replace(`.${from}.`, `.${region}.`)}/${primary.repository}${primary.digest ? `@${primary.digest}` : `:${primary.tag}`}`
          : container.image;
    }
  }
  if (!image) return { inputs };
  const ecrImage = parseEcrImage(image);
  if (!ecrImage)
    options.notice(
      `${image} is not an ECR image: the standby pulls it from its registry as production does, unchecked`,
    );
  const byDigest = ecrImage
    ? await resolveStandbyImage(clients.ecr, ecrImage, {
        timeoutMs: inputs['wait-timeout'],
        clock: options.clock,
        log: options.log,
      })
    : image;
  const logOptions = new Map(inputs['log-configuration-options']);
  // Logs of a container that ships them with awslogs go to the standby's own region.
  if (followed && awslogsRegionOf(followed, containerName) !== undefined)
    logOptions.set('awslogs-region', region);
  const resolvedInputs: Inputs = {
    ...inputs,
    image: byDigest,
    'container-name': containerName,
    'log-configuration-options': logOptions,
  };
  if (followed) return { inputs: resolvedInputs, resolved: renderWithInputs(followed, resolvedInputs) };
  if (source?.kind === 'file')
    return { inputs: resolvedInputs, resolved: renderFileTaskDefinition(resolvedInputs, options.readFile) };
  return { inputs: resolvedInputs };
}

/** The `awslogs-region` a container's awslogs configuration names, if it uses awslogs. */
function awslogsRegionOf(
  definition: Record<string, unknown>,
  containerName: string | undefined,
): string | undefined {
  const containers = (definition.containerDefinitions ?? []) as {
    name?: string;
    logConfiguration?: { logDriver?: string; options?: Record<string, string> };
  }[];
  const log = containers.find((container) => container.name === containerName)?.logConfiguration;
  return log?.logDriver === 'awslogs' ? (log.options?.['awslogs-region'] ?? '') : undefined;
}

/** The summary's standby section: which release the standby runs and how many tasks are healthy. */
export function standbySummaryPart(standby: StandbyState): string[] {
  return [
    '### Standby',
    '',
    '| Region | Service | Release | Image | Healthy tasks |',
    '| --- | --- | --- | --- | --- |',
    `| ${standby.region} | ${standby.serviceName} | \`${standby.taskDefinitionArn.split('/').pop()}\` | ${standby.image ? `\`${standby.image}\`` : '—'} | ${standby.healthyTargets}/${standby.desiredCount} |`,
    '',
  ];
}
