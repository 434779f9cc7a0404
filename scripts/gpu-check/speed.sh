#!/usr/bin/env bash
# The trainer-speed check on a GPU machine (issue 17): the MLPs of bench/gpu-speed.ts on WebGPU — tfjs
# model.fit, the fused step — beside PyTorch CUDA, in one run, writing to $OUT. Needs .gpu/ from
# prepare.sh; runs in a few minutes (BACKEND=wasm MODELS=small ROWS_SCALE=0.05 checks the script on a
# machine without a GPU).
set -uo pipefail
OUT=${OUT:-/tmp/gpu-check-out}; mkdir -p "$OUT"
if [ "${BACKEND:-webgpu}" = webgpu ]; then
  for f in .gpu/*.deb; do dpkg -x "$f" /; done; ldconfig
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
[ -x .gpu/node ] || { xz -dkf .gpu/node.xz && chmod +x .gpu/node; }
if [ -f .gpu/dawn.node.xz ] && [ ! -f .gpu/node_modules/webgpu/dist/linux-x64/dawn.node ]; then
  xz -dkf .gpu/dawn.node.xz && mkdir -p .gpu/node_modules/webgpu/dist/linux-x64 && mv .gpu/dawn.node .gpu/node_modules/webgpu/dist/linux-x64/
fi
N=.gpu/node
{ nvidia-smi -L 2>&1; $N --version; python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())'; date -u; } 2>&1 | tee "$OUT/machine.txt"
timeout "${LIMIT:-200}" $N .gpu/gpu-speed.mjs --backend "${BACKEND:-webgpu}" --models "${MODELS:-small,large}" --epochs "${EPOCHS:-4}" \
  --rows-scale "${ROWS_SCALE:-1}" --fused-flags "${FUSED_FLAGS:-}" --python "${PYTHON:-python3}" --out "$OUT/gpu-speed.json" 2>&1 | tee "$OUT/gpu-speed.txt"
