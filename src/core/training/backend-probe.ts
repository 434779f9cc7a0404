import { AUTO_ORDER, LOADERS, loadTf, tryBackend, type BackendLoader, type ConcreteBackend, type Tf } from './backend.js';

export interface BackendReport {
  backend: ConcreteBackend;
  available: boolean;
  /** Why not, when unavailable. */
  reason?: string;
  version?: string;
  device?: string;
  /** Matrix-product throughput measured for `seconds` (fp32, 512×512). */
  gflops?: number;
  /** The backend `training.backend = "auto"` would take. */
  auto: boolean;
}

const N = 512;

/** Times repeated 512×512 matrix products on the current backend; syncs every few products. */
async function matmulGflops(tf: Tf, seconds: number): Promise<number> {
  const a = tf.randomNormal([N, N], 0, 1, 'float32', 1);
  const b = tf.randomNormal([N, N], 0, 1, 'float32', 2);
  try {
    for (let i = 0; i < 2; i++) {
      const warm = tf.matMul(a, b);
      await warm.data();
      warm.dispose();
    }
    let products = 0;
    const start = performance.now();
    while (performance.now() - start < seconds * 1000) {
      const batch = Math.max(1, Math.min(16, products));
      let last: ReturnType<Tf['matMul']> | undefined;
      for (let i = 0; i < batch; i++) {
        last?.dispose();
        last = tf.matMul(a, b);
      }
      await last!.data();
      last!.dispose();
      products += batch;
    }
    const elapsed = (performance.now() - start) / 1000;
    return (2 * N ** 3 * products) / elapsed / 1e9;
  } finally {
    a.dispose();
    b.dispose();
  }
}

/**
 * Tries every backend in `auto` order in this process and measures each that loads. Native backends
 * that share a name (tfjs-node and tfjs-node-gpu both register "tensorflow") are reported as found.
 */
export async function probeBackends(
  options: { seconds?: number; loaders?: Partial<Record<ConcreteBackend, BackendLoader>>; onProgress?: (backend: ConcreteBackend) => void } = {},
): Promise<BackendReport[]> {
  const tf = await loadTf();
  const reports: BackendReport[] = [];
  let autoTaken = false;
  for (const backend of AUTO_ORDER) {
    options.onProgress?.(backend);
    const outcome = await tryBackend(tf, backend, options.loaders ?? LOADERS);
    if (!outcome.ok) {
      reports.push({ backend, available: false, reason: outcome.reason, auto: false });
      continue;
    }
    const gflops = await matmulGflops(tf, options.seconds ?? 2);
    reports.push({ backend, available: true, version: outcome.version, device: outcome.device, gflops, auto: !autoTaken });
    autoTaken = true;
  }
  return reports;
}
