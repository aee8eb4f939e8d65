/**
 * `concurrency` as GitHub applies it, to workflows and jobs alike: in one group at most one runs
 * and one waits. A newer arrival takes the waiting place and the older waiter is cancelled; with
 * `cancel-in-progress` the running one is cancelled too (its `always()`/`cancelled()` steps and
 * post steps still run) and the newcomer starts once it has finished.
 */
import { asText, evaluateToken, truthy, type Contexts } from './expressions.js';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';

/** Someone in a group: how it is named in messages, and how it is cancelled while it runs. */
export interface GroupMember {
  name: string;
  cancel: (reason: string) => void;
}

interface Waiter {
  member: GroupMember;
  start: (entered: Entered) => void;
}

/** The outcome of asking to run in a group: run (and `leave` when done), or cancelled while waiting. */
export type Entered = { leave: () => void } | { cancelled: string };

/** A `concurrency` value, evaluated: the group and whether a newcomer cancels what runs. */
export interface ConcurrencySetting {
  group: string;
  cancelInProgress: boolean;
}

/** GitHub's words when a newer run or job displaces an older one in a group. */
export const displacedReason = (group: string): string =>
  `Canceling since a higher priority waiting request for '${group}' exists`;

/** Groups shared by every run given the same board (one repository's runs). */
export class ConcurrencyBoard {
  private readonly groups = new Map<string, { running?: GroupMember; waiting?: Waiter }>();

  /**
   * Resolves once `member` may run in `group`, or with why it was cancelled while waiting. While
   * waiting, `log` says whom it waits for.
   */
  enter(setting: ConcurrencySetting, member: GroupMember, log: (line: string) => void): Promise<Entered> {
    const { group, cancelInProgress } = setting;
    const slot = this.groups.get(group) ?? {};
    this.groups.set(group, slot);
    const leave = () => {
      if (slot.running === member) slot.running = undefined;
      const next = slot.waiting;
      if (next && !slot.running) {
        slot.waiting = undefined;
        slot.running = next.member;
        next.start({ leave: leaveFor(next.member) });
      }
      if (!slot.running && !slot.waiting) this.groups.delete(group);
    };
    const leaveFor = (who: GroupMember) => () => {
      if (slot.running === who) leave();
    };
    if (!slot.running) {
      slot.running = member;
      return Promise.resolve({ leave: leaveFor(member) });
    }
    if (slot.waiting) {
      log(`  ${slot.waiting.member.name}: ${displacedReason(group)}`);
      slot.waiting.start({ cancelled: displacedReason(group) });
    }
    if (cancelInProgress) slot.running.cancel(displacedReason(group));
    log(`  ${member.name}: waiting for ${slot.running.name} in concurrency group '${group}'`);
    return new Promise<Entered>((start) => {
      slot.waiting = { member, start };
    });
  }
}

/** A workflow's or job's `concurrency:` (a group name, or `group` and `cancel-in-progress`). */
export function concurrencySetting(
  token: TemplateToken | undefined,
  contexts: Contexts,
): ConcurrencySetting | undefined {
  if (!token) return undefined;
  const value = evaluateToken(token, contexts);
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const group = asText(value.group ?? '');
    return group ? { group, cancelInProgress: truthy(value['cancel-in-progress'] ?? false) } : undefined;
  }
  const group = asText(value);
  return group ? { group, cancelInProgress: false } : undefined;
}
