/**
 * The `scheduled-tasks` input, read before any AWS client loads: schedule names, `group/name`, their
 * ARNs, `rule/<name>`, `rule/<bus>/<name>`, rule ARNs, or `auto`.
 */
import { InputError } from '../errors.js';

export type ScheduledTaskRef =
  { via: 'scheduler'; group: string; name: string } | { via: 'events'; bus: string; rule: string };

/** `scheduled-tasks`: none, every one that runs the family (`auto`), or these. */
export type ScheduledTasksInput = { auto: true } | { auto: false; refs: ScheduledTaskRef[] };

export const EXAMPLE = 'matcher, reports/nightly, rule/matcher-nightly (or auto)';
const NAME = /^[0-9a-zA-Z-_.]{1,64}$/;

/** Reads `scheduled-tasks`: schedule names (`group/name`), ARNs, `rule/<name>` or `rule/<bus>/<name>`, or `auto`. */
export function parseScheduledTasks(raw: string, input = 'scheduled-tasks'): ScheduledTasksInput | undefined {
  const entries = raw
    .split(/[\n,]/)
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) return undefined;
  if (entries.includes('auto')) {
    if (entries.length > 1)
      throw new InputError(
        input,
        `is 'auto' together with names (${raw.trim()}); give one or the other`,
        EXAMPLE,
      );
    return { auto: true };
  }
  const refs = entries.map((entry): ScheduledTaskRef => {
    const scheduleArn = /^arn:aws[a-z-]*:scheduler:[a-z0-9-]+:\d{12}:schedule\/([^/]+)\/([^/]+)$/.exec(entry);
    if (scheduleArn) return { via: 'scheduler', group: scheduleArn[1]!, name: scheduleArn[2]! };
    const ruleArn = /^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:rule\/(?:([^/]+)\/)?([^/]+)$/.exec(entry);
    if (ruleArn) return { via: 'events', bus: ruleArn[1] ?? 'default', rule: ruleArn[2]! };
    const parts = entry.split('/');
    if (
      parts[0] === 'rule' &&
      (parts.length === 2 || parts.length === 3) &&
      parts.slice(1).every((part) => NAME.test(part))
    )
      return parts.length === 2
        ? { via: 'events', bus: 'default', rule: parts[1]! }
        : { via: 'events', bus: parts[1]!, rule: parts[2]! };
    if ((parts.length === 1 || parts.length === 2) && parts.every((part) => NAME.test(part)))
      return parts.length === 1
        ? { via: 'scheduler', group: 'default', name: parts[0]! }
        : { via: 'scheduler', group: parts[0]!, name: parts[1]! };
    throw new InputError(
      input,
      `names '${entry}', which is not a schedule (name, group/name or its ARN) nor an EventBridge rule (rule/<name>, rule/<bus>/<name> or its ARN)`,
      EXAMPLE,
    );
  });
  return { auto: false, refs };
}
