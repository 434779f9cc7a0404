import type * as TF from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ExpmanError } from '../errors.js';
import type { BackendName } from '../config/schema.js';
import { patchTransposedMatMul, registerConvFilterGradient } from './kernel-patches.js';

export type Tf = typeof TF;
export type ConcreteBackend = Exclude<BackendName, 'auto'>;

/** Which backend a run got, and why the ones before it were passed over. */
export interface BackendChoice {
  tf: Tf;
  backend: ConcreteBackend;
  /** tfjs version and the backend package's version. */
  version: string;
  /** What computes: "CPU (JavaScript)", "CPU (WebAssembly, SIMD)", "NVIDIA H100 (WebGPU, Vulkan)"… */
  device: string;
  /** Every backend tried in order, with the reason it was not used. */
  attempts: Array<{ backend: ConcreteBackend; ok: boolean; reason?: string }>;
}

export type BackendLoader = (tf: Tf) => Promise<{ version: string; device: string }>;

/** The order `auto` tries, fastest first. */
export const AUTO_ORDER: readonly ConcreteBackend[] = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'];

const require = createRequire(import.meta.url);

/**
 * Loads a native tfjs-node package. danfojs-node's npm override installs pure @tensorflow/tfjs under
 * the name @tensorflow/tfjs-node, so the package's real name is checked before it is trusted.
 */
function requireNative(name: '@tensorflow/tfjs-node' | '@tensorflow/tfjs-node-gpu'): { version: string } {
  let pkg: { name?: string; version: string };
  try {
    pkg = require(`${name}/package.json`) as { name?: string; version: string };
  } catch {
    throw new Error(`${name} is not installed (npm install ${name}; see README "Training backends")`);
  }
  if (pkg.name !== name) throw new Error(`${name} is not installed (only a pure-JS stand-in for danfojs-node is)`);
  if (process.versions['electron']) throw new Error('native addons cannot load inside Electron (V8 memory cage); training runs in a plain Node.js worker');
  require(name); // throws when libtensorflow or CUDA libraries are missing, with the loader's message
  return pkg;
}

/**
 * Dawn prints a native warning to stderr when it cannot load Vulkan; checking for the loader first keeps
 * the output clean and gives a reason users can act on.
 */
function hasVulkanLoader(): boolean {
  const dirs = [
    ...(process.env['LD_LIBRARY_PATH'] ?? '').split(':').filter(Boolean),
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/lib/x86_64-linux-gnu',
    '/lib/aarch64-linux-gnu',
    '/usr/lib64',
    '/usr/lib',
    '/usr/local/lib',
  ];
  if (dirs.some((dir) => existsSync(join(dir, 'libvulkan.so.1')))) return true;
  try {
    return execFileSync('ldconfig', ['-p'], { encoding: 'utf8', timeout: 2000, stdio: ['ignore', 'pipe', 'ignore'] }).includes('libvulkan.so.1');
  } catch {
    return false;
  }
}

/**
 * The Vulkan driver manifests (ICD files) the Vulkan loader would find, as it searches on Linux: the files
 * or folders named by VK_DRIVER_FILES / VK_ICD_FILENAMES (which replace the search) and VK_ADD_DRIVER_FILES,
 * else `vulkan/icd.d` under the XDG config and data folders and /etc. Without one, Dawn would print the
 * loader's "Found no drivers!" on every start: looking first keeps `auto` quiet on machines without a GPU.
 */
