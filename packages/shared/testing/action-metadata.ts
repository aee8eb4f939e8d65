import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

export interface ActionMetadata {
  name: string;
  description: string;
  branding?: { icon?: string; color?: string };
  inputs: Record<string, { description?: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description?: string }>;
  runs: { using: string; main: string; post?: string; 'post-if'?: string };
}

export function readActionMetadata(actionDir: string): ActionMetadata {
  const metadata = parseYaml(readFileSync(path.join(actionDir, 'action.yml'), 'utf8')) as ActionMetadata;
  return { ...metadata, inputs: metadata.inputs ?? {}, outputs: metadata.outputs ?? {} };
}

/**
 * Input values as a runner passes them: action.yml defaults, overridden by `given`. Defaults that
 * are expressions (`${{ github.token }}`) are the runner's to evaluate; here they evaluate to
 * `context` (default: empty, as without a token).
 */
export function inputsWithDefaults(
  metadata: ActionMetadata,
  given: Record<string, string>,
  context: { githubToken?: string } = {},
): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, spec] of Object.entries(metadata.inputs)) {
    if (spec.default === undefined) continue;
    values[name] = String(spec.default).replace(/\$\{\{\s*github\.token\s*\}\}/g, context.githubToken ?? '');
  }
  return { ...values, ...given };
}
