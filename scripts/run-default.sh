#!/usr/bin/env bash
# The README's main-job command: compiles the built-in default model and
# runs it end to end, showing every stage and its timing.
#
# The default model is, for now, the committed tiny random checkpoint
# test/fixtures/tiny_gqa_fp32_4shards (the exact r-v1.5 architecture with
# every dimension small). Its inputs are the reference's preprocessed images
# and token ids, and the run is checked against the reference's greedy ids;
# a random model's ids carry no meaning. Image files, the tokenizer and a
# trained default model are the next issues.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build.sh >/dev/null
fixture=${1:-test/fixtures/tiny_gqa_fp32_4shards}
artifact=build/default-artifact
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== 1. import: the checkpoint's xgenmm IR (weights by reference)"
build/bin/xgenmm-import "$fixture" -o "$work/model.mlir"
build/bin/xgenmm-opt "$work/model.mlir" --xgenmm-model-summary -o /dev/null |
  sed -n '1,/^$/p'

echo "== 2. compile: model.so + weights.bin + manifest.json"
build/bin/xgenmm-compile "$fixture" -o "$artifact"
ls -l "$artifact"

echo
echo "== 3. run: two images and a prompt, 32 greedy tokens"
ids=$(python3 test/e2e/pixel_inputs.py "$fixture" "$work/pixels.safetensors")
echo "prompt ids: $ids"
out=$(build/bin/xgenmm-run -m "$artifact" --input-ids "$ids" \
        --pixel-values "$work/pixels.safetensors" --max-tokens 32 --stop 0 \
        --print-ids 2>&1)
echo "$out"

want=$(python3 -c "import json,sys; print(' '.join(map(str, json.load(open(sys.argv[1]))['generated_ids'])))" "$fixture/goldens.json")
got=$(echo "$out" | sed -n 's/^ids: //p')
if [ "$got" = "$want" ]; then
  echo "== the 32 ids equal the Hugging Face reference's (test/reference)"
else
  echo "== MISMATCH with the reference: $want" >&2
  exit 1
fi
