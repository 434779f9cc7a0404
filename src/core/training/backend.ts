import type * as TF from '@tensorflow/tfjs';
import { ExpmanError } from '../errors.js';
import type { BackendName } from '../config/schema.js';

export type Tf = typeof TF;

/** Which backend a run got, and why the ones before it were passed over. */
export interface BackendChoice {
  tf: Tf;
  backend: Exclude<BackendName, 'auto'>;
  /** tfjs version and, where there is one, the backend package version. */
  version: string;
  /** What computes: "CPU (JavaScript)", "CPU (WebAssembly, SIMD)", a GPU adapter name… */
  device: string;
  /** Every backend tried in order, with the reason it was not used. */
  attempts: Array<{ backend: string; ok: boolean; reason?: string }>;
}

type Loader = (tf: Tf) => Promise<{ version: string; device: string }>;

const LOADERS: Record<Exclude<BackendName, 'auto'>, Loader> = {
  wasm: async (tf) => {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
    await tf.ready();
    const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
    const threads = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT');
    return {
      version: `tfjs-backend-wasm ${wasm.version_wasm}`,
      device: `CPU (WebAssembly${simd ? ', SIMD' : ''}${threads ? ', threads' : ''})`,
    };
  },
  cpu: async (tf) => {
    if (!(await tf.setBackend('cpu'))) throw new Error('tf.setBackend("cpu") returned false');
    await tf.ready();
    return { version: `tfjs-backend-cpu ${tf.version['tfjs-backend-cpu'] ?? tf.version.tfjs}`, device: 'CPU (JavaScript)' };
  },
};

/** The order `auto` tries, fastest first. */
export const AUTO_ORDER: ReadonlyArray<Exclude<BackendName, 'auto'>> = ['wasm', 'cpu'];

let tfModule: Tf | undefined;

/** Loads tfjs once per process (it takes ~0.5 s), quietly. */
export async function loadTf(): Promise<Tf> {
  if (!tfModule) {
    tfModule = await import('@tensorflow/tfjs');
    // PROD silences tfjs's console advice (we report the backend choice ourselves) and skips debug checks.
    tfModule.env().set('PROD', true);
  }
  return tfModule;
}

/**
 * Selects a backend. `auto` tries each in AUTO_ORDER and records why each failed; an explicit backend
 * that cannot load is an error carrying its reason, never a silent fallback. `loaders` is injectable so
 * tests can simulate a failing backend.
 */
export async function selectBackend(
  requested: BackendName,
  loaders: Partial<Record<Exclude<BackendName, 'auto'>, Loader>> = LOADERS,
): Promise<BackendChoice> {
  const tf = await loadTf();
  const order = requested === 'auto' ? AUTO_ORDER : [requested];
  const attempts: BackendChoice['attempts'] = [];
  for (const backend of order) {
    const load = loaders[backend] ?? LOADERS[backend];
    try {
      const { version, device } = await load(tf);
      attempts.push({ backend, ok: true });
      return { tf, backend, version: `tfjs ${tf.version.tfjs}; ${version}`, device, attempts };
    } catch (error) {
      attempts.push({ backend, ok: false, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  const reasons = attempts.map((a) => `${a.backend}: ${a.reason}`).join('; ');
  throw new ExpmanError(
    'BACKEND_UNAVAILABLE',
    requested === 'auto' ? `no training backend could be loaded (${reasons})` : `backend "${requested}" could not be loaded: ${reasons}`,
    { key: 'training.backend', attempts },
  );
}
