#!/usr/bin/env bash
# Runs on the GPU machine from the repository root, with .gpu/ prepared by `PREPARE_ALL=1 prepare.sh`,
# writing to $OUT: which backends load, a training run with backend=auto (must pick WebGPU on an NVIDIA GPU), and the
# MLP benchmark on WebGPU beside PyTorch.
set -uo pipefail
OUT=${OUT:-/tmp/gpu-check-out}; mkdir -p "$OUT"
for f in .gpu/*.deb; do dpkg -x "$f" /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
xz -dkf .gpu/node.xz .gpu/dawn.node.xz && chmod +x .gpu/node
mkdir -p .gpu/node_modules/webgpu/dist/linux-x64 && mv .gpu/dawn.node .gpu/node_modules/webgpu/dist/linux-x64/
N=.gpu/node
{ nvidia-smi -L; $N --version; python3 -c 'import torch; print("torch", torch.__version__)'; } 2>&1 | tee "$OUT/machine.txt"
echo "== expman backends"; $N .gpu/expman.mjs backends --seconds 2 2>&1 | tee "$OUT/backends.txt"
D=$(mktemp -d); mkdir -p "$D/datasets/external"; cp data/datasets/external/iris.csv "$D/datasets/external/"
export EXPMAN_LOG_DIR=$D/logs
echo "== train with backend=auto"
$N .gpu/expman.mjs preprocess --data "$D" --separate-sets
$N .gpu/expman.mjs train --data "$D" --model gpu-auto --set training.epochs=40 2>&1 | tail -4 | tee "$OUT/train.txt"
sed -n '/^\[provenance\]/,/^config_sources/p' "$D/experiments/default/models/gpu-auto/config.toml" | tee "$OUT/provenance.txt"
$N .gpu/expman.mjs list --data "$D" | tee -a "$OUT/train.txt"
grep -h "not used\|backend" "$D/experiments/default/models/gpu-auto/logs/run.log" | head -8 | tee -a "$OUT/train.txt"
echo "== MLP benchmark"
$N .gpu/mlp-backends.mjs --backends webgpu --models small,large --epochs 5 --out "$OUT/mlp-webgpu.json" 2>&1 | tee "$OUT/mlp-webgpu.txt"
$N .gpu/mlp-backends.mjs --backends webgpu,wasm --models iris --epochs 8 --out "$OUT/mlp-iris.json" 2>&1 | tee "$OUT/mlp-iris.txt"
echo "== where a small MLP's time goes (webgpu)"
$N .gpu/webgpu-dispatch.mjs --backend webgpu --rows 16384 --epochs 4 2>&1 | tee "$OUT/webgpu-dispatch.txt"
