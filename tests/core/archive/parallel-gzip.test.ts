import { randomBytes } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ParallelGzipWriter } from '../../../src/core/archive/parallel-gzip.js';
import { tempDataDir } from '../../helpers/data-dir.js';

afterEach(() => {
  vi.restoreAllMocks();
});

/** Half random, half repetitive: members of different sizes, finishing out of order. */
function input(bytes: number): Buffer {
  const data = randomBytes(bytes);
  for (let i = 0; i < bytes; i += 8192) data.fill(i & 0xff, i, Math.min(i + 4096, bytes));
  return data;
}

describe('ParallelGzipWriter', () => {
  it('writes members gunzip reads back as the input, with a bounded number of blocks however long the input', async () => {
    const blockSize = 64 * 1024;
    const threads = 2;
    const data = input(blockSize * 60 + 1234);
    const allocUnsafe = vi.spyOn(Buffer, 'allocUnsafe');
    const out = join(tempDataDir(false), 'out.gz');
    const handle = await fs.open(out, 'wx');
    const writer = new ParallelGzipWriter(handle, { blockSize, threads });
    // Both ways in: reads straight into space(), and copies through write().
    let offset = 0;
    while (offset < data.length / 2) {
      const space = await writer.space();
      const n = Math.min(space.length, 10_000);
      data.copy(space, 0, offset, offset + n);
      writer.commit(n);
      offset += n;
    }
    await writer.write(data.subarray(offset));
    await writer.finish();
    await handle.close();
    const written = readFileSync(out);
    expect(writer.bytesIn).toBe(data.length);
    expect(writer.bytesOut).toBe(written.length);
    expect(gunzipSync(written).equals(data)).toBe(true);
    // One block being filled, `threads` compressing, and one spare: the same for 61 blocks as for a gigabyte.
    const blocks = allocUnsafe.mock.calls.filter(([size]) => size === blockSize).length;
    expect(blocks).toBeGreaterThanOrEqual(threads + 1);
    expect(blocks).toBeLessThanOrEqual(threads + 2);
    // Members are made in the compressors' own output buffers, reused member after member (zlib.gzip()
    // allocated one per member: 61 here, a thousand per gigabyte).
    const memberBuffers = allocUnsafe.mock.calls.filter(([size]) => size > blockSize && size < blockSize * 2).length;
    expect(memberBuffers).toBeGreaterThanOrEqual(1);
    expect(memberBuffers).toBeLessThanOrEqual(threads + 1);
  });

  it('a failed write stops the writer with that error instead of going on', async () => {
    const out = join(tempDataDir(false), 'out.gz');
    const handle = await fs.open(out, 'wx');
    const writer = new ParallelGzipWriter(handle, { blockSize: 16 * 1024, threads: 1 });
    await handle.close(); // every write of a member now fails (EBADF)
    const data = input(16 * 1024 * 20);
    await expect(writer.write(data).then(() => writer.finish())).rejects.toMatchObject({ code: 'EBADF' });
    await writer.abandon();
  });
});
