/** At most this many problems are named in one error answer; the rest are counted. */
export const MAX_PROBLEMS = 10;

/** Longest text of one named problem, characters (a key may be as long as the payload). */
const MAX_PROBLEM_CHARS = 1000;

/**
 * The problems of one command as one error text: the first 10, each cut at 1000 characters, and
 * how many more there were; under 16 KiB whatever was sent (README, "Hostile input").
 */
export function listProblems(problems: readonly string[]): string {
  const named = problems
    .slice(0, MAX_PROBLEMS)
    .map((p) => (p.length > MAX_PROBLEM_CHARS ? `${p.slice(0, MAX_PROBLEM_CHARS)}…` : p));
  const rest = problems.length - named.length;
  return rest > 0
    ? `${named.join('; ')}; and ${rest} more problem${rest === 1 ? '' : 's'}`
    : named.join('; ');
}
