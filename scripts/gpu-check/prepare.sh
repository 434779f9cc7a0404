#!/usr/bin/env bash
# Prepares .gpu/ (git-ignored) for a GPU check on a machine that has an NVIDIA driver but no Node.js,
# no node_modules and no network (see ../shared/GPU.md): a Node binary, the CLI and the MLP benchmark
# bundled with tfjs inside, the webgpu (Dawn) addon, the tfjs wasm binaries and the Vulkan loader debs.
set -euo pipefail
cd "$(dirname "$0")/../.."
rm -rf .gpu && mkdir -p .gpu
banner="import { createRequire as __cr } from 'node:module'; import { fileURLToPath as __fu } from 'node:url'; import { dirname as __dn } from 'node:path'; const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);"
# device.sh (speed.sh + the app path) needs the CLI and gpu-speed only; PREPARE_ALL=1 adds check.sh's
# benches (the folder must stay under the device tool's 64 MiB carry limit: about 44 MiB without, 59 with).
entries="src/cli/expman.ts:expman.mjs bench/gpu-speed.ts:gpu-speed.mjs"
[ -n "${PREPARE_ALL:-}" ] && entries="$entries bench/mlp-backends.ts:mlp-backends.mjs bench/webgpu-dispatch.ts:webgpu-dispatch.mjs bench/profile-step.ts:profile-step.mjs"
for entry in $entries; do
  npx esbuild "${entry%%:*}" --bundle --platform=node --format=esm --target=node20 \
    --external:webgpu --external:danfojs-node --banner:js="$banner" --log-level=warning --outfile=".gpu/${entry##*:}"
done
cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm .gpu/
mkdir -p .gpu/node_modules/webgpu
cp node_modules/webgpu/index.js node_modules/webgpu/package.json .gpu/node_modules/webgpu/
xz -T2 -c node_modules/webgpu/dist/linux-x64/dawn.node > .gpu/dawn.node.xz
xz -T2 -c "$(readlink -f "$(command -v node)")" > .gpu/node.xz
mkdir -p /tmp/amd64/partial
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
apt-get $o update -qq
(cd .gpu && apt-get $o download -qq libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
cp scripts/gpu-check/device.sh .gpu/device.sh
du -sh .gpu
