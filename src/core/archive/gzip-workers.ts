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
    const compressed = gzipSync(data, { level });
    // A view into a larger buffer would be cloned whole: hand back exactly the member's bytes.
    const member = compressed.byteOffset === 0 && compressed.buffer.byteLength === compressed.length ? compressed : Buffer.from(compressed);
    // The input block goes back too, for reuse: memory stays flat however much is archived.
    parentPort.postMessage({ id, member, data }, [member.buffer, data.buffer]);
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message || error) });
  }
});
`;

export interface Compressed {
  member: Buffer;
  /** The input block, handed back by the worker for reuse. */
  block: Buffer;
}

function toBuffer(view: Uint8Array): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

interface Job {
  resolve: (result: Compressed) => void;
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
  private readonly outstanding: number[];
  private failure: Error | undefined;

  constructor(
    private readonly level = 6,
    count = availableParallelism(),
  ) {
    this.outstanding = Array.from({ length: Math.max(1, count) }, () => 0);
    this.workers = this.outstanding.map((_, index) => {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      worker.on('message', (message: { id: number; member?: Uint8Array; data?: Uint8Array; error?: string }) => {
        this.outstanding[index]!--;
        const job = this.jobs.get(message.id);
        if (!job) return;
        this.jobs.delete(message.id);
        if (message.error !== undefined || !message.member || !message.data) job.reject(new Error(`gzip worker: ${message.error ?? 'no output'}`));
        else job.resolve({ member: toBuffer(message.member), block: toBuffer(message.data) });
      });
      worker.on('error', (error) => this.failAll(error));
      return worker;
    });
  }

  /** One gzip member of `data`; `data`'s memory is handed to the worker and comes back as `block`. */
  compress(data: Buffer): Promise<Compressed> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    // The least busy worker, not round robin: when the OS holds one thread back (a busy machine), the
    // others take the next blocks instead of idling behind it.
    let index = 0;
    for (let w = 1; w < this.workers.length; w++) if (this.outstanding[w]! < this.outstanding[index]!) index = w;
    const worker = this.workers[index]!;
    this.outstanding[index]!++;
    return new Promise<Compressed>((resolve, reject) => {
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
