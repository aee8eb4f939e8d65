/** ECR (awsJson1_1): repositories, images by manifest, scan on push with scenario findings. */
import { Pager } from '../pages.js';
import { createHash, randomBytes } from 'node:crypto';
import { AwsError } from '../errors.js';
import { arn, requestRegion, type Account } from '../ids.js';

type Json = Record<string, unknown>;

export interface Finding {
  name: string;
  severity: 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'INFORMATIONAL' | 'UNDEFINED';
  package?: string;
  packageVersion?: string;
  fixedVersion?: string;
  description?: string;
}

interface Image {
  digest: string;
  manifest: string;
  mediaType: string;
  tags: Set<string>;
  pushedAt: Date;
  scanCompleteAt?: number;
  findings: Finding[];
}

interface Repository {
  name: string;
  arn: string;
  createdAt: Date;
  scanOnPush: boolean;
  tagMutability: 'MUTABLE' | 'IMMUTABLE';
  encryptionType: string;
  images: Map<string, Image>;
}

export interface EcrScenario {
  /** Findings the scan reports, by `repository:tag`, `repository@digest` or repository name. */
  findings?: Record<string, Finding[]>;
  /** How long a scan on push takes (default 200 ms); `never` leaves it IN_PROGRESS. */
  scanDelayMs?: number | 'never';
  /**
   * The registry's scan type, as AWS answers for it: BASIC (default) reports `findings` and ends
   * COMPLETE; ENHANCED (Amazon Inspector) reports `enhancedFindings` only and stays ACTIVE
   * (continuous scanning), PENDING before its first results.
   */
  scanType?: 'BASIC' | 'ENHANCED';
  /**
   * ECR replication: regions of the twin this registry replicates every pushed image to (same
   * digest, same tags), `replicationDelayMs` (default 100) after the push, creating the repository
   * there as replication does (tags mutable, no scan on push).
   */
  replicateTo?: string[];
  replicationDelayMs?: number;
}

const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'] as const;

export class EcrService {
  readonly repositories = new Map<string, Repository>();
  /** Every registry password handed out, so tests can prove none was printed. */
  readonly issuedPasswords: string[] = [];
  /** Page sizes; a scenario can force pages of one. */
  pager = new Pager();
  /** Registries this one replicates to (another region, or another twin's). */
  readonly replicas: EcrService[] = [];

  constructor(
    readonly account: Account,
    private readonly now: () => number,
    private readonly scenario: EcrScenario = {},
  ) {}

  get registry(): string {
    return `${this.account.accountId}.dkr.ecr.${this.account.region}.amazonaws.com`;
  }

