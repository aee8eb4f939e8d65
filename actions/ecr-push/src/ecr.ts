/** The ECR side: login token, repository, image confirmation, the scan gate. */
import {
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  GetAuthorizationTokenCommand,
  PutImageScanningConfigurationCommand,
  PutImageTagMutabilityCommand,
  type ECRClient,
  type EnhancedImageScanFinding,
  type ImageScanFinding,
  type Repository,
} from '@aws-sdk/client-ecr';
import type { Clock } from '../../../packages/shared/src/clock.js';
import { ActionError } from '../../../packages/shared/src/errors.js';
import { pollUntil } from '../../../packages/shared/src/poll.js';

export interface RegistryLogin {
  registry: string;
  username: string;
  password: string;
}

/** GetAuthorizationToken → registry host and the `AWS:<password>` pair, decoded. */
export async function registryLogin(ecr: ECRClient, registryId?: string): Promise<RegistryLogin> {
  const data = (
    await ecr.send(new GetAuthorizationTokenCommand(registryId ? { registryIds: [registryId] } : {}))
  ).authorizationData?.[0];
  if (!data?.authorizationToken || !data.proxyEndpoint)
    throw new ActionError('ECR returned no authorization token');
  const decoded = Buffer.from(data.authorizationToken, 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  return {
    registry: data.proxyEndpoint.replace(/^https?:\/\//, ''),
    username: decoded.slice(0, separator),
    password: decoded.slice(separator + 1),
  };
}

export interface RepositoryPolicy {
  create: boolean;
  update: boolean;
  registryId?: string;
}

/**
 * The repository, created when missing (scan on push, immutable tags, encryption at rest). An
 * existing repository's settings change only with `update`; otherwise differences are reported.
 */
export async function ensureRepository(
  ecr: ECRClient,
  name: string,
  policy: RepositoryPolicy,
  notice: (text: string) => void,
): Promise<Repository> {
  let repository: Repository | undefined;
  try {
    repository = (
      await ecr.send(
        new DescribeRepositoriesCommand({
          repositoryNames: [name],
          ...(policy.registryId ? { registryId: policy.registryId } : {}),
        }),
      )
    ).repositories?.[0];
  } catch (error) {
    if ((error as Error).name !== 'RepositoryNotFoundException') throw error;
  }
  if (!repository) {
    if (!policy.create)
      throw new ActionError(
        `ECR repository '${name}' does not exist and create-repository is false; create it or set create-repository: true`,
      );
    repository = (
      await ecr.send(
        new CreateRepositoryCommand({
          repositoryName: name,
          imageScanningConfiguration: { scanOnPush: true },
          imageTagMutability: 'IMMUTABLE',
          encryptionConfiguration: { encryptionType: 'AES256' },
          ...(policy.registryId ? { registryId: policy.registryId } : {}),
        }),
      )
    ).repository!;
    notice(`Created ECR repository ${name} (scan on push, immutable tags, AES256 encryption)`);
    return repository;
  }
  const drift: string[] = [];
  if (!repository.imageScanningConfiguration?.scanOnPush) drift.push('scan on push is off');
  if (repository.imageTagMutability !== 'IMMUTABLE') drift.push('tags are mutable');
  if (drift.length > 0 && policy.update) {
    await ecr.send(
      new PutImageScanningConfigurationCommand({
        repositoryName: name,
        imageScanningConfiguration: { scanOnPush: true },
      }),
    );
    await ecr.send(
      new PutImageTagMutabilityCommand({ repositoryName: name, imageTagMutability: 'IMMUTABLE' }),
    );
    notice(`Updated ECR repository ${name}: scan on push on, tags immutable`);
    return {
      ...repository,
      imageScanningConfiguration: { scanOnPush: true },
      imageTagMutability: 'IMMUTABLE',
    };
  }
  if (drift.length > 0)
    notice(
      `ECR repository ${name}: ${drift.join(', ')} (left as is; update-repository: true would change it)`,
    );
  return repository;
}

/** Tags that already point at another image, which an immutable repository will refuse to move. */
export async function conflictingTags(
  ecr: ECRClient,
  repository: string,
  tags: string[],
  digest?: string,
): Promise<{ tag: string; digest: string }[]> {
  if (tags.length === 0) return [];
  const found = await ecr.send(
    new BatchGetImageCommand({
      repositoryName: repository,
      imageIds: tags.map((imageTag) => ({ imageTag })),
    }),
  );
  return (found.images ?? [])
    .filter((image) => image.imageId?.imageDigest && image.imageId.imageDigest !== digest)
    .map((image) => ({ tag: image.imageId!.imageTag!, digest: image.imageId!.imageDigest! }));
}

/** Confirms the pushed digest is in the repository under the tags. */
/** The digest of the image carrying `tag`, when the repository has one (an earlier run built this commit). */
export async function findImageByTag(
  ecr: ECRClient,
  repository: string,
  tag: string,
): Promise<string | undefined> {
  try {
    const details = (
      await ecr.send(new DescribeImagesCommand({ repositoryName: repository, imageIds: [{ imageTag: tag }] }))
    ).imageDetails?.[0];
    return details?.imageDigest;
  } catch (error) {
    if ((error as { name?: string }).name === 'ImageNotFoundException') return undefined;
    throw error;
  }
}

export async function confirmImage(ecr: ECRClient, repository: string, digest: string): Promise<string[]> {
  const details = (
    await ecr.send(
      new DescribeImagesCommand({ repositoryName: repository, imageIds: [{ imageDigest: digest }] }),
    )
  ).imageDetails?.[0];
  if (!details) throw new ActionError(`The pushed digest ${digest} is not in ECR repository ${repository}`);
  return details.imageTags ?? [];
}

export const SEVERITY_ORDER = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'];

export interface Finding {
  id: string;
  severity: string;
  package?: string;
  version?: string;
  fixedVersion?: string;
}

/**
 * A scan with results: BASIC scanning ends COMPLETE; ENHANCED (Amazon Inspector) scans
 * continuously and reports ACTIVE once the image has results, never COMPLETE.
 */
const SCAN_DONE = new Set(['COMPLETE', 'ACTIVE']);
const SCAN_FAILED = new Set([
  'FAILED',
  'UNSUPPORTED_IMAGE',
  'FINDINGS_UNAVAILABLE',
  'SCAN_ELIGIBILITY_EXPIRED',
]);

/** Waits for the scan on push to complete (bounded by `timeoutMs`) and returns its findings. */
export async function waitForScanFindings(
  ecr: ECRClient,
  repository: string,
  digest: string,
  timeoutMs: number,
  clock: Clock,
  log: (line: string) => void,
): Promise<Finding[]> {
  const result = await pollUntil({
    clock,
    timeoutMs,
    minIntervalMs: 1000,
    maxIntervalMs: 5000,
    read: async () => {
      try {
        const response = await ecr.send(
          new DescribeImageScanFindingsCommand({
            repositoryName: repository,
            imageId: { imageDigest: digest },
            maxResults: 1000,
          }),
        );
        const status = response.imageScanStatus?.status ?? 'PENDING';
        if (SCAN_FAILED.has(status))
          throw new ActionError(
            `The ECR scan of ${digest} ended ${status}: ${response.imageScanStatus?.description ?? 'no reason given'}`,
          );
        return { done: SCAN_DONE.has(status), key: status, value: response };
      } catch (error) {
        if ((error as Error).name === 'ScanNotFoundException')
          return { done: false, key: 'not started', value: undefined };
        throw error;
      }
    },
    onChange: (response) =>
      log(`Scan of ${digest.slice(0, 19)}…: ${response?.imageScanStatus?.status ?? 'not started yet'}`),
  });
  if (!result.done)
    throw new ActionError(
      `The ECR scan of ${digest} did not complete within ${Math.round(timeoutMs / 1000)} s (last status: ${result.value?.imageScanStatus?.status ?? 'not started'}); raise scan-timeout or check the repository's scan on push`,
    );
  // Findings come in pages: follow the tokens, or a finding on page two would pass the gate.
  const findings = {
    findings: [...(result.value!.imageScanFindings?.findings ?? [])],
    enhancedFindings: [...(result.value!.imageScanFindings?.enhancedFindings ?? [])],
  };
  for (let nextToken = result.value!.nextToken; nextToken;) {
    const page = await ecr.send(
      new DescribeImageScanFindingsCommand({
        repositoryName: repository,
        imageId: { imageDigest: digest },
        maxResults: 1000,
        nextToken,
      }),
    );
    findings.findings.push(...(page.imageScanFindings?.findings ?? []));
    findings.enhancedFindings.push(...(page.imageScanFindings?.enhancedFindings ?? []));
    nextToken = page.nextToken;
  }
  return [...findings.findings.map(basicFinding), ...findings.enhancedFindings.map(enhancedFinding)];
}

/** BASIC scanning's finding: the package as attributes, no fixed version. */
function basicFinding(finding: ImageScanFinding): Finding {
  return {
    id: finding.name ?? 'unknown',
    severity: finding.severity ?? 'UNDEFINED',
    package: finding.attributes?.find((attribute) => attribute.key === 'package_name')?.value,
    version: finding.attributes?.find((attribute) => attribute.key === 'package_version')?.value,
  };
}

/** ENHANCED scanning's finding (Inspector): the vulnerable package with the version that fixes it. */
function enhancedFinding(finding: EnhancedImageScanFinding): Finding {
  const vulnerable = finding.packageVulnerabilityDetails?.vulnerablePackages?.[0];
  return {
    id: finding.packageVulnerabilityDetails?.vulnerabilityId ?? finding.title ?? 'unknown',
    severity: finding.severity ?? 'UNDEFINED',
    package: vulnerable?.name,
    version: vulnerable?.version,
    fixedVersion: vulnerable?.fixedInVersion,
  };
}

export function atOrAbove(findings: Finding[], threshold: string): Finding[] {
  const limit = SEVERITY_ORDER.indexOf(threshold);
  return findings
    .filter(
      (finding) =>
        SEVERITY_ORDER.indexOf(finding.severity) !== -1 && SEVERITY_ORDER.indexOf(finding.severity) <= limit,
    )
    .sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity));
}
