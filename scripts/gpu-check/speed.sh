#!/usr/bin/env bash
# The trainer-speed check on a GPU machine (issue 17): the MLPs of bench/gpu-speed.ts on WebGPU — tfjs
# model.fit, the fused step with each GEMM choice (GEMMS: auto = the app's default, off = tfjs matMul,
# or a tile of src/core/training/webgpu-gemm.ts) — beside PyTorch CUDA, in one run, writing to $OUT.
# Before training it checks the WGSL GEMM against tfjs's matMul and times an S×S×S product of each.
# Needs .gpu/ from prepare.sh; every step is under a timeout. BACKEND=wasm MODELS=small ROWS_SCALE=0.05
# checks the script on a machine without a GPU; with VK_DRIVER_FILES set (e.g. Mesa's lavapipe) the
# Vulkan debs of .gpu/ are not unpacked and that driver is used.
set -uo pipefail
OUT=${OUT:-/tmp/gpu-check-out}; mkdir -p "$OUT"
if [ "${BACKEND:-webgpu}" = webgpu ] && [ -z "${VK_DRIVER_FILES:-}" ]; then
  for f in .gpu/*.deb; do dpkg -x "$f" /; done; ldconfig
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
[ -x .gpu/node ] || { xz -dkf .gpu/node.xz && chmod +x .gpu/node; }
if [ -f .gpu/dawn.node.xz ] && [ ! -f .gpu/node_modules/webgpu/dist/linux-x64/dawn.node ]; then
  xz -dkf .gpu/dawn.node.xz && mkdir -p .gpu/node_modules/webgpu/dist/linux-x64 && mv .gpu/dawn.node .gpu/node_modules/webgpu/dist/linux-x64/
fi
N=.gpu/node
{ timeout 20 nvidia-smi -L 2>&1; $N --version; timeout 60 "${PYTHON:-python3}" -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())'; date -u; } 2>&1 | tee "$OUT/machine.txt"
timeout -k 10 "${LIMIT:-200}" $N .gpu/gpu-speed.mjs --backend "${BACKEND:-webgpu}" --models "${MODELS:-small,large}" --epochs "${EPOCHS:-4}" \
  --rows-scale "${ROWS_SCALE:-1}" --gemms "${GEMMS:-auto,off,128x128,128x128s,64x64}" --gemm-size "${GEMM_SIZE:-4096}" \
  --fused-flags "${FUSED_FLAGS:-}" --python "${PYTHON:-python3}" --out "$OUT/gpu-speed.json" 2>&1 | tee "$OUT/gpu-speed.txt"
echo "gpu-speed exit status ${PIPESTATUS[0]} (124 = stopped by its ${LIMIT:-200} s limit)" | tee -a "$OUT/gpu-speed.txt"
