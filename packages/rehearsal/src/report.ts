/** A rehearsal as a person reads it: jobs and their results, what was not run or stood in for. */
import type { JobRecord, StepRecord, WorkflowRecord } from './types.js';

/** Every job that ran steps, depth first: matrix legs and called workflows' jobs included. */
export function jobsOf(record: WorkflowRecord): JobRecord[] {
  const walk = (jobs: JobRecord[]): JobRecord[] =>
    jobs.flatMap((job) => [job, ...walk(job.legs ?? []), ...walk(job.called?.jobs ?? [])]);
  return walk(record.jobs);
}

/** The job (or leg) with this name or path, e.g. `production (svc-portal)` or `production/deploy`. */
export function findJob(record: WorkflowRecord, name: string): JobRecord | undefined {
  return jobsOf(record).find((job) => job.name === name || job.path === name);
}

export function findStep(record: WorkflowRecord, key: string): StepRecord | undefined {
  for (const job of jobsOf(record)) {
    const step = job.steps.find((entry) => entry.key === key);
    if (step) return step;
  }
  return undefined;
}

/** One line per job that ran or was skipped, then what the rehearsal did not do itself. */
export function formatRehearsal(record: WorkflowRecord): string[] {
  const lines = ['| job | result | environment | steps |', '|---|---|---|---|'];
  for (const job of jobsOf(record)) {
    if (job.legs || job.called) continue;
    const counts = new Map<string, number>();
    for (const step of job.steps) {
      const label =
        step.outcome === 'skipped'
          ? 'skipped'
          : step.kind === 'action' || step.kind === 'composite'
            ? 'ran'
            : step.kind === 'run'
              ? 'ran'
              : step.kind;
      counts.set(label, (counts.get(label) ?? 0) + 1);
    }
    const steps = [...counts].map(([label, count]) => `${count} ${label}`).join(', ') || '—';
    lines.push(`| ${job.name} | ${job.result} | ${job.environment ?? '—'} | ${steps} |`);
  }
  const notRun = new Set<string>();
  const stubbed = new Set<string>();
  const overridden = new Set<string>();
  for (const job of jobsOf(record))
    for (const step of job.steps) {
      if (step.kind === 'not-run') notRun.add(step.note?.split(' is a third-party')[0] ?? step.name);
      if (step.kind === 'stubbed') stubbed.add(step.key.replace(/ \(.*?\)/, ''));
      for (const entry of step.overridden) overridden.add(entry);
    }
  if (notRun.size > 0)
    lines.push('', `Third-party actions not run (counted as success): ${[...notRun].sort().join(', ')}`);
  if (stubbed.size > 0)
    lines.push(
      `Run steps replaced by stand-ins (toolchains not on this machine): ${[...stubbed].sort().join(', ')}`,
    );
  if (overridden.size > 0)
    lines.push(`Inputs scaled for the rehearsal (minutes as seconds): ${[...overridden].sort().join('; ')}`);
  return lines;
}
