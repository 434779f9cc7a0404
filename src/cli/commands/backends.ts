import { probeBackends } from '../../core/training/backend-probe.js';
import { emitJson, parse, parseNumberFlag, type CommandContext } from '../context.js';

export const backendsHelp = `expman backends [--seconds S] [--json]

Lists the TensorFlow.js backends in the order training.backend = "auto" tries them — tensorflow-gpu
(CUDA), webgpu (Vulkan/Metal/D3D12 through Dawn), tensorflow (native CPU), wasm, cpu — with whether each
loads here, why not, its device, and a matrix-product benchmark (fp32 512×512, S seconds, default 2).`;

export async function backendsCommand(ctx: CommandContext): Promise<number> {
  const { values } = parse(ctx.argv, { seconds: { type: 'string' } });
  const seconds = parseNumberFlag('seconds', values.seconds, 2);
  const reports = await probeBackends({
    seconds,
    onProgress: values.json || !process.stderr.isTTY ? undefined : (backend) => process.stderr.write(`\r\x1b[2Ktrying ${backend}…`),
  });
  if (process.stderr.isTTY && !values.json) process.stderr.write('\r\x1b[2K');
  if (values.json) {
    emitJson({ backends: reports });
    return 0;
  }
  const rows = [
    ['BACKEND', 'AVAILABLE', 'GFLOP/S', 'DEVICE / REASON'],
    ...reports.map((r) => [
      `${r.backend}${r.auto ? ' (auto)' : ''}`,
      r.available ? 'yes' : 'no',
      r.gflops === undefined ? '-' : r.gflops >= 100 ? r.gflops.toFixed(0) : r.gflops.toFixed(2),
      r.available ? `${r.device}; ${r.version}` : (r.reason ?? ''),
    ]),
  ];
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((row) => row[c]!.length)));
  for (const row of rows) console.log(`${row.slice(0, 3).map((cell, c) => cell.padEnd(widths[c]!)).join('  ')}  ${row[3]}`);
  return 0;
}
