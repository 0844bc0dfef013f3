#!/usr/bin/env bash
# The README's main-job command, on the built-in default model.
#
# Until code generation lands (issue: CPU end to end), the most real thing
# xgenmm can do with a model is: parse and verify the bundled model IR,
# canonicalize it, expand its layer stacks (the reference decomposition),
# and print what the model is made of. Every number below is computed by
# the xgenmm-model-summary pass from the IR, nothing is canned.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build.sh >/dev/null
model=${1:-test/models/tiny.mlir}
opt=build/bin/xgenmm-opt

echo "== model: $model"
start=$(date +%s%N)
$opt "$model" -o /dev/null
echo "verified: every op, shape and weight reference is consistent"
$opt "$model" --canonicalize --cse --xgenmm-model-summary -o /dev/null
stacked=$($opt "$model" | grep -c '' || true)
expanded=$($opt "$model" --xgenmm-expand-layer-stacks --canonicalize --cse | grep -c '' || true)
echo
echo "IR lines: $stacked with layer stacks, $expanded with every layer expanded"
end=$(date +%s%N)
echo "time: $(( (end - start) / 1000000 )) ms"
