// Loaded with `node --import bench/rss-reporter.mjs …` when /usr/bin/time is not available: reports the
// process's peak resident set size (KiB) on stderr as it exits, for bench/lib.mjs to read.
process.on('exit', () => {
  process.stderr.write(`\nBENCH_MAX_RSS_KB=${process.resourceUsage().maxRSS}\n`);
});
