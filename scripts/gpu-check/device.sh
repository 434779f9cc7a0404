#!/usr/bin/env bash
# One device run (issue 17), about 3–4 minutes, every step under a timeout, results in $OUT: the speed
# check (speed.sh: WGSL GEMM check and TFLOP/s, then PyTorch CUDA against the fused step with each GEMM
# choice and model.fit, on both MLPs), then the app's own training path on webgpu with the WGSL GEMM
# (auto) and with tfjs matMul (off), which must end with the same metrics within fp32 rounding.
# Copy to .gpu/device.sh (prepare.sh does) and run `bash .gpu/device.sh` from the repository root.
set -uo pipefail
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"
LIMIT=${LIMIT:-170} FUSED_FLAGS=${FUSED_FLAGS-'WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=64'} bash scripts/gpu-check/speed.sh
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
