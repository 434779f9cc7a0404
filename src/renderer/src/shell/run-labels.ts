/**
 * Short labels for a list of run names that keep the part that tells them apart. Runs named by the
 * default pattern (run-20261204-083015, run-20261204-091200) share a long prefix, and a narrow sidebar
 * would cut every one of them to the same "run-20261204-0…"; without the shared prefix (up to its last
 * separator) they read "…083015" and "…091200".
 */
export function distinguishingLabels(names: readonly string[]): Map<string, string> {
  const sorted = [...names].sort();
  const labels = new Map<string, string>();
  sorted.forEach((name, i) => {
    // The longest prefix this name shares with another: in sorted order, that is a neighbour's.
    const shared = Math.max(commonPrefixLength(name, sorted[i - 1] ?? ''), commonPrefixLength(name, sorted[i + 1] ?? ''));
    const prefix = name.slice(0, shared);
    // Cut only after a separator, so "run-7" and "run-8" keep their whole last part.
    const cut = Math.max(prefix.lastIndexOf('-'), prefix.lastIndexOf('_'), prefix.lastIndexOf('.')) + 1;
    labels.set(name, cut > 0 && name.length > cut ? `…${name.slice(cut)}` : name);
  });
  return labels;
}

function commonPrefixLength(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** Newest first by start time (ISO strings compare as times); runs not started yet (queued) come first. */
export function newestFirst<T extends { started?: string; model: string }>(runs: readonly T[]): T[] {
  // Plain code-unit order: ISO times sort as times, and it is many times faster than localeCompare on 10,000 runs.
  const order = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
  return [...runs].sort((a, b) => order(b.started ?? '\uffff', a.started ?? '\uffff') || order(b.model, a.model));
}