export function vulkanIcdFiles(env: NodeJS.ProcessEnv = process.env, home = homedir(), systemDirs: readonly string[] = ['/etc/vulkan/icd.d']): string[] {
  const list = (value: string | undefined): string[] => (value ?? '').split(':').filter(Boolean);
  const manifests = (path: string): string[] => {
    try {
      if (statSync(path).isFile()) return [path];
      return readdirSync(path)
        .filter((name) => name.endsWith('.json'))
        .map((name) => join(path, name));
    } catch {
      return [];
    }
  };
  const added = list(env['VK_ADD_DRIVER_FILES']).flatMap(manifests);
  const replaced = list(env['VK_DRIVER_FILES'] ?? env['VK_ICD_FILENAMES']);
  if (replaced.length) return [...replaced.flatMap(manifests), ...added];
  const configDirs = [env['XDG_CONFIG_HOME'] ?? join(home, '.config'), ...list(env['XDG_CONFIG_DIRS'] ?? '/etc/xdg')];
  const dataDirs = [env['XDG_DATA_HOME'] ?? join(home, '.local', 'share'), ...list(env['XDG_DATA_DIRS'] ?? '/usr/local/share:/usr/share')];
  const dirs = [...configDirs.map((d) => join(d, 'vulkan', 'icd.d')), ...systemDirs, ...dataDirs.map((d) => join(d, 'vulkan', 'icd.d'))];
  return [...dirs.flatMap(manifests), ...added];
}

function packageVersion(name: string): string | undefined {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return undefined; // bundled without its package.json
  }
}

/** "NVIDIA GPU (WebGPU; driver NVIDIA: 580.159.04)" from Dawn's adapter info, whose fields vary by platform. */
function describeAdapter(info: GPUAdapterInfo): string {
  const vendor = info.vendor ? info.vendor.charAt(0).toUpperCase() + info.vendor.slice(1) : '';
  const name = [vendor, info.device, info.architecture].filter(Boolean).join(' ') || 'GPU';
  return `${name}${info.device ? '' : ' GPU'} (WebGPU${info.description ? `; ${info.description}` : ''})`;
}

