/** The standby's image: an ECR reference (pure: read with the inputs, before any SDK loads). */

/** An ECR image reference: `<account>.dkr.ecr.<region>.amazonaws.com/<repository>` with `:tag` or `@sha256:…`. */
export interface EcrImage {
  registryId: string;
  region: string;
  host: string;
  repository: string;
  tag?: string;
  digest?: string;
}

const ECR_IMAGE =
  /^((\d{12})\.dkr\.ecr\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?)\/([a-z0-9][a-z0-9._/-]*)(?::([\w][\w.-]{0,127})|@(sha256:[0-9a-f]{64}))$/;

export function parseEcrImage(image: string): EcrImage | undefined {
  const match = ECR_IMAGE.exec(image);
  if (!match) return undefined;
  return {
    host: match[1]!,
    registryId: match[2]!,
    region: match[3]!,
    repository: match[4]!,
    ...(match[5] ? { tag: match[5] } : {}),
    ...(match[6] ? { digest: match[6] } : {}),
  };
}
