import * as core from '../../../packages/shared/src/runner-commands.js';
import { getExecOutput } from '@actions/exec';
import { which } from '@actions/io';
import { ECRClient } from '@aws-sdk/client-ecr';
import { awsClientsFor } from '../../../packages/shared/src/aws-clients.js';
import { systemClock } from '../../../packages/shared/src/clock.js';
import { ActionError } from '../../../packages/shared/src/errors.js';
import { registerSecret } from '../../../packages/shared/src/secrets.js';
import { writeSummary } from '../../../packages/shared/src/summary.js';
import { Docker, type Exec } from './docker.js';
import {
  atOrAbove,
  confirmImage,
  conflictingTags,
  ensureRepository,
  findImageByTag,
  registryLogin,
  waitForScanFindings,
  type Finding,
} from './ecr.js';
import { getInputs, type Inputs } from './inputs.js';
import { builtSummary, pushedSummary } from './report.js';
import { loadEcrPushState, saveEcrPushState } from './state.js';
import { defaultTags } from './tags.js';
import { setOutput } from '../../../packages/shared/src/outputs.js';

/** The AWS clients this action uses: only these are bundled. */
const CLIENTS = { ecr: ECRClient };

const exec: Exec = async (command, args, options) => {
  const result = await getExecOutput(command, args, {
    ...options,
    ignoreReturnCode: options?.ignoreReturnCode ?? false,
  });
  return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
};

