/**
 * Short labels for a list of run names that keep the part that tells them apart. Runs named by the
 * default pattern (run-20261204-083015, run-20261204-091200) share a long prefix, and a narrow sidebar
 * would cut every one of them to the same "run-20261204-0…"; without the shared prefix (up to its last
 * separator) they read "…083015" and "…091200".
 */
export function distinguishingLabels(names: readonly string[]): Map<string, string> {
  const labels = new Map<string, string>();
  if (names.length < 2) {
    for (const name of names) labels.set(name, name);
    return labels;
  }
  let prefix = names[0]!;
  for (const name of names) {
    let i = 0;
    while (i < prefix.length && i < name.length && prefix[i] === name[i]) i++;
    prefix = prefix.slice(0, i);
  }
  // Cut only after a separator, so "run-7" and "run-8" keep their whole last part.
  const cut = Math.max(prefix.lastIndexOf('-'), prefix.lastIndexOf('_'), prefix.lastIndexOf('.')) + 1;
  for (const name of names) labels.set(name, cut > 0 && name.length > cut ? `…${name.slice(cut)}` : name);
  return labels;
}

/** Newest first by start time (ISO strings compare as times); runs not started yet (queued) come first. */
export function newestFirst<T extends { started?: string; model: string }>(runs: readonly T[]): T[] {
  return [...runs].sort((a, b) => (b.started ?? '\uffff').localeCompare(a.started ?? '\uffff') || b.model.localeCompare(a.model));
}
