import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  GetAuthorizationTokenCommand,
  ImageTagAlreadyExistsException,
  PutImageCommand,
  PutImageScanningConfigurationCommand,
  PutImageTagMutabilityCommand,
  RepositoryAlreadyExistsException,
  RepositoryNotFoundException,
  ScanNotFoundException,
} from '@aws-sdk/client-ecr';
import { startTwin, type Twin } from '../src/index.js';
import { clientsFor } from './clients.js';

const manifest = (layer: string) =>
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    layers: [{ digest: layer }],
  });

describe('ECR through the real SDK client', () => {
  let twin: Twin;
  let ecr: ReturnType<typeof clientsFor>['ecr'];
  beforeAll(async () => {
    twin = await startTwin({
      ecr: {
        scanDelayMs: 50,
        findings: {
          'svc-portal:bad': [
            {
              name: 'CVE-2026-0001',
              severity: 'CRITICAL',
              package: 'openssl',
              packageVersion: '3.0.1',
              fixedVersion: '3.0.15',
            },
          ],
        },
      },
    });
    ({ ecr } = clientsFor(twin));
  });
  afterAll(async () => {
    await twin.close();
  });

  it('hands out a registry login whose password it remembers', async () => {
    const data = (await ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData![0]!;
    const [user, password] = Buffer.from(data.authorizationToken!, 'base64').toString().split(':');
    expect(user).toBe('AWS');
    expect(twin.services.ecr.issuedPasswords).toContain(password);
    expect(data.proxyEndpoint).toBe('https://123456789012.dkr.ecr.eu-west-1.amazonaws.com');
    expect(data.expiresAt).toBeInstanceOf(Date);
  });

  it('creates and describes repositories, and changes their settings', async () => {
    const created = await ecr.send(
      new CreateRepositoryCommand({
        repositoryName: 'svc-portal',
        imageScanningConfiguration: { scanOnPush: true },
        imageTagMutability: 'IMMUTABLE',
        encryptionConfiguration: { encryptionType: 'AES256' },
      }),
    );
    expect(created.repository).toMatchObject({
      repositoryUri: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/svc-portal',
      imageTagMutability: 'IMMUTABLE',
    });
    await expect(
      ecr.send(new CreateRepositoryCommand({ repositoryName: 'svc-portal' })),
    ).rejects.toBeInstanceOf(RepositoryAlreadyExistsException);
    await expect(
      ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['nope'] })),
    ).rejects.toBeInstanceOf(RepositoryNotFoundException);
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'scratch' }));
    await ecr.send(
      new PutImageScanningConfigurationCommand({
        repositoryName: 'scratch',
        imageScanningConfiguration: { scanOnPush: true },
      }),
    );
    await ecr.send(
      new PutImageTagMutabilityCommand({ repositoryName: 'scratch', imageTagMutability: 'IMMUTABLE' }),
    );
    const scratch = (await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['scratch'] })))
      .repositories![0]!;
    expect(scratch).toMatchObject({
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
    });
  });

  it('stores pushed manifests by digest, refuses to move an immutable tag, and gets images back', async () => {
    const pushed = await ecr.send(
      new PutImageCommand({
        repositoryName: 'svc-portal',
        imageManifest: manifest('sha256:aa'),
        imageTag: 'good',
      }),
    );
    const digest = pushed.image!.imageId!.imageDigest!;
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    await expect(
      ecr.send(
        new PutImageCommand({
          repositoryName: 'svc-portal',
          imageManifest: manifest('sha256:bb'),
          imageTag: 'good',
        }),
      ),
    ).rejects.toBeInstanceOf(ImageTagAlreadyExistsException);
    const got = await ecr.send(
      new BatchGetImageCommand({
        repositoryName: 'svc-portal',
        imageIds: [{ imageTag: 'good' }, { imageTag: 'missing' }],
      }),
    );
    expect(got.images?.[0]?.imageId?.imageDigest).toBe(digest);
    expect(got.failures?.[0]?.failureCode).toBe('ImageNotFound');
  });

  it('scans on push: IN_PROGRESS, then COMPLETE with the planted findings', async () => {
    const pushed = await ecr.send(
      new PutImageCommand({
        repositoryName: 'svc-portal',
        imageManifest: manifest('sha256:cc'),
        imageTag: 'bad',
      }),
    );
    const imageId = { imageDigest: pushed.image!.imageId!.imageDigest! };
    const early = await ecr.send(
      new DescribeImageScanFindingsCommand({ repositoryName: 'svc-portal', imageId }),
    );
    expect(early.imageScanStatus?.status).toBe('IN_PROGRESS');
    await new Promise((resolve) => setTimeout(resolve, 80));
    const done = await ecr.send(
      new DescribeImageScanFindingsCommand({ repositoryName: 'svc-portal', imageId }),
    );
    expect(done.imageScanStatus?.status).toBe('COMPLETE');
    expect(done.imageScanFindings?.findingSeverityCounts).toEqual({ CRITICAL: 1 });
    expect(done.imageScanFindings?.findings?.[0]).toMatchObject({
      name: 'CVE-2026-0001',
      severity: 'CRITICAL',
      attributes: [
        { key: 'package_name', value: 'openssl' },
        { key: 'package_version', value: '3.0.1' },
      ],
    });
    // BASIC scanning reports `findings` only; Inspector's `enhancedFindings` belong to ENHANCED.
    expect(done.imageScanFindings?.enhancedFindings).toBeUndefined();
    const details = (
      await ecr.send(new DescribeImagesCommand({ repositoryName: 'svc-portal', imageIds: [imageId] }))
    ).imageDetails![0]!;
    expect(details).toMatchObject({
      imageTags: ['bad'],
      imageScanStatus: { status: 'COMPLETE' },
      imageScanFindingsSummary: { findingSeverityCounts: { CRITICAL: 1 } },
    });
  });

  it('says there is no scan for an image pushed without scan on push', async () => {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'unscanned' }));
    const pushed = await ecr.send(
      new PutImageCommand({
        repositoryName: 'unscanned',
        imageManifest: manifest('sha256:dd'),
        imageTag: 'v1',
      }),
    );
    await expect(
      ecr.send(
        new DescribeImageScanFindingsCommand({
          repositoryName: 'unscanned',
          imageId: pushed.image!.imageId!,
        }),
      ),
    ).rejects.toBeInstanceOf(ScanNotFoundException);
  });

  it('with ENHANCED scanning (Inspector): PENDING, then ACTIVE, never COMPLETE, with enhancedFindings only', async () => {
    const enhanced = await startTwin({
      ecr: {
        scanType: 'ENHANCED',
        scanDelayMs: 50,
        findings: {
          'svc-portal': [
            {
              name: 'CVE-2026-0001',
              severity: 'HIGH',
              package: 'openssl',
              packageVersion: '3.0.1',
              fixedVersion: '3.0.15',
            },
          ],
        },
      },
    });
    try {
      const { ecr: client } = clientsFor(enhanced);
      await client.send(new CreateRepositoryCommand({ repositoryName: 'svc-portal' }));
      const pushed = await client.send(
        new PutImageCommand({
          repositoryName: 'svc-portal',
          imageManifest: manifest('sha256:ee'),
          imageTag: 'v1',
        }),
      );
      const imageId = { imageDigest: pushed.image!.imageId!.imageDigest! };
      const read = () =>
        client.send(new DescribeImageScanFindingsCommand({ repositoryName: 'svc-portal', imageId }));
      expect((await read()).imageScanStatus?.status).toBe('PENDING');
      await new Promise((resolve) => setTimeout(resolve, 80));
      const done = await read();
      expect(done.imageScanStatus?.status).toBe('ACTIVE');
      expect(done.imageScanFindings?.findings).toBeUndefined();
      expect(done.imageScanFindings?.enhancedFindings?.[0]).toMatchObject({
        severity: 'HIGH',
        packageVulnerabilityDetails: {
          vulnerabilityId: 'CVE-2026-0001',
          vulnerablePackages: [{ name: 'openssl', version: '3.0.1', fixedInVersion: '3.0.15' }],
        },
      });
    } finally {
      await enhanced.close();
    }
  });
});
