/**
 * `--lanes N` for chaos and bench: how many of their scenarios run at once, and the small pool that
 * runs them so (N at a time, the longest first, each lane taking the next when one ends).
 */

/** `--lanes N` (1 to 8, default 1) and the names given besides it; a bad N exits 2 naming what was wrong. */
export function lanesFrom(args: string[], tool: string, what: string): { lanes: number; named: string[] } {
  const at = args.indexOf('--lanes');
  const lanes = at >= 0 ? Number(args[at + 1]) : 1;
  if (!Number.isInteger(lanes) || lanes < 1 || lanes > 8) {
    console.error(
      `${tool}: --lanes takes a whole number of ${what} to run at once, 1 to 8; got ${args[at + 1] ?? 'nothing'}`,
    );
    process.exit(2);
  }
  const named = args.filter((arg, index) => !arg.startsWith('-') && (at < 0 || index !== at + 1));
  return { lanes, named };
}

/**
 * Runs `run` for every name, `lanes` at a time: the longest first by `typicalSeconds` (what each took
 * in CI; a name not there counts as 0), so the lanes end together rather than one long scenario
 * starting last. Names of equal length keep their order (the sort is stable).
 */
export async function inLanes(
  names: string[],
  lanes: number,
  run: (name: string) => Promise<void>,
  typicalSeconds: Record<string, number> = {},
): Promise<void> {
  const seconds = (name: string) => typicalSeconds[name] ?? 0;
  const queue = [...names].sort((a, b) => seconds(b) - seconds(a));
  await Promise.all(
    Array.from({ length: Math.min(lanes, queue.length) }, async () => {
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) await run(name);
    }),
  );
}
