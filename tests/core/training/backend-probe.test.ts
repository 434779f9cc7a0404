import { describe, expect, it } from 'vitest';
import { probeBackends } from '../../../src/core/training/backend-probe.js';

describe('probeBackends (expman backends)', () => {
  it('reports every backend in auto order, why unavailable ones fail, and a throughput for the rest', async () => {
    const failing = async () => {
      throw new Error('simulated: libcudart.so.11.0 not found');
    };
    const reports = await probeBackends({ seconds: 0.2, loaders: { 'tensorflow-gpu': failing } });
    expect(reports.map((r) => r.backend)).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu']);
    expect(reports[0]).toEqual({ backend: 'tensorflow-gpu', available: false, reason: 'simulated: libcudart.so.11.0 not found', auto: false });
    const wasm = reports.find((r) => r.backend === 'wasm')!;
    const cpu = reports.find((r) => r.backend === 'cpu')!;
    expect(wasm.available && cpu.available).toBe(true);
    expect(wasm.gflops).toBeGreaterThan(0);
    expect(cpu.gflops).toBeGreaterThan(0);
    // Exactly one backend is the one auto would take: the first available.
    const firstAvailable = reports.find((r) => r.available)!;
    expect(reports.filter((r) => r.auto)).toEqual([firstAvailable]);
  });
});
