/** How a task started from an image behaves on the data plane; set by the scenario per image. */
export interface ImageBehaviour {
  /** Fraction (0–1) of requests answered with 500, drawn at random. */
  errorRate?: number;
  /** Every Nth request a task answers is a 500: an exact error rate of 1/N, for tests that count. */
  errorEvery?: number;
  /** Status code weights, e.g. `{ "200": 90, "404": 10 }`; used instead of errorRate when given. */
  statusMix?: Record<string, number>;
  /** Response latency in ms of application requests (not health checks): a fixed number, or a range drawn uniformly. */
  latencyMs?: number | { min: number; max: number };
  /** `/health` answers this status (default 200). */
  healthStatus?: number;
  /** Body of `/version` (default the image tag). */
  version?: string;
  /** The task's container exits this long after it starts. */
  crashAfterMs?: number;
  /** The task never starts; the text is its stopped reason. */
  failToStart?: string | boolean;
  /** Fraction (0–1) of requests whose connection is dropped without an answer (the ALB answers 502). */
  dropRate?: number;
  /** A one-off task (RunTask) exits with this code after `runMs` (default 0 after 50 ms). */
  exitCode?: number;
  runMs?: number;
}

/** The image behaviours of a scenario plus changes made while the twin runs (faults). */
export class ImageCatalog {
  private readonly behaviours = new Map<string, ImageBehaviour>();
  private readonly scheduled: { image: string; at: number; change: ImageBehaviour }[] = [];

  constructor(
    initial: Record<string, ImageBehaviour> = {},
    private readonly now: () => number,
    /** Resolves `registry/repo@sha256:…` to the tags ECR knows for it. */
    private readonly tagsOfDigest: (image: string) => string[] = () => [],
  ) {
    for (const [image, behaviour] of Object.entries(initial)) this.behaviours.set(image, behaviour);
  }

  set(image: string, behaviour: ImageBehaviour): void {
    this.behaviours.set(image, behaviour);
  }

  /** From `afterMs` on, the image behaves with `change` merged in (running tasks included). */
  changeAt(image: string, change: ImageBehaviour, afterMs = 0): void {
    this.scheduled.push({ image, at: this.now() + afterMs, change });
  }

  /** The behaviour of an image now: its own, by tag when deployed by digest, or a healthy default. */
  behaviourOf(image: string): ImageBehaviour {
    const names = [image, ...this.tagsOfDigest(image), shortName(image)];
    let behaviour: ImageBehaviour = { version: tagOf(image) };
    for (const name of names) {
      const found = this.behaviours.get(name);
      if (found) {
        behaviour = { version: tagOf(name), ...found };
        break;
      }
    }
    for (const change of this.scheduled) {
      if (change.at <= this.now() && names.includes(change.image))
        behaviour = { ...behaviour, ...change.change };
    }
    return behaviour;
  }
}

function tagOf(image: string): string {
  const at = image.indexOf('@');
  if (at >= 0) return image.slice(at + 1);
  const lastSlash = image.lastIndexOf('/');
  const colon = image.indexOf(':', lastSlash + 1);
  return colon >= 0 ? image.slice(colon + 1) : 'latest';
}

/** `123.dkr.ecr.eu-west-1.amazonaws.com/svc-portal:v2` → `svc-portal:v2`. */
function shortName(image: string): string {
  const firstSlash = image.indexOf('/');
  return firstSlash >= 0 && image.slice(0, firstSlash).includes('.') ? image.slice(firstSlash + 1) : image;
}
