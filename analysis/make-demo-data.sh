#!/usr/bin/env bash
# Makes a small data folder for the analysis notebooks with the real CLI: the Iris dataset prepared as
# train/test CSVs, and one experiment ("demo") with two short runs of different configs, both tested.
#
#   analysis/make-demo-data.sh DIR      # DIR must not exist yet, or be empty
#
# tests/analysis/notebooks.test.ts (run by `npm test`, and so by CI) runs it, then the helper module's
# tests and both notebooks against DIR (DATA=DIR). It takes about 15 s; the CLI must be built.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
data="$1"
if [ -e "$data" ] && [ -n "$(ls -A "$data")" ]; then
  echo "$0: $data exists and is not empty" >&2
  exit 1
fi
mkdir -p "$data/datasets/external"
cp "$root/data/datasets/external/iris.csv" "$data/datasets/external/iris.csv"

# $NODE: the Node.js to run the CLI with (default: node on PATH).
expman() { "${NODE:-node}" "$root/bin/expman.mjs" "$@" --data "$data"; }

expman preprocess --split=0.8 --separate-sets >/dev/null
common=(--experiment demo --set training.backend=wasm --set training.epochs=30)
expman train "${common[@]}" --model small --set 'model.hidden_units=[8]' >/dev/null
expman train "${common[@]}" --model wide --set 'model.hidden_units=[32,32]' --set training.learning_rate=0.005 >/dev/null
expman test --experiment demo --model small >/dev/null
expman test --experiment demo --model wide >/dev/null
echo "$data"
