#!/usr/bin/env bash
# The README's main-job command: compiles the built-in default model,
# xgenmm-nano (models/nano: the exact r-v1.5 architecture at toy size,
# trained here on generated pictures of shapes), and asks it questions about
# pictures, showing every stage and its timing.
#
#   1. import: the checkpoint's xgenmm IR and a summary of the model
#   2. compile: the artifact (model.so, weights.bin, manifest.json, the
#      tokenizer and preprocessor files)
#   3. one picture and a question, the answer streamed, then the timing line
#   4. every held-back question of models/nano/eval (pictures from a seed
#      the model never saw), each answer marked right or wrong, the accuracy
#      per question type, and a check that every answer equals the PyTorch
#      model's (token for token)
#
# $1: another checkpoint directory to compile instead (steps 1-2 only).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build.sh >/dev/null
model=${1:-models/nano/xgenmm-nano}
artifact=build/default-artifact
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== 1. import: the checkpoint's xgenmm IR (weights by reference)"
build/bin/xgenmm-import "$model" -o "$work/model.mlir"
build/bin/xgenmm-opt "$work/model.mlir" --xgenmm-model-summary -o /dev/null |
  sed -n '1,/^$/p'

echo "== 2. compile: model.so + weights.bin + manifest.json (+ tokenizer, preprocessor)"
build/bin/xgenmm-compile "$model" -o "$artifact"
ls -l "$artifact"
[ -n "${1:-}" ] && exit 0

eval_dir=models/nano/eval
picture=$eval_dir/$(python3 -c "import json; print(json.load(open('$eval_dir/eval.json'))['cases'][0]['images'][0])")
echo
echo "== 3. a picture and a question (the instruct chat template, greedy)"
echo "\$ build/bin/xgenmm-run -m $artifact --image $picture -p '<image> What shape is in the picture?'"
build/bin/xgenmm-run -m "$artifact" --image "$picture" -p "<image> What shape is in the picture?"

echo
echo "== 4. the held-back questions (models/nano/eval), each through xgenmm-run"
python3 test/e2e/run_nano.py --run build/bin/xgenmm-run --artifact "$artifact" \
  --eval "$eval_dir" --show
