// Summarises a V8 .cpuprofile (from `node --cpu-prof`): the functions with the most self time, and
// the inclusive time of functions whose name or file matches the given patterns.
// usage: node bench/cpuprofile-summary.mjs FILE.cpuprofile [--top N] [pattern...]
//   a pattern is `name` (function or method name, `Class.name` matches too) or `name@file-substring`,
//   e.g. scanCsv assemble@preprocess fitLoop
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
const [file, ...patterns] = positionals;
if (!file) {
  console.error('usage: node bench/cpuprofile-summary.mjs FILE.cpuprofile [--top N] [name[@file]...]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const label = (n) => {
  const { functionName, url, lineNumber } = n.callFrame;
  return `${functionName || '(anonymous)'} ${url ? `${basename(url)}:${lineNumber + 1}` : ''}`.trim();
};

const self = new Map();
const inclusive = new Map(patterns.map((p) => [p, 0]));
const matches = (n, pattern) => {
  const [name, where] = pattern.split('@');
  return (n.callFrame.functionName === name || n.callFrame.functionName.endsWith(`.${name}`)) && (!where || n.callFrame.url.includes(where));
};
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  total += dt;
  const node = byId.get(id);
  self.set(label(node), (self.get(label(node)) ?? 0) + dt);
  const hit = new Set();
  for (let at = id; at !== undefined; at = parent.get(at)) {
    for (const p of patterns) if (!hit.has(p) && matches(byId.get(at), p)) hit.add(p);
  }
  for (const p of hit) inclusive.set(p, inclusive.get(p) + dt);
});

const ms = (us) => (us / 1000).toFixed(0).padStart(7);
const pct = (us) => `${((100 * us) / total).toFixed(1).padStart(5)} %`;
console.log(`${basename(file)}: ${ms(total).trim()} ms sampled`);
console.log(`\ntop ${values.top} by self time`);
for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) console.log(`${ms(us)} ms ${pct(us)}  ${name}`);
if (patterns.length) {
  console.log('\ninclusive time (synchronous stacks only: work after an await is attributed to its own stack)');
  for (const [p, us] of inclusive) console.log(`${ms(us)} ms ${pct(us)}  ${p}`);
}
