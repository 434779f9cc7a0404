#!/usr/bin/env bash
# One device run (issue 17), about 2–4 minutes, every step under a timeout, results in $OUT: the speed
# check (speed.sh: WGSL GEMM check and TFLOP/s, then PyTorch CUDA against the fused step with each GEMM
# choice and model.fit, on both MLPs), the large MLP again with Dawn's robustness off (EXPMAN_DAWN_FLAGS),
# then the app's own training path on webgpu with the WGSL GEMM
# (auto) and with tfjs matMul (off), which must end with the same metrics within fp32 rounding.
# Copy to .gpu/device.sh (prepare.sh does) and run `bash .gpu/device.sh` from the repository root.
set -uo pipefail
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"
LIMIT=${LIMIT:-150} FUSED_FLAGS=${FUSED_FLAGS-'WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=64'} bash scripts/gpu-check/speed.sh
# The large MLP again without the bounds clamps Dawn adds to every buffer access (the GEMM's loads
# included): what robustness costs, and whether the app should ask for it off.
echo "== large MLP, Dawn robustness off" | tee "$OUT/no-robustness.txt"
OUT=$OUT/no-robustness LIMIT=${LIMIT2:-70} MODELS=${MODELS2:-large} GEMMS=auto,off FUSED_FLAGS= \
  EXPMAN_DAWN_FLAGS='enable-dawn-features=disable_robustness' bash scripts/gpu-check/speed.sh
N=.gpu/node; D=$(mktemp -d); mkdir -p "$D/datasets/external"; cp data/datasets/external/iris.csv "$D/datasets/external/"
export EXPMAN_LOG_DIR=$D/logs
echo "== app training path, backend ${TRAIN_BACKEND:-webgpu}, hidden [64,64], batch 64 (the hidden products take the GEMM)" | tee "$OUT/train.txt"
timeout 60 $N .gpu/expman.mjs preprocess --data "$D" --separate-sets 2>&1 | tail -2 | tee -a "$OUT/train.txt"
for gemm in auto off; do
  EXPMAN_WEBGPU_GEMM=$gemm timeout 60 $N .gpu/expman.mjs train --data "$D" --model "gpu-gemm-$gemm" --set training.epochs=20 \
    --set training.backend=${TRAIN_BACKEND:-webgpu} --set 'model.hidden_units=[64,64]' --set training.batch_size=64 \
    --set training.early_stopping.enabled=false 2>&1 | tail -4 | tee -a "$OUT/train.txt"
  grep -i "step\|backend\|samples" "$D/experiments/default/models/gpu-gemm-$gemm/logs/run.log" 2>/dev/null | head -6 | tee -a "$OUT/train.txt"
done
timeout 30 $N .gpu/expman.mjs list --data "$D" 2>&1 | tee -a "$OUT/train.txt"
rm -rf "$D"