async function useBackend(tf: Tf, name: string): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend("${name}") failed`);
  await tf.ready();
}

export const LOADERS: Record<ConcreteBackend, BackendLoader> = {
  'tensorflow-gpu': async (tf) => {
    const pkg = requireNative('@tensorflow/tfjs-node-gpu');
    await useBackend(tf, 'tensorflow');
    return { version: `tfjs-node-gpu ${pkg.version}`, device: 'GPU (CUDA, libtensorflow)' };
  },
  webgpu: async (tf) => {
    if (process.versions['electron']) throw new Error('the Dawn addon cannot load inside Electron (V8 memory cage); training runs in a plain Node.js worker');
    if (process.platform === 'linux' && !hasVulkanLoader()) {
      throw new Error('the Vulkan loader (libvulkan.so.1) is not installed: install libvulkan1 and your GPU driver\'s Vulkan ICD');
    }
    if (process.platform === 'linux' && vulkanIcdFiles().length === 0) {
      throw new Error('no Vulkan driver is installed (no ICD file in /usr/share/vulkan/icd.d, /etc/vulkan/icd.d or VK_DRIVER_FILES): install your GPU driver\'s Vulkan support');
    }
    let dawn: { create: (options: string[]) => GPU; globals: Record<string, unknown> };
    try {
      dawn = (await import('webgpu')) as unknown as typeof dawn;
    } catch (error) {
      throw new Error(`the webgpu (Dawn) package could not be loaded: ${(error as Error).message.split('\n')[0]}`);
    }
    const g = globalThis as unknown as { navigator?: { gpu?: GPU } };
    if (!g.navigator?.gpu) {
      Object.assign(globalThis, dawn.globals);
      // EXPMAN_DAWN_FLAGS: Dawn options for speed checks, `;` between them (e.g.
      // enable-dawn-features=disable_robustness, which drops the bounds clamps Dawn adds to every buffer access).
      const gpu = dawn.create((process.env['EXPMAN_DAWN_FLAGS'] ?? '').split(';').filter(Boolean));
      if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
      else g.navigator = { gpu };
    }
    const adapter = await g.navigator.gpu!.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) throw new Error('no WebGPU adapter: no GPU with Vulkan, Metal or D3D12 drivers was found');
    const info = adapter.info;
    await import('@tensorflow/tfjs-backend-webgpu');
    await useBackend(tf, 'webgpu');
    patchTransposedMatMul(tf, 'webgpu');
    return { version: `tfjs-backend-webgpu ${packageVersion('@tensorflow/tfjs-backend-webgpu') ?? `for tfjs-core ${tf.version_core}`}`, device: describeAdapter(info) };
  },
  tensorflow: async (tf) => {
    const pkg = requireNative('@tensorflow/tfjs-node');
    await useBackend(tf, 'tensorflow');
    return { version: `tfjs-node ${pkg.version}`, device: 'CPU (native libtensorflow)' };
  },
  wasm: async (tf) => {
    const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as unknown as { version_wasm: string };
    await useBackend(tf, 'wasm');
    patchTransposedMatMul(tf, 'wasm');
    registerConvFilterGradient(tf, 'wasm');
    const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
    const threads = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT');
    return { version: `tfjs-backend-wasm ${wasm.version_wasm}`, device: `CPU (WebAssembly${simd ? ', SIMD' : ''}${threads ? ', threads' : ''})` };
  },
  cpu: async (tf) => {
    await useBackend(tf, 'cpu');
    registerConvFilterGradient(tf, 'cpu');
    return { version: `tfjs-backend-cpu ${tf.version['tfjs-backend-cpu'] ?? tf.version.tfjs}`, device: 'CPU (JavaScript)' };
  },
};

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

function reasonOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();
}

/** Tries one backend; the outcome instead of a throw. */
export async function tryBackend(
  tf: Tf,
  backend: ConcreteBackend,
  loaders: Partial<Record<ConcreteBackend, BackendLoader>> = LOADERS,
): Promise<{ ok: true; version: string; device: string } | { ok: false; reason: string }> {
  try {
    return { ok: true, ...(await (loaders[backend] ?? LOADERS[backend])(tf)) };
  } catch (error) {
    return { ok: false, reason: reasonOf(error) };
  }
}

/** Adapters that emulate a GPU on the CPU, as describeAdapter names them. */
const SOFTWARE_ADAPTER = /\bsoftware\b|llvmpipe|lavapipe|swiftshader/i;

/**
 * Selects a backend. `auto` tries each in AUTO_ORDER and records why each failed; an explicit backend
 * that cannot load is an error carrying its reason, never a silent fallback. `loaders` is injectable so
 * tests can simulate a failing backend.
 */
export async function selectBackend(requested: BackendName, loaders: Partial<Record<ConcreteBackend, BackendLoader>> = LOADERS): Promise<BackendChoice> {
  const tf = await loadTf();
  const order = requested === 'auto' ? AUTO_ORDER : [requested];
  const attempts: BackendChoice['attempts'] = [];
  for (const backend of order) {
    const outcome = await tryBackend(tf, backend, loaders);
    // A CPU-emulated adapter (Mesa's lavapipe, SwiftShader) loads, but trains far slower than wasm on the
    // same cores: auto passes over it (an explicit "webgpu" still takes it, as the GEMM tests do).
    if (outcome.ok && requested === 'auto' && backend === 'webgpu' && SOFTWARE_ADAPTER.test(outcome.device)) {
      attempts.push({ backend, ok: false, reason: `a software (CPU-emulated) adapter, slower than wasm: ${outcome.device}` });
      continue;
    }
    if (outcome.ok) {
      attempts.push({ backend, ok: true });
      return { tf, backend, version: `tfjs ${tf.version.tfjs}; ${outcome.version}`, device: outcome.device, attempts };
    }
    attempts.push({ backend, ok: false, reason: outcome.reason });
  }
  const reasons = attempts.map((a) => `${a.backend}: ${a.reason}`).join('; ');
  throw new ExpmanError(
    'BACKEND_UNAVAILABLE',
    requested === 'auto' ? `no training backend could be loaded (${reasons})` : `backend "${requested}" could not be loaded: ${reasons}`,
    { key: 'training.backend', attempts },
  );
}
