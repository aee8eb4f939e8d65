/** Streaming XML for the XML formats: nothing external is ever loaded; errors carry the file and line. */
import { createReadStream } from 'node:fs';
import { SaxesParser } from 'saxes';
import { CoverageError } from '../model.js';

export interface XmlHandlers {
  open(name: string, attributes: Record<string, string>, fail: (problem: string) => void): void;
  close?(name: string, text: string): void;
}

export async function streamXml(filePath: string, handlers: XmlHandlers): Promise<void> {
  const parser = new SaxesParser({ xmlns: false, position: true });
  const stack: string[] = [];
  let text = '';
  let error: Error | undefined;
  const fail = (problem: string) => {
    error ??= new CoverageError(`${filePath}:${parser.line}: ${problem}`);
  };
  // A DOCTYPE (JaCoCo and istanbul's Cobertura write one) is only text to saxes: never fetched or expanded.
  parser.on('opentag', (tag) => {
    stack.push(tag.name);
    text = '';
    handlers.open(tag.name, tag.attributes as Record<string, string>, fail);
  });
  parser.on('text', (chunk) => {
    text += chunk;
  });
  parser.on('closetag', (tag) => {
    stack.pop();
    handlers.close?.(tag.name, text);
  });
  parser.on('error', (problem) => fail(problem.message.split('\n')[0]!));
  for await (const chunk of createReadStream(filePath, { encoding: 'utf8' })) {
    parser.write(chunk as string);
    if (error) break;
  }
  if (!error) {
    try {
      parser.close();
    } catch (problem) {
      fail((problem as Error).message.split('\n')[0]!);
    }
  }
  if (!error && stack.length > 0) fail(`the XML ends inside <${stack.at(-1)}>: truncated?`);
  if (error) throw error;
}

/** A non-negative whole-number attribute, or a failure naming it. */
export function count(
  attributes: Record<string, string>,
  name: string,
  element: string,
  fail: (problem: string) => void,
): number {
  const value = Number(attributes[name] ?? '0');
  if (!Number.isInteger(value) || value < 0) {
    fail(`<${element}> ${name} '${attributes[name]}' is not a non-negative whole number`);
    return 0;
  }
  return value;
}
