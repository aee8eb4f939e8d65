/**
 * What a runner does around a step's process, as GitHub's runner does it: INPUT_* names, the file
 * commands (GITHUB_OUTPUT, GITHUB_ENV, GITHUB_STATE: `key=value` and `key<<DELIMITER` blocks),
 * the workflow commands in a step's output (`::add-mask::`, `::error::` and friends, with their
 * escapes), and masking in logs. The rehearsal and the test helper that runs one bundled action
 * both build on these.
 */

export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  message: string;
  properties: Record<string, string>;
}

/** The runner's name mangling: `role-to-assume` → `INPUT_ROLE-TO-ASSUME`. */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/** Parses GITHUB_OUTPUT-style files: `key<<DELIMITER` blocks and plain `key=value` lines. */
export function parseFileCommands(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, key, delimiter] = heredoc;
      const valueLines: string[] = [];
      index++;
      while (index < lines.length && lines[index] !== delimiter) valueLines.push(lines[index++]!);
      values[key!] = valueLines.join('\n');
      continue;
    }
    const separator = line.indexOf('=');
    if (separator > 0) values[line.slice(0, separator)] = line.slice(separator + 1);
  }
  return values;
}

/** Takes masks and annotations out of a step's output; what remains is what its log shows. */
export function consumeWorkflowCommands(output: string): {
  masks: string[];
  annotations: Annotation[];
  visible: string;
} {
  const masks: string[] = [];
  const annotations: Annotation[] = [];
  const visible: string[] = [];
  // `::stop-commands::<token>` turns command processing off until a line `::<token>::`.
  let stoppedUntil: string | undefined;
  for (const line of output.split('\n')) {
    if (stoppedUntil !== undefined) {
      if (line === stoppedUntil) stoppedUntil = undefined;
      else visible.push(line);
      continue;
    }
    const stop = /^::stop-commands::(.+)$/.exec(line);
    if (stop) {
      stoppedUntil = `::${stop[1]}::`;
      continue;
    }
    const mask = /^::add-mask::(.*)$/.exec(line);
    if (mask) {
      masks.push(unescapeData(mask[1]!));
      continue;
    }
    const annotation = /^::(error|warning|notice)( [^:]*)?::(.*)$/.exec(line);
    if (annotation) {
      const properties: Record<string, string> = {};
      for (const pair of (annotation[2] ?? '').trim().split(',').filter(Boolean)) {
        const [key, ...rest] = pair.split('=');
        properties[key!] = unescapeData(rest.join('='));
      }
      annotations.push({
        level: annotation[1] as Annotation['level'],
        message: unescapeData(annotation[3]!),
        properties,
      });
    }
    visible.push(line);
  }
  return { masks, annotations, visible: visible.join('\n') };
}

function unescapeData(text: string): string {
  return text
    .replace(/%0D/g, '\r')
    .replace(/%0A/g, '\n')
    .replace(/%3A/g, ':')
    .replace(/%2C/g, ',')
    .replace(/%25/g, '%');
}

/** Replaces every masked value with `***`, longest first (a mask inside another is not left half shown). */
export function applyMasks(text: string, masks: string[]): string {
  let masked = text;
  for (const secret of masks.filter((value) => value.length > 0).sort((a, b) => b.length - a.length)) {
    masked = masked.split(secret).join('***');
  }
  return masked;
}