export async function run(inputs: Inputs = getInputs()): Promise<void> {
  for (const name of inputs['build-secrets']) registerSecret(process.env[name]);
  if (!(await which('docker', false)))
    throw new ActionError(
      'No docker on this runner: ecr-push needs the docker CLI with buildx (ubuntu-latest has both)',
    );
  const { ecr } = awsClientsFor(inputs, CLIENTS);
  const docker = new Docker(exec);

  const repository = await ensureRepository(
    ecr,
    inputs.repository,
    {
      create: inputs['create-repository'],
      update: inputs['update-repository'],
      registryId: inputs['registry-id'],
    },
    (text) => core.notice(text),
  );
  const mutable = repository.imageTagMutability !== 'IMMUTABLE';
  const computed = inputs.tags.length > 0 ? { tags: inputs.tags } : defaultTags(process.env, mutable);
  if ('notice' in computed && computed.notice) core.notice(computed.notice);
  const tags = computed.tags;
  if (tags.length === 0)
    throw new ActionError(
      'No tags: set the tags input (GITHUB_SHA is not set, so the default commit tag is unknown)',
    );

  const login = await registryLogin(ecr, inputs['registry-id']);
  registerSecret(login.password);
  await docker.login(login.registry, login.username, login.password);
  saveEcrPushState({ registry: login.registry, logout: !inputs['skip-logout'] });

  const refs = tags.map((tag) => `${login.registry}/${inputs.repository}:${tag}`);
  // Build once: an image already tagged with this commit is the one to deploy, not a rebuild.
  const existing =
    inputs['reuse-existing'] && inputs.push && !inputs.image
      ? await findImageByTag(ecr, inputs.repository, tags[0]!)
      : undefined;
  if (existing)
    core.notice(
      `${inputs.repository}:${tags[0]} already exists (${existing}): reusing it, nothing was built`,
    );
  // Image metadata comes from the commit, not the clock, so a rebuild of the same commit is the same.
  const sourceDateEpoch = await commitEpoch();
  const labels = new Map([
    [
      'org.opencontainers.image.source',
      `${process.env.GITHUB_SERVER_URL ?? 'https://github.com'}/${process.env.GITHUB_REPOSITORY ?? 'unknown'}`,
    ],
    ['org.opencontainers.image.revision', process.env.GITHUB_SHA ?? 'unknown'],
    ['org.opencontainers.image.created', new Date(sourceDateEpoch * 1000).toISOString()],
    ...inputs.labels,
  ]);
  const pushed = existing
    ? { digest: existing, output: '' }
    : inputs.image
      ? await docker.tagAndPush(inputs.image, refs)
      : await docker.build({
          context: inputs.context,
          dockerfile: inputs.dockerfile,
          target: inputs.target,
          buildArgs: new Map([['SOURCE_DATE_EPOCH', String(sourceDateEpoch)], ...inputs['build-args']]),
          platforms: inputs.platforms,
          labels,
          refs,
          push: inputs.push,
          cache: inputs.cache,
          secrets: inputs['build-secrets'],
        });
  if (!pushed.digest) {
    const conflicts = !mutable ? await conflictingTags(ecr, inputs.repository, tags) : [];
    if (conflicts.length > 0) {
      throw new ActionError(
        `The repository has immutable tags and ${conflicts.map((conflict) => `'${conflict.tag}' already points at ${conflict.digest}`).join(', ')}; push under a new tag (the commit SHA) instead of moving it`,
      );
    }
    throw new ActionError(
      `docker ${inputs.image ? 'push' : 'buildx build'} failed: ${pushed.output.trim().split('\n').slice(-3).join(' | ')}`,
    );
  }
  const digest = pushed.digest;
  setOutput('registry', login.registry);
  setOutput('image', refs[0]);
  setOutput('image-uri', `${login.registry}/${inputs.repository}@${digest}`);
  setOutput('digest', digest);
  setOutput('tags', tags.join(','));
  if (!inputs.push) {
    await writeSummary(builtSummary(digest, tags));
    return;
  }
  const confirmedTags = await confirmImage(ecr, inputs.repository, digest);
  core.info(`Pushed ${login.registry}/${inputs.repository}@${digest} (${confirmedTags.join(', ')})`);

  let blocking: Finding[] = [];
  let findings: Finding[] = [];
  if (inputs['scan-severity-threshold'] !== 'none') {
    if (!repository.imageScanningConfiguration?.scanOnPush) {
      throw new ActionError(
        `ECR repository ${inputs.repository} does not scan on push, so the scan gate cannot run; set update-repository: true, or scan-severity-threshold: none`,
      );
    }
    findings = await waitForScanFindings(
      ecr,
      inputs.repository,
      digest,
      inputs['scan-timeout'],
      systemClock,
      (line) => core.info(line),
    );
    blocking = atOrAbove(findings, inputs['scan-severity-threshold']);
  }
  await writeSummary(
    pushedSummary(
      `${login.registry}/${inputs.repository}@${digest}`,
      tags,
      findings,
      blocking,
      inputs['scan-severity-threshold'],
    ),
  );
  if (blocking.length > 0) {
    throw new ActionError(
      `The scan found ${blocking.length} finding(s) at or above ${inputs['scan-severity-threshold']}: ${blocking
        .slice(0, 5)
        .map(
          (finding) => `${finding.id} (${finding.severity}${finding.package ? `, ${finding.package}` : ''})`,
        )
        .join(', ')}${blocking.length > 5 ? ', …' : ''}`,
    );
  }
}

/** The post step: log out of the registry unless skip-logout. */
export async function post(): Promise<void> {
  const state = loadEcrPushState();
  if (!state?.logout) return;
  await new Docker(exec).logout(state.registry);
  core.info(`Logged out of ${state.registry}`);
}

/** The commit time of HEAD (seconds), for reproducible image metadata; SOURCE_DATE_EPOCH wins when set. */
async function commitEpoch(): Promise<number> {
  const given = Number(process.env.SOURCE_DATE_EPOCH);
  if (Number.isInteger(given) && given > 0) return given;
  const result = await exec('git', ['log', '-1', '--format=%ct', 'HEAD'], {
    silent: true,
    ignoreReturnCode: true,
  });
  const epoch = Number(result.stdout.trim());
  if (result.exitCode === 0 && Number.isInteger(epoch) && epoch > 0) return epoch;
  core.notice('No git commit time here (not a checkout?): the image is labelled with the current time');
  return Math.floor(Date.now() / 1000);
}
