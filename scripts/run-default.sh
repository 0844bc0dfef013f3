#!/usr/bin/env bash
# The README's main-job command: compiles the built-in default model and
# runs it end to end on image files and a text prompt, showing every stage
# and its timing.
#
# The default model is, for now, the committed tiny random checkpoint
# test/fixtures/tiny_text_fp32: the exact r-v1.5 architecture with every
# dimension small, its own 640-piece SentencePiece tokenizer and the
# released preprocessor. Its answer is the text a random model writes
# (meaningless); the run checks that the prompt's token ids and the 32
# greedy ids equal the Hugging Face reference's (test/reference). Pass
# another fixture with a text case (goldens.json "cases") as $1.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build.sh >/dev/null
fixture=${1:-test/fixtures/tiny_text_fp32}
case_name=${2:-instruct_multi}
artifact=build/default-artifact
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== 1. import: the checkpoint's xgenmm IR (weights by reference)"
build/bin/xgenmm-import "$fixture" -o "$work/model.mlir"
build/bin/xgenmm-opt "$work/model.mlir" --xgenmm-model-summary -o /dev/null |
  sed -n '1,/^$/p'

echo "== 2. compile: model.so + weights.bin + manifest.json (+ tokenizer, preprocessor)"
build/bin/xgenmm-compile "$fixture" -o "$artifact"
ls -l "$artifact"

# The reference's case: its image files, prompt and system prompt.
python3 - "$fixture" "$case_name" "$work" <<'EOF'
import json, os, sys
fixture, name, work = sys.argv[1:]
g = json.load(open(os.path.join(fixture, "goldens.json")))
c = {c["name"]: c for c in g["cases"]}[name]
args = []
for k in c["images"]:
    args += ["--image", os.path.join(fixture, "images", g["images"][k]["file"])]
args += ["-p", c["text"]]
if c["format"] == "instruct":
    args += ["--system", c["system"]]
elif c["format"] == "raw":
    args += ["--raw"]
else:
    args += ["--template", "base"]
args += ["--max-tokens", str(g["num_generate"])]
with open(os.path.join(work, "args"), "wb") as f:
    f.write(b"\0".join(a.encode() for a in args) + b"\0")
open(os.path.join(work, "want"), "w").write(" ".join(map(str, c["generated_ids"])))
EOF
mapfile -d '' args < "$work/args"

echo
echo "== 3. run: image files and a prompt (the instruct chat template), greedy"
printf '$ build/bin/xgenmm-run -m %s' "$artifact"; printf ' %q' "${args[@]}"; echo
build/bin/xgenmm-run -m "$artifact" "${args[@]}" --print-ids | tee "$work/out"
echo

got=$(sed -n 's/^ids: //p' "$work/out")
if [ "$got" = "$(cat "$work/want")" ]; then
  echo "== the generated ids equal the Hugging Face reference's (test/reference)"
else
  echo "== MISMATCH with the reference's ids: $(cat "$work/want")" >&2
  exit 1
fi
