/** The optional config file: components by path glob, thresholds, per-file minimum, excludes, path-map. */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { InputError } from '../../../packages/shared/src/errors.js';
import { FORMATS, type Format } from './detect.js';
import { METRICS } from './inputs.js';

export interface Component {
  name: string;
  paths: string[];
  threshold?: number;
  metric?: (typeof METRICS)[number];
}

export interface GateConfig {
  components: Component[];
  exclude: string[];
  fileMinimum?: number;
  pathMap: [string, string][];
  /** Report glob → format, when detection from content should be overridden. */
  formats: [string, Format][];
}

/** No config file: one overall gate, nothing excluded or rewritten. */
export const NO_CONFIG: GateConfig = { components: [], exclude: [], pathMap: [], formats: [] };

const EXAMPLE = 'components:\n  - name: svc-portal\n    paths: ["services/svc-portal/**"]\n    threshold: 85';

export function loadConfig(file: string | undefined): GateConfig {
  if (!file) return NO_CONFIG;
  let document: unknown;
  try {
    document = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new InputError(
      'config',
      `points to ${file}, which cannot be read as YAML (${(error as Error).message.split('\n')[0]})`,
      EXAMPLE,
    );
  }
  const fail = (problem: string): never => {
    throw new InputError('config', `${file}: ${problem}`, EXAMPLE);
  };
  if (document === null || typeof document !== 'object' || Array.isArray(document))
    return fail('must be a mapping');
  const raw = document as Record<string, unknown>;
  const unknown = Object.keys(raw).filter(
    (key) => !['components', 'exclude', 'file-minimum', 'path-map', 'formats'].includes(key),
  );
  if (unknown.length > 0)
    fail(`unknown key '${unknown[0]}' (known: components, exclude, file-minimum, path-map, formats)`);
  const components = ((raw.components as unknown[] | undefined) ?? []).map((entry, index) => {
    if (entry === null || typeof entry !== 'object') return fail(`components[${index}] must be a mapping`);
    const component = entry as Record<string, unknown>;
    const extra = Object.keys(component).filter(
      (key) => !['name', 'paths', 'threshold', 'metric'].includes(key),
    );
    if (extra.length > 0)
      fail(`components[${index}] has unknown key '${extra[0]}' (known: name, paths, threshold, metric)`);
    if (typeof component.name !== 'string' || !component.name) fail(`components[${index}] needs a name`);
    const paths = Array.isArray(component.paths)
      ? component.paths.map(String)
      : typeof component.paths === 'string'
        ? [component.paths]
        : fail(`component '${String(component.name)}' needs paths (globs)`);
    const threshold = component.threshold === undefined ? undefined : Number(component.threshold);
    if (threshold !== undefined && (!Number.isFinite(threshold) || threshold < 0 || threshold > 100))
      fail(`component '${String(component.name)}' threshold must be 0–100`);
    if (component.metric !== undefined && !METRICS.includes(component.metric as never))
      fail(`component '${String(component.name)}' metric must be one of ${METRICS.join(', ')}`);
    return {
      name: String(component.name),
      paths,
      threshold,
      metric: component.metric as Component['metric'],
    };
  });
  const fileMinimum = raw['file-minimum'] === undefined ? undefined : Number(raw['file-minimum']);
  if (fileMinimum !== undefined && (!Number.isFinite(fileMinimum) || fileMinimum < 0 || fileMinimum > 100))
    fail('file-minimum must be 0–100');
  const pathMapRaw = raw['path-map'] ?? {};
  if (typeof pathMapRaw !== 'object' || Array.isArray(pathMapRaw))
    fail('path-map must map prefixes to replacements');
  return {
    components,
    exclude: ((raw.exclude as unknown[] | undefined) ?? []).map(String),
    fileMinimum,
    pathMap: Object.entries(pathMapRaw as Record<string, unknown>).map(([from, to]) => [
      from,
      String(to ?? ''),
    ]),
    formats: Object.entries((raw.formats as Record<string, unknown> | undefined) ?? {}).map(
      ([glob, format]) => {
        if (!FORMATS.includes(String(format) as Format))
          fail(`formats: '${glob}' names '${String(format)}'; use one of ${FORMATS.join(', ')}`);
        return [glob, String(format) as Format];
      },
    ),
  };
}
