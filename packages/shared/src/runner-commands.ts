/**
 * The runner commands the actions use: inputs, state, outputs, the log and its groups, annotations,
 * masks, the job summary and the job's OIDC token. They write what @actions/core writes (the same
 * escaping, the same file commands), without loading @actions/core, whose HTTP client brings undici
 * (0.4 MB of an action's bundle) where Node's own fetch does.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync } from 'node:fs';
import { EOL } from 'node:os';

function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function issue(
  command: string,
  message: string,
  properties: Record<string, string | number | undefined> = {},
): void {
  const given = Object.entries(properties).filter((entry): entry is [string, string | number] =>
    Boolean(entry[1]),
  );
  const props = given.length
    ? ` ${given.map(([key, value]) => `${key}=${escapeProperty(String(value))}`).join(',')}`
    : '';
  process.stdout.write(`::${command}${props}::${escapeData(message)}${EOL}`);
}

/** An input as the runner passes it (`INPUT_<NAME>`), trimmed; '' when unset. */
export function getInput(name: string): string {
  return (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] || '').trim();
}

export function getState(name: string): string {
  return process.env[`STATE_${name}`] || '';
}

/** `name<<delimiter` … to the runner's file for `kind` (GITHUB_STATE, GITHUB_OUTPUT); false without it. */
function fileCommand(kind: 'STATE' | 'OUTPUT', name: string, value: string): boolean {
  const file = process.env[`GITHUB_${kind}`] || '';
  if (!file) return false;
  if (!existsSync(file)) throw new Error(`Missing file at path: ${file}`);
  const delimiter = `ghadelimiter_${randomUUID()}`;
  appendFileSync(file, `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`, { encoding: 'utf8' });
  return true;
}

/** Saved for the post step: the GITHUB_STATE file command, or `::save-state::` without it. */
export function saveState(name: string, value: string): void {
  if (!fileCommand('STATE', name, value)) issue('save-state', value, { name });
}

/** A step output: the GITHUB_OUTPUT file command, or `::set-output::` without it. */
export function setOutput(name: string, value: string): void {
  if (fileCommand('OUTPUT', name, value)) return;
  process.stdout.write(EOL);
  issue('set-output', value, { name });
}

export function info(message: string): void {
  process.stdout.write(message + EOL);
}

/** Where an annotation points, as @actions/core takes it. */
export interface AnnotationProperties {
  title?: string;
  file?: string;
  startLine?: number;
  endLine?: number;
  startColumn?: number;
  endColumn?: number;
}

/** The properties in the order and with the names @actions/core writes them. */
function annotation(properties: AnnotationProperties): Record<string, string | number | undefined> {
  return {
    title: properties.title,
    file: properties.file,
    line: properties.startLine,
    endLine: properties.endLine,
    col: properties.startColumn,
    endColumn: properties.endColumn,
  };
}

export function notice(message: string, properties: AnnotationProperties = {}): void {
  issue('notice', message, annotation(properties));
}

/** The work's log folded under `name`; the group closes however the work ends. */
export async function group<T>(name: string, work: () => Promise<T>): Promise<T> {
  issue('group', name);
  try {
    return await work();
  } finally {
    issue('endgroup', '');
  }
}

/** Appends raw HTML or Markdown, and a line end, to the job summary (GITHUB_STEP_SUMMARY). */
export function appendSummary(text: string): void {
  const file = process.env.GITHUB_STEP_SUMMARY;
  if (!file)
    throw new Error(
      'Unable to find environment variable for $GITHUB_STEP_SUMMARY. Check if your runtime environment supports job summaries.',
    );
  appendFileSync(file, text + EOL, { encoding: 'utf8' });
}

/** Every request for the job's OIDC token is bounded as a whole; a failed one is tried again. */
const ID_TOKEN_TIMEOUT_MS = 15_000;
const ID_TOKEN_ATTEMPTS = 3;

/**
 * The job's OIDC token for `audience` (the job needs `permissions: id-token: write`), masked in the
 * log at once, as @actions/core's getIDToken does.
 */
export async function getIDToken(audience: string): Promise<string> {
  const base = process.env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const bearer = process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!base) throw new Error('Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable');
  if (!bearer) throw new Error('Unable to get ACTIONS_ID_TOKEN_REQUEST_TOKEN env variable');
  const url = `${base}&audience=${encodeURIComponent(audience)}`;
  debug(`ID token url is ${url}`);
  let last = '';
  for (let attempt = 1; attempt <= ID_TOKEN_ATTEMPTS; attempt++) {
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        headers: { authorization: `Bearer ${bearer}`, accept: 'application/json' },
        signal: AbortSignal.timeout(ID_TOKEN_TIMEOUT_MS),
      });
      text = await response.text();
    } catch (error) {
      last = `Error Message: ${error instanceof Error ? error.message : String(error)}`;
      continue;
    }
    if (response.ok) return maskedToken(text);
    last = `Error Code : ${response.status}`;
    // A refusal stays a refusal: only the runner's own failures are tried again.
    if (response.status < 500 && response.status !== 429) break;
  }
  throw new Error(`Failed to get ID Token. ${last}`);
}

/** The token in the runner's answer, masked before anyone can print it. */
function maskedToken(body: string): string {
  let value: unknown;
  try {
    value = (JSON.parse(body) as { value?: unknown }).value;
  } catch {
    value = undefined;
  }
  if (typeof value !== 'string' || value === '')
    throw new Error('Response json body do not have ID Token field');
  setSecret(value);
  return value;
}

export function setFailed(message: string): void {
  process.exitCode = 1;
  issue('error', message);
}

export function warning(message: string, properties: AnnotationProperties = {}): void {
  issue('warning', message, annotation(properties));
}

export function debug(message: string): void {
  issue('debug', message);
}

export function isDebug(): boolean {
  return process.env.RUNNER_DEBUG === '1';
}

export function setSecret(secret: string): void {
  issue('add-mask', secret);
}
