/**
 * One redaction for every log line, summary, report, JUnit file and output: secrets registered
 * with the runner (inputs, credentials, secret headers), the userinfo of any URL, and the values of
 * query parameters and headers whose names say they are secret.
 */
import * as core from './runner-commands.js';

const knownSecrets = new Set<string>();

/** Names of query parameters and headers whose values are secret, whatever the user marked. */
export const SECRET_NAME = /token|auth|key|secret|passw|session|signature|credential|cookie/i;

/** Masks a secret in the runner's log at once and remembers it so error messages can be redacted. */
export function registerSecret(value: string | undefined): void {
  if (!value) return;
  core.setSecret(value);
  knownSecrets.add(value);
  // A secret also travels percent-encoded (in a URL) and as the runner would show it.
  const encoded = encodeURIComponent(value);
  if (encoded !== value) {
    core.setSecret(encoded);
    knownSecrets.add(encoded);
  }
}

/** What a URL holds that is secret: its userinfo and its secret-named query values. */
export function urlSecrets(text: string | undefined): string[] {
  if (!text) return [];
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return [];
  }
  const found: string[] = [];
  if (url.password) found.push(`${url.username}:${url.password}`, decodeURIComponent(url.password));
  else if (url.username) found.push(decodeURIComponent(url.username));
  for (const [name, value] of url.searchParams) if (SECRET_NAME.test(name) && value) found.push(value);
  return found;
}

/** Registers a URL's secrets (userinfo, secret-named query values) with the runner. */
export function registerUrlSecrets(text: string | undefined): void {
  for (const secret of urlSecrets(text)) registerSecret(secret);
}

/** A URL as it may be shown: userinfo and secret-named query values replaced by `***`. */
export function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  let changed = false;
  if (url.username || url.password) {
    url.username = '***';
    url.password = '';
    changed = true;
  }
  for (const name of [...url.searchParams.keys()])
    if (SECRET_NAME.test(name)) {
      url.searchParams.set(name, '***');
      changed = true;
    }
  return changed ? url.toString().replace(/%2A%2A%2A/g, '***') : text;
}

/** URLs of any scheme inside a text (a log line, a checks file, an error message). */
export const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;

/** Replaces every registered secret and every URL's secret parts in `text` with `***`. */
export function redactSecrets(text: string): string {
  let redacted = text.replace(URL_IN_TEXT, (url) => redactUrl(url));
  for (const secret of [...knownSecrets].sort((a, b) => b.length - a.length))
    redacted = redacted.split(secret).join('***');
  return redacted;
}