  readonly handlers: Record<string, (input: Json) => unknown> = {
    GetAuthorizationToken: () => {
      const password = randomBytes(24).toString('base64url');
      this.issuedPasswords.push(password);
      return {
        authorizationData: [
          {
            authorizationToken: Buffer.from(`AWS:${password}`).toString('base64'),
            expiresAt: new Date(this.now() + 12 * 3_600_000),
            proxyEndpoint: `https://${this.registry}`,
          },
        ],
      };
    },
    CreateRepository: (input) => {
      const name = String(input.repositoryName ?? '');
      if (
        !/^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/.test(name) ||
        name.length < 2 ||
        name.length > 256
      ) {
        throw new AwsError(
          'InvalidParameterException',
          `Invalid parameter at 'repositoryName' failed to satisfy constraint`,
        );
      }
      if (this.repositories.has(name)) {
        throw new AwsError(
          'RepositoryAlreadyExistsException',
          `The repository with name '${name}' already exists in the registry with id '${this.account.accountId}'`,
        );
      }
      const repository: Repository = {
        name,
        arn: arn(this.account, 'ecr', `repository/${name}`),
        createdAt: new Date(this.now()),
        scanOnPush: Boolean((input.imageScanningConfiguration as Json | undefined)?.scanOnPush),
        tagMutability: input.imageTagMutability === 'IMMUTABLE' ? 'IMMUTABLE' : 'MUTABLE',
        encryptionType: String(
          (input.encryptionConfiguration as Json | undefined)?.encryptionType ?? 'AES256',
        ),
        images: new Map(),
      };
      this.repositories.set(name, repository);
      return { repository: this.describeRepository(repository) };
    },
    DescribeRepositories: (input) => {
      const names = (input.repositoryNames as string[] | undefined) ?? [...this.repositories.keys()];
      const page = this.pager.page(
        names.map((name) => this.describeRepository(this.requireRepository(name))),
        { token: input.nextToken, size: input.maxResults },
        { defaultSize: 100, maxSize: 1000, badTokenCode: 'InvalidParameterException' },
      );
      return { repositories: page.items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
    },
    PutImageScanningConfiguration: (input) => {
      const repository = this.requireRepository(input.repositoryName);
      repository.scanOnPush = Boolean((input.imageScanningConfiguration as Json | undefined)?.scanOnPush);
      return {
        registryId: this.account.accountId,
        repositoryName: repository.name,
        imageScanningConfiguration: { scanOnPush: repository.scanOnPush },
      };
    },
    PutImageTagMutability: (input) => {
      const repository = this.requireRepository(input.repositoryName);
      if (input.imageTagMutability !== 'MUTABLE' && input.imageTagMutability !== 'IMMUTABLE') {
        throw new AwsError('InvalidParameterException', 'imageTagMutability must be MUTABLE or IMMUTABLE');
      }
      repository.tagMutability = input.imageTagMutability;
      return {
        registryId: this.account.accountId,
        repositoryName: repository.name,
        imageTagMutability: repository.tagMutability,
      };
    },
    PutImage: (input) => {
      const repository = this.requireRepository(input.repositoryName);
      const manifest = String(input.imageManifest ?? '');
      if (!manifest) throw new AwsError('InvalidParameterException', 'imageManifest is required');
      const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
      if (input.imageDigest && input.imageDigest !== digest) {
        throw new AwsError(
          'ImageDigestDoesNotMatchException',
          `The digest ${String(input.imageDigest)} does not match the manifest's digest ${digest}`,
        );
      }
      const tag = input.imageTag ? String(input.imageTag) : undefined;
      const holder = tag ? [...repository.images.values()].find((image) => image.tags.has(tag)) : undefined;
      if (holder && holder.digest !== digest && repository.tagMutability === 'IMMUTABLE') {
        throw new AwsError(
          'ImageTagAlreadyExistsException',
          `The image tag '${tag}' already exists in the '${repository.name}' repository and cannot be overwritten because the repository is immutable.`,
        );
      }
      const existing = repository.images.get(digest);
      if (existing && (!tag || existing.tags.has(tag))) {
        throw new AwsError(
          'ImageAlreadyExistsException',
          `Image with digest '${digest}' and tag '${tag ?? ''}' already exists in the repository with name '${repository.name}'`,
        );
      }
      if (holder && holder.digest !== digest) holder.tags.delete(tag!);
      const image = existing ?? {
        digest,
        manifest,
        mediaType: String(input.imageManifestMediaType ?? 'application/vnd.oci.image.manifest.v1+json'),
        tags: new Set<string>(),
        pushedAt: new Date(this.now()),
        findings: [],
      };
      if (tag) image.tags.add(tag);
      repository.images.set(digest, image);
      for (const replica of this.replicas)
        setTimeout(
          // In the replica's own region, not the pushing request's.
          () =>
            requestRegion.run(replica.account.region, () => replica.receiveReplica(repository.name, image)),
          this.scenario.replicationDelayMs ?? 100,
        ).unref();
      // ENHANCED scanning is the registry's: every pushed image is scanned, whatever the repository says.
      const scanned = repository.scanOnPush || this.scenario.scanType === 'ENHANCED';
      if (scanned && image.scanCompleteAt === undefined) {
        const delay = this.scenario.scanDelayMs ?? 200;
        image.scanCompleteAt = delay === 'never' ? Number.POSITIVE_INFINITY : this.now() + delay;
      }
      return {
        image: {
          registryId: this.account.accountId,
          repositoryName: repository.name,
          imageId: { imageDigest: digest, imageTag: tag },
          imageManifest: manifest,
        },
      };
    },
    BatchGetImage: (input) => {
      const repository = this.requireRepository(input.repositoryName);
      const images: unknown[] = [];
      const failures: unknown[] = [];
      for (const imageId of (input.imageIds as Json[] | undefined) ?? []) {
        const image = this.findImage(repository, imageId);
        if (image) {
          images.push({
            registryId: this.account.accountId,
            repositoryName: repository.name,
            imageId: { imageDigest: image.digest, imageTag: imageId.imageTag },
            imageManifest: image.manifest,
            imageManifestMediaType: image.mediaType,
          });
        } else {
          failures.push({
            imageId,
            failureCode: 'ImageNotFound',
            failureReason: 'Requested image not found',
          });
        }
      }
      return { images, failures };
    },
    DescribeImages: (input) => {
      const repository = this.requireRepository(input.repositoryName);
      const ids = input.imageIds as Json[] | undefined;
      const images = ids
        ? ids.map((imageId) => {
            const image = this.findImage(repository, imageId);
            if (!image)
              throw new AwsError(
                'ImageNotFoundException',
                `The image with imageId ${JSON.stringify(imageId)} does not exist within the repository with name '${repository.name}'`,
              );
            return image;
          })
        : [...repository.images.values()];
      const page = this.pager.page(
        images.map((image) => this.describeImage(repository, image)),
        { token: input.nextToken, size: input.maxResults },
        { defaultSize: 100, maxSize: 1000, badTokenCode: 'InvalidParameterException' },
      );
      return { imageDetails: page.items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
    },
    DescribeImageScanFindings: (input) => {
      const repository = this.requireRepository(input.repositoryName);
      const imageId = (input.imageId ?? {}) as Json;
      const image = this.findImage(repository, imageId);
      if (!image)
        throw new AwsError(
          'ImageNotFoundException',
          `The image with imageId ${JSON.stringify(imageId)} does not exist`,
        );
      if (image.scanCompleteAt === undefined) {
        throw new AwsError(
          'ScanNotFoundException',
          `Image scan does not exist for the image with '${JSON.stringify(imageId)}' in the repository with name '${repository.name}'`,
        );
      }
      const status = this.scanStatus(repository, image);
      const scanned = status.status === 'COMPLETE' || status.status === 'ACTIVE';
      const enhanced = this.scenario.scanType === 'ENHANCED';
      const page = this.pager.page(
        scanned ? image.findings : [],
        { token: input.nextToken, size: input.maxResults },
        { defaultSize: 100, maxSize: 1000, badTokenCode: 'InvalidParameterException' },
      );
      const findings = page.items;
      return {
        ...(page.nextToken ? { nextToken: page.nextToken } : {}),
        registryId: this.account.accountId,
        repositoryName: repository.name,
        imageId: { imageDigest: image.digest },
        imageScanStatus: status,
        imageScanFindings: scanned
          ? {
              imageScanCompletedAt: new Date(image.scanCompleteAt),
              findingSeverityCounts: severityCounts(image.findings),
              ...(enhanced
                ? { enhancedFindings: findings.map(enhancedFinding) }
                : { findings: findings.map(basicFinding) }),
            }
          : undefined,
      };
    },
  };
  /** An image replicated here from another registry: same manifest and digest, its tags added. */
  receiveReplica(repositoryName: string, source: Image): void {
    let repository = this.repositories.get(repositoryName);
    if (!repository) {
      this.handlers.CreateRepository!({ repositoryName, imageTagMutability: 'MUTABLE' });
      repository = this.repositories.get(repositoryName)!;
    }
    const image = repository.images.get(source.digest) ?? {
      digest: source.digest,
      manifest: source.manifest,
      mediaType: source.mediaType,
      tags: new Set<string>(),
      pushedAt: new Date(this.now()),
      findings: [],
    };
    for (const tag of source.tags) {
      for (const other of repository.images.values()) if (other !== image) other.tags.delete(tag);
      image.tags.add(tag);
    }
    repository.images.set(image.digest, image);
  }

  /** Tags ECR knows for `registry/repo@sha256:…`, as `registry/repo:tag` and `repo:tag`. */
  tagsOfDigest(image: string): string[] {
    const match = /^(?:([^/]+)\/)?(.+)@(sha256:[0-9a-f]{64})$/.exec(image);
    if (!match) return [];
    const repository = this.repositories.get(match[2]!);
    const found = repository?.images.get(match[3]!);
    if (!found) return [];
    return [...found.tags].flatMap((tag) => [
      `${this.registry}/${repository!.name}:${tag}`,
      `${repository!.name}:${tag}`,
    ]);
  }

  private scanStatus(repository: Repository, image: Image): { status: string; description: string } {
    const enhanced = this.scenario.scanType === 'ENHANCED';
    if (image.scanCompleteAt! > this.now())
      return enhanced
        ? { status: 'PENDING', description: 'Scan is pending.' }
        : { status: 'IN_PROGRESS', description: 'The scan is in progress.' };
    if (image.findings.length === 0) image.findings = this.plantedFindings(repository, image);
    return enhanced
      ? { status: 'ACTIVE', description: 'Continuous scan is selected for image.' }
      : { status: 'COMPLETE', description: 'The scan was completed successfully.' };
  }

  private plantedFindings(repository: Repository, image: Image): Finding[] {
    const planted = this.scenario.findings ?? {};
    const keys = [
      `${repository.name}@${image.digest}`,
      ...[...image.tags].map((tag) => `${repository.name}:${tag}`),
      repository.name,
    ];
    return keys.flatMap((key) => planted[key] ?? []);
  }

  private findImage(repository: Repository, imageId: Json): Image | undefined {
    if (imageId.imageDigest) return repository.images.get(String(imageId.imageDigest));
    if (imageId.imageTag)
      return [...repository.images.values()].find((image) => image.tags.has(String(imageId.imageTag)));
    return undefined;
  }

  private requireRepository(name: unknown): Repository {
    const repository = this.repositories.get(String(name ?? ''));
    if (!repository) {
      throw new AwsError(
        'RepositoryNotFoundException',
        `The repository with name '${String(name)}' does not exist in the registry with id '${this.account.accountId}'`,
      );
    }
    return repository;
  }

  private describeRepository(repository: Repository) {
    return {
      repositoryArn: repository.arn,
      registryId: this.account.accountId,
      repositoryName: repository.name,
      repositoryUri: `${this.registry}/${repository.name}`,
      createdAt: repository.createdAt,
      imageTagMutability: repository.tagMutability,
      imageScanningConfiguration: { scanOnPush: repository.scanOnPush },
      encryptionConfiguration: { encryptionType: repository.encryptionType },
    };
  }

  private describeImage(repository: Repository, image: Image) {
    const scan = image.scanCompleteAt === undefined ? undefined : this.scanStatus(repository, image);
    return {
      registryId: this.account.accountId,
      repositoryName: repository.name,
      imageDigest: image.digest,
      imageTags: [...image.tags],
      imageSizeInBytes: image.manifest.length * 1000,
      imagePushedAt: image.pushedAt,
      imageManifestMediaType: image.mediaType,
      imageScanStatus: scan,
      imageScanFindingsSummary:
        scan?.status === 'COMPLETE' || scan?.status === 'ACTIVE'
          ? {
              imageScanCompletedAt: new Date(image.scanCompleteAt!),
              findingSeverityCounts: severityCounts(image.findings),
            }
          : undefined,
    };
  }
}

/** A finding as BASIC scanning reports it: the CVE, its severity, the package as attributes. */
function basicFinding(finding: Finding) {
  return {
    name: finding.name,
    description: finding.description,
    uri: `https://nvd.nist.gov/vuln/detail/${finding.name}`,
    severity: finding.severity,
    attributes: [
      ...(finding.package ? [{ key: 'package_name', value: finding.package }] : []),
      ...(finding.packageVersion ? [{ key: 'package_version', value: finding.packageVersion }] : []),
    ],
  };
}

/** A finding as ENHANCED scanning (Inspector) reports it, with the version that fixes it. */
function enhancedFinding(finding: Finding) {
  return {
    title: finding.name,
    severity: finding.severity,
    type: 'PACKAGE_VULNERABILITY',
    packageVulnerabilityDetails: {
      vulnerabilityId: finding.name,
      vulnerablePackages: finding.package
        ? [{ name: finding.package, version: finding.packageVersion, fixedInVersion: finding.fixedVersion }]
        : [],
    },
  };
}

function severityCounts(findings: Finding[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const severity of SEVERITIES) {
    const count = findings.filter((finding) => finding.severity === severity).length;
    if (count > 0) counts[severity] = count;
  }
  return counts;
}
