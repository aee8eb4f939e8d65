import * as core from '@actions/core';

const knownSecrets = new Set<string>();

/** Masks a secret in the runner's log at once and remembers it so error messages can be redacted. */
export function registerSecret(value: string | undefined): void {
  if (!value) return;
  core.setSecret(value);
  knownSecrets.add(value);
}

/** Replaces every registered secret in `text` with `***`. */
export function redactSecrets(text: string): string {
  let redacted = text;
  for (const secret of knownSecrets) redacted = redacted.split(secret).join('***');
  return redacted;
}
