/** The usage examples of a README, as a person copies them, made into workflow files to read or run. */
import { readFileSync } from 'node:fs';

/** The ```yaml blocks of a README, in order. */
export function yamlBlocks(readme: string): string[] {
  return [...readFileSync(readme, 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

/** The ```yaml blocks of a README that use this suite's actions, leaving out sketches with `...`. */
export function readmeExamples(readme: string): string[] {
  return yamlBlocks(readme).filter(
    (block) => /uses: mpac\/actions\//.test(block) && !/\.\.\.\s*}/.test(block),
  );
}

/**
 * A README block as the one job of a workflow: a job body (permissions, steps) or a list of steps,
 * as written; around it only what it refers to and does not show (a build job whose outputs it
 * reads, the environment it deploys to).
 */
export function exampleWorkflow(
  block: string,
  around: { environment?: string; build?: Record<string, string> } = {},
): string {
  const indent = (text: string, spaces: number) =>
    text
      .split('\n')
      .map((line) => (line ? ' '.repeat(spaces) + line : line))
      .join('\n');
  const lines = ['on: push', 'jobs:'];
  if (around.build) {
    lines.push('  build:', '    runs-on: ubuntu-latest', '    outputs:');
    for (const name of Object.keys(around.build))
      lines.push(`      ${name}: \${{ steps.out.outputs.${name} }}`);
    lines.push('    steps:', '      - id: out', '        run: |');
    for (const [name, value] of Object.entries(around.build))
      lines.push(`          echo "${name}=${value}" >> "$GITHUB_OUTPUT"`);
  }
  lines.push('  example:', '    runs-on: ubuntu-latest');
  if (around.build) lines.push('    needs: build');
  if (around.environment) lines.push(`    environment: ${around.environment}`);
  const body = block.trimStart().startsWith('- ') ? `    steps:\n${indent(block, 6)}` : indent(block, 4);
  return `${lines.join('\n')}\n${body}`;
}
