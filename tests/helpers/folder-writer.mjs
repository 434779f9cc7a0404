// A separate process that writes into a data folder the way other writers do (the CLI, another window, rsync):
// `node folder-writer.mjs '<json ops>'`, ops run in order. Used by the watcher tests.
import { appendFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const ops = JSON.parse(process.argv[2]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
for (const op of ops) {
  switch (op.op) {
    case 'mkdir':
      mkdirSync(op.path, { recursive: true });
      break;
    case 'write':
      mkdirSync(dirname(op.path), { recursive: true });
      writeFileSync(op.path, op.text);
      break;
    case 'append':
      appendFileSync(op.path, op.text);
      break;
    case 'atomic': {
      // temp + rename, like src/core/fs/atomic.ts
      mkdirSync(dirname(op.path), { recursive: true });
      const temp = `${dirname(op.path)}/.tmp-${op.path.split('/').pop()}-${process.pid}`;
      writeFileSync(temp, op.text);
      renameSync(temp, op.path);
      break;
    }
    case 'rename':
      renameSync(op.from, op.to);
      break;
    case 'rm':
      rmSync(op.path, { recursive: true, force: true });
      break;
    case 'sleep':
      await sleep(op.ms);
      break;
    default:
      throw new Error(`unknown op ${op.op}`);
  }
}
