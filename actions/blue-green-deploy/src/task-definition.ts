/** Rendering a task definition: pure functions over plain objects. */
import { parse as parseYaml } from 'yaml';
import { InputError } from '../../../packages/shared/src/errors.js';

type Json = Record<string, unknown>;

/** Fields DescribeTaskDefinition returns that RegisterTaskDefinition refuses. */
export const DESCRIBE_ONLY_FIELDS = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
] as const;

export interface RenderOptions {
  containerName?: string;
  image?: string;
  environment: Map<string, string>;
  secrets: Map<string, string>;
  dockerLabels: Map<string, string>;
  logOptions: Map<string, string>;
}

export interface Rendered {
  definition: Json;
  /** What rendering did that a person should know (dropped fields). */
  notices: string[];
}

/** Parses a task definition file's text (JSON or YAML); `source` names it in errors. */
export function parseTaskDefinitionText(text: string, source: string): Json {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new InputError(
      'task-definition',
      `points to ${source}, which is not valid JSON or YAML (${reason})`,
      'deploy/task-definition.json',
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InputError(
      'task-definition',
      `points to ${source}, which is not a task definition object`,
      'deploy/task-definition.json',
    );
  }
  const definition = value as Json;
  if (!Array.isArray(definition.containerDefinitions) || definition.containerDefinitions.length === 0) {
    throw new InputError(
      'task-definition',
      `points to ${source}, which has no containerDefinitions`,
      'deploy/task-definition.json',
    );
  }
  return definition;
}

/** Applies image, environment, secrets, labels and log options; drops describe-only fields. */
export function renderTaskDefinition(template: Json, options: RenderOptions): Rendered {
  const definition = structuredClone(template);
  const notices: string[] = [];
  const dropped = DESCRIBE_ONLY_FIELDS.filter((field) => field in definition);
  for (const field of dropped) delete definition[field];
  if (dropped.length > 0)
    notices.push(`Dropped describe-only fields the ECS API refuses: ${dropped.join(', ')}`);

  const containers = definition.containerDefinitions as Json[];
  const needsContainer =
    options.image ||
    options.environment.size ||
    options.secrets.size ||
    options.dockerLabels.size ||
    options.logOptions.size;
  if (!needsContainer) return { definition, notices };
  const names = containers.map((container) => String(container.name));
  let container: Json | undefined;
  if (options.containerName) {
    container = containers.find((candidate) => candidate.name === options.containerName);
    if (!container) {
      throw new InputError(
        'container-name',
        `names '${options.containerName}', but the task definition has no such container (it has ${names.join(', ')})`,
        names[0] ?? 'app',
      );
    }
  } else if (containers.length === 1) {
    container = containers[0]!;
  } else {
    throw new InputError(
      'container-name',
      `is needed: the task definition has ${containers.length} containers (${names.join(', ')})`,
      names[0] ?? 'app',
    );
  }
  if (options.image) container.image = options.image;
  if (options.environment.size)
    container.environment = mergeNamed(container.environment, options.environment, 'value');
  if (options.secrets.size) container.secrets = mergeNamed(container.secrets, options.secrets, 'valueFrom');
  if (options.dockerLabels.size)
    container.dockerLabels = {
      ...(container.dockerLabels as Json | undefined),
      ...Object.fromEntries(options.dockerLabels),
    };
  if (options.logOptions.size) {
    const logConfiguration = container.logConfiguration as Json | undefined;
    if (!logConfiguration?.logDriver) {
      throw new InputError(
        'log-configuration-options',
        `cannot be applied: container '${String(container.name)}' has no logConfiguration with a logDriver`,
        'awslogs-group=/ecs/svc-portal',
      );
    }
    logConfiguration.options = {
      ...(logConfiguration.options as Json | undefined),
      ...Object.fromEntries(options.logOptions),
    };
  }
  return { definition, notices };
}

function mergeNamed(existing: unknown, updates: Map<string, string>, field: 'value' | 'valueFrom'): Json[] {
  const list = ((existing as Json[] | undefined) ?? []).map((entry) => ({ ...entry }));
  for (const [name, value] of updates) {
    const found = list.find((entry) => entry.name === name);
    if (found) found[field] = value;
    else list.push({ name, [field]: value });
  }
  return list;
}

/**
 * Whether two task definitions register the same thing: describe-only fields, empty lists and
 * objects, and key order do not count.
 */
export function sameTaskDefinition(a: Json, b: Json): boolean {
  return JSON.stringify(normalize(stripDescribeOnly(a))) === JSON.stringify(normalize(stripDescribeOnly(b)));
}

function stripDescribeOnly(definition: Json): Json {
  const copy = { ...definition };
  for (const field of DESCRIBE_ONLY_FIELDS) delete copy[field];
  delete copy.tags;
  return copy;
}

function normalize(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(normalize).filter((item) => item !== undefined);
    return items.length === 0 ? undefined : items;
  }
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const entries = Object.entries(value)
      .map(([key, item]) => [key, normalize(item)] as const)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => a.localeCompare(b));
    return entries.length === 0 ? undefined : Object.fromEntries(entries);
  }
  return value === null ? undefined : value;
}
