/**
 * Wraps an async task so that calls made while it runs are merged into one more run after it:
 * a burst of N calls costs at most two runs, and every caller's promise settles after a run that
 * started after its call (so it sees what it asked for).
 */
export function coalesced(task: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let again: Promise<void> | undefined;
  const call = (): Promise<void> => {
    if (!running) {
      running = task().finally(() => {
        running = undefined;
      });
      return running;
    }
    again ??= running
      .catch(() => {})
      .then(() => {
        again = undefined;
        return call();
      });
    return again;
  };
  return call;
}
