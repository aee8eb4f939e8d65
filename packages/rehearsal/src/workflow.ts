/**
 * Workflow and action files read by GitHub's own parser (@actions/workflow-parser), with the raw
 * tokens kept beside the converted model: the model leaves out what a runner still needs (`with:`,
 * `working-directory`, `shell`, `permissions`, `defaults`, workflow_call outputs).
 */
import {
  convertWorkflowTemplate,
  isMapping,
  isSequence,
  NoOperationTraceWriter,
  parseWorkflow,
  type WorkflowTemplate,
} from '@actions/workflow-parser';
import {
  convertActionTemplate,
  parseAction,
  type ActionTemplate,
} from '@actions/workflow-parser/actions/index';
import type { MappingToken } from '@actions/workflow-parser/templates/tokens/mapping-token';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export class WorkflowFileError extends Error {
  constructor(file: string, problems: string[]) {
    // The parser reports every token after a YAML error; the first few say what is wrong.
    const shown = problems.slice(0, 3).map((problem) => problem.split('\n')[0]!.replace(`${file}: `, ''));
    super(`${file}: ${shown.join('; ')}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''}`);
    this.name = 'WorkflowFileError';
  }
}

export interface LoadedWorkflow {
  file: string;
  template: WorkflowTemplate;
  root: MappingToken;
}

export interface LoadedAction {
  dir: string;
  template: ActionTemplate;
  root: MappingToken;
}

export async function loadWorkflow(file: string): Promise<LoadedWorkflow> {
  const parsed = parseWorkflow(
    { name: file, content: readFileSync(file, 'utf8') },
    new NoOperationTraceWriter(),
  );
  const problems = parsed.context.errors.getErrors().map((error) => error.message);
  if (problems.length > 0 || !parsed.value || !isMapping(parsed.value))
    throw new WorkflowFileError(file, problems);
  const template = await convertWorkflowTemplate(parsed.context, parsed.value);
  if (template.errors?.length)
    throw new WorkflowFileError(
      file,
      template.errors.map((error) => error.Message),
    );
  return { file, template, root: parsed.value };
}

export function loadAction(dir: string): LoadedAction {
  const file = ['action.yml', 'action.yaml']
    .map((name) => path.join(dir, name))
    .find((name) => existsSync(name));
  if (!file) throw new WorkflowFileError(dir, ['no action.yml']);
  const parsed = parseAction(
    { name: file, content: readFileSync(file, 'utf8') },
    new NoOperationTraceWriter(),
  );
  const problems = parsed.context.errors.getErrors().map((error) => error.message);
  if (problems.length > 0 || !parsed.value || !isMapping(parsed.value))
    throw new WorkflowFileError(file, problems);
  return { dir, template: convertActionTemplate(parsed.context, parsed.value), root: parsed.value };
}

/** The value at a path of mapping keys and sequence indexes in a raw token, if there is one. */
export function at(
  token: TemplateToken | undefined,
  ...keys: (string | number)[]
): TemplateToken | undefined {
  let current = token;
  for (const key of keys) {
    if (!current) return undefined;
    if (typeof key === 'number')
      current = isSequence(current) && key < current.count ? current.get(key) : undefined;
    else current = isMapping(current) ? current.find(key) : undefined;
  }
  return current;
}

/** What a `uses:` names: one of this suite's actions or workflows, a path in the workspace, or someone else's. */
export type UsesTarget =
  | { kind: 'suite-action'; dir: string; name: string }
  | { kind: 'local-action'; dir: string }
  | { kind: 'workflow'; file: string }
  | { kind: 'third-party'; name: string; ref: string };

export const SUITE = 'mpac/actions';

/**
 * Resolves `uses:` the way GitHub does: `owner/repo/path@ref` is the folder `path` of that
 * repository (here, this suite's own checkout), `./path` is relative to the workspace.
 */
export function resolveUses(uses: string, where: { suiteRoot: string; workspace: string }): UsesTarget {
  if (uses.startsWith('./')) {
    const target = path.join(where.workspace, uses);
    return /\.ya?ml$/.test(uses) ? { kind: 'workflow', file: target } : { kind: 'local-action', dir: target };
  }
  const [reference, ref = ''] = uses.split('@');
  if (reference!.startsWith(`${SUITE}/`)) {
    const inner = reference!.slice(SUITE.length + 1);
    const target = path.join(where.suiteRoot, inner);
    if (/\.ya?ml$/.test(inner)) return { kind: 'workflow', file: target };
    return { kind: 'suite-action', dir: target, name: inner };
  }
  return { kind: 'third-party', name: reference!, ref };
}
