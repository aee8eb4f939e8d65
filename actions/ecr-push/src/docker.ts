/** The docker CLI, through @actions/exec: the password only ever goes to stdin. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ActionError } from '../../../packages/shared/src/errors.js';

export type Exec = (
  command: string,
  args: string[],
  options?: { input?: Buffer; silent?: boolean; ignoreReturnCode?: boolean },
) => Promise<{ exitCode: number; stdout: string; stderr: string }>;

export interface BuildOptions {
  context: string;
  dockerfile?: string;
  target?: string;
  buildArgs: Map<string, string>;
  platforms: string[];
  labels: Map<string, string>;
  refs: string[];
  push: boolean;
  /** `gha`: BuildKit's GitHub Actions cache, read and written (mode=max). */
  cache: 'gha' | 'none';
  /** Environment variable names handed to the build as secrets (`--secret id=X,env=X`): values never on a command line. */
  secrets: string[];
}

export class Docker {
  constructor(private readonly exec: Exec) {}

  async login(registry: string, username: string, password: string): Promise<void> {
    const result = await this.exec(
      'docker',
      ['login', '--username', username, '--password-stdin', registry],
      { input: Buffer.from(password), ignoreReturnCode: true },
    );
    if (result.exitCode !== 0)
      throw new ActionError(
        `docker login to ${registry} failed: ${lastLine(result.stderr || result.stdout)}`,
      );
  }

  async logout(registry: string): Promise<void> {
    await this.exec('docker', ['logout', registry], { ignoreReturnCode: true });
  }

  /** The arguments of `docker buildx build`, in a fixed order so they can be asserted. */
  static buildArgs(options: BuildOptions, metadataFile: string): string[] {
    const args = ['buildx', 'build'];
    if (options.dockerfile) args.push('--file', options.dockerfile);
    if (options.target) args.push('--target', options.target);
    for (const [key, value] of options.buildArgs) args.push('--build-arg', `${key}=${value}`);
    if (options.platforms.length > 0) args.push('--platform', options.platforms.join(','));
    for (const [key, value] of options.labels) args.push('--label', `${key}=${value}`);
    for (const ref of options.refs) args.push('--tag', ref);
    if (options.cache === 'gha') args.push('--cache-from', 'type=gha', '--cache-to', 'type=gha,mode=max');
    for (const name of options.secrets) args.push('--secret', `id=${name},env=${name}`);
    args.push('--metadata-file', metadataFile, options.push ? '--push' : '--load', options.context);
    return args;
  }

  /** Builds (and pushes) with buildx; returns the manifest digest from buildx's metadata file. */
  async build(options: BuildOptions): Promise<{ digest?: string; output: string }> {
    const dir = mkdtempSync(path.join(tmpdir(), 'mpac-buildx-'));
    const metadataFile = path.join(dir, 'metadata.json');
    try {
      const result = await this.exec('docker', Docker.buildArgs(options, metadataFile), {
        ignoreReturnCode: true,
      });
      const output = `${result.stdout}\n${result.stderr}`;
      if (result.exitCode !== 0) return { output: `exit ${result.exitCode}: ${output}` };
      let metadata: Record<string, unknown>;
      try {
        metadata = JSON.parse(readFileSync(metadataFile, 'utf8')) as Record<string, unknown>;
      } catch {
        throw new ActionError(
          'docker buildx wrote no metadata file, so the pushed digest is unknown; is buildx at least 0.6?',
        );
      }
      const digest = metadata['containerimage.digest'];
      return { digest: typeof digest === 'string' ? digest : undefined, output };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Tags a local image under each ref and pushes it; returns the digest docker push reports. */
  async tagAndPush(image: string, refs: string[]): Promise<{ digest?: string; output: string }> {
    let digest: string | undefined;
    let output = '';
    for (const ref of refs) {
      const tagged = await this.exec('docker', ['tag', image, ref], { ignoreReturnCode: true });
      if (tagged.exitCode !== 0)
        throw new ActionError(
          `docker tag ${image} ${ref} failed: ${lastLine(tagged.stderr || tagged.stdout)}; is the image input the name of a local image?`,
        );
      const pushed = await this.exec('docker', ['push', ref], { ignoreReturnCode: true });
      output += `${pushed.stdout}\n${pushed.stderr}`;
      if (pushed.exitCode !== 0) return { output: `exit ${pushed.exitCode}: ${output}` };
      digest = /digest: (sha256:[0-9a-f]{64})/.exec(pushed.stdout)?.[1] ?? digest;
    }
    return { digest, output };
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}
