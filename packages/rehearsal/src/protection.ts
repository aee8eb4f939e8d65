/**
 * A GitHub environment's protection rules as a job meets them before its first step: the
 * deployment branch and tag policy, the wait timer (said, not waited), required reviewers.
 */
import { asText, type Json } from './expressions.js';
import type { EnvironmentRules } from './types.js';

/**
 * An environment's protection rules, before any step: the deployment branch policy, then the
 * required reviewers (any one listed approves; with prevent-self-review not the actor). Returns
 * why the job does not run, in GitHub's words where it has them.
 */
export function environmentGate(
  environment: string,
  rules: EnvironmentRules | undefined,
  run: {
    github: Record<string, Json>;
    approvals?: string[];
    log: (line: string) => void;
    /** Told who approved, when someone did (the run's review history). */
    approved?: (reviewer: string) => void;
  },
): string | undefined {
  if (!rules) return undefined;
  const ref = asText(run.github.ref ?? '');
  const tag = ref.startsWith('refs/tags/');
  const refName = ref.replace(/^refs\/(heads|tags)\//, '');
  const patterns = tag ? rules.tags : rules.branches;
  if (
    (rules.branches || rules.tags) &&
    !(patterns ?? []).some((pattern) => refPattern(pattern).test(refName))
  )
    return `${tag ? 'Tag' : 'Branch'} "${refName}" is not allowed to deploy to ${environment} due to environment protection rules.`;
  if (rules.waitTimerMinutes)
    run.log(`  ${environment}: wait timer of ${rules.waitTimerMinutes} min (not waited in a rehearsal)`);
  const reviewers = rules.reviewers ?? [];
  if (reviewers.length === 0) return undefined;
  const actor = asText(run.github.actor ?? '');
  const given = run.approvals ?? [];
  const approver = given.find(
    (person) => reviewers.includes(person) && !(rules.preventSelfReview && person === actor),
  );
  if (approver) {
    run.log(`  ${environment}: approved by ${approver}`);
    run.approved?.(approver);
    return undefined;
  }
  const self =
    rules.preventSelfReview && given.includes(actor)
      ? `; ${actor} started the run and may not approve it (prevent self-review)`
      : '';
  const others = given.filter((person) => !reviewers.includes(person));
  const notReviewers = others.length
    ? `; ${others.join(', ')} ${others.length === 1 ? 'is' : 'are'} not a required reviewer`
    : '';
  return `Waiting for review: ${environment} needs an approval from one of ${reviewers.join(', ')}${self}${notReviewers}. Nobody who may approve did; GitHub fails a deployment left waiting for review after 30 days.`;
}

/** GitHub's fnmatch for deployment branch and tag policies: `*` within a segment, `**` across. */
function refPattern(pattern: string): RegExp {
  const source = pattern
    .split('**')
    .map((part) =>
      part
        .split('*')
        .map((piece) => piece.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*'),
    )
    .join('.*');
  return new RegExp(`^${source}$`);
}
