// Loaded with `node --expose-gc --import tests/helpers/live-heap.mjs …`: collects garbage every 20 ms and
// reports the largest live heap (V8's heapUsed right after a full collection) on stderr as the process
// exits, as LIVE_HEAP_PEAK=<bytes>. What a command keeps, not when V8 chooses to collect.
let peak = 0;
const sample = () => {
  globalThis.gc();
  peak = Math.max(peak, process.memoryUsage().heapUsed);
};
setInterval(sample, 20).unref();
process.on('exit', () => {
  sample();
  process.stderr.write(`\nLIVE_HEAP_PEAK=${peak}\n`);
});
