/** Step outputs, redacted: an output is read by later steps and shown in the UI, never masked. */
import * as core from './runner-commands.js';
import { redactSecrets } from './secrets.js';

export function setOutput(name: string, value: string | number | boolean | undefined): void {
  core.setOutput(name, redactSecrets(value === undefined ? '' : String(value)));
}
