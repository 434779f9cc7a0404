import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * The worker's whole program, evaluated from a string: the CLI and the Electron main process are each
 * bundled into one file, so there is no separate worker script to point at.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { gzipSync } = require('node:zlib');
parentPort.on('message', ({ id, data, level }) => {
  try {
    parentPort.postMessage({ id, member: gzipSync(data, { level }) });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message || error) });
  }
});
`;

interface Job {
  resolve: (member: Buffer) => void;
  reject: (error: Error) => void;
}

/**
 * gzip compression on worker threads, one per core. Not zlib's asynchronous API: that runs on libuv's
 * thread pool (4 threads), where the file reads that feed it would queue behind the compressions and
 * leave the cores idle.
 */
export class GzipWorkers {
  private readonly workers: Worker[];
  private readonly jobs = new Map<number, Job>();
  private nextId = 0;
  private failure: Error | undefined;

  constructor(
    private readonly level = 6,
    count = availableParallelism(),
  ) {
    this.workers = Array.from({ length: Math.max(1, count) }, () => {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      worker.on('message', (message: { id: number; member?: Uint8Array; error?: string }) => {
        const job = this.jobs.get(message.id);
        if (!job) return;
        this.jobs.delete(message.id);
        if (message.error !== undefined || !message.member) job.reject(new Error(`gzip worker: ${message.error ?? 'no output'}`));
        else job.resolve(Buffer.from(message.member.buffer, message.member.byteOffset, message.member.byteLength));
      });
      worker.on('error', (error) => this.failAll(error));
      return worker;
    });
  }

  /** One gzip member of `data`; `data`'s memory is handed to the worker (do not use it afterwards). */
  compress(data: Buffer): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const worker = this.workers[id % this.workers.length]!;
    return new Promise<Buffer>((resolve, reject) => {
      this.jobs.set(id, { resolve, reject });
      // Transfer, not copy, when the block owns its whole ArrayBuffer (blocks are allocated one by one).
      const owns = data.byteOffset === 0 && data.buffer.byteLength === data.length && data.buffer instanceof ArrayBuffer;
      worker.postMessage({ id, data, level: this.level }, owns ? [data.buffer] : []);
    });
  }

  async close(): Promise<void> {
    this.failAll(new Error('gzip workers closed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private failAll(error: Error): void {
    this.failure ??= error;
    for (const job of this.jobs.values()) job.reject(error);
    this.jobs.clear();
  }
}
