/**
 * The few runner commands an action's entry needs before the rest of it loads: inputs, state, the
 * failure, annotations, masks. They write what @actions/core writes (the same escaping, the same
 * GITHUB_STATE file command), without loading @actions/core, whose OIDC client brings an HTTP stack
 * (undici) that a run failing on a bad input never needs.
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

function issue(command: string, message: string, properties: Record<string, string> = {}): void {
  const given = Object.entries(properties).filter(([, value]) => value);
  const props = given.length
    ? ` ${given.map(([key, value]) => `${key}=${escapeProperty(value)}`).join(',')}`
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

/** Saved for the post step: the GITHUB_STATE file command, or `::save-state::` without it. */
export function saveState(name: string, value: string): void {
  const file = process.env.GITHUB_STATE || '';
  if (!file) return issue('save-state', value, { name });
  if (!existsSync(file)) throw new Error(`Missing file at path: ${file}`);
  const delimiter = `ghadelimiter_${randomUUID()}`;
  appendFileSync(file, `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`, { encoding: 'utf8' });
}

export function setFailed(message: string): void {
  process.exitCode = 1;
  issue('error', message);
}

export function warning(message: string): void {
  issue('warning', message);
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
