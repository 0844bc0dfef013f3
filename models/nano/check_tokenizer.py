#!/usr/bin/env python3
"""Compares NanoTokenizer (tokenizer.py) with Hugging Face's slow LlamaTokenizer.

    python3 models/nano/check_tokenizer.py [--venv-python PY] [--dir models/nano/xgenmm-nano]

Runs the real tokenizer in the transformers 4.41.1 virtual environment that
test/reference/tokenizer/regen.sh makes (~/.cache/xgenmm/tokenizer-venvs/transformers-4.41.1,
or --venv-python), loaded as the model cards load it (use_fast=False, legacy=False, then
add_special_tokens as model.update_special_tokens does), on every prompt form of the data
set, the committed eval prompts and a few other texts, and checks that the ids, len() and
the special ids agree. Exits 1 on a difference, 2 when the environment is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dataset  # noqa: E402
import tokenizer as nano_tok  # noqa: E402

HF_SCRIPT = r"""
import json, sys
from transformers import AutoTokenizer
d, texts = sys.argv[1], json.load(open(sys.argv[2]))
tok = AutoTokenizer.from_pretrained(d, use_fast=False, legacy=False)
tok.add_special_tokens({"additional_special_tokens": ["<image>", "<image placeholder>", "<|endofchunk|>"]})
print(json.dumps({"ids": [tok.encode(t) for t in texts], "len": len(tok),
                  "class": type(tok).__name__,
                  "special": {t: tok.convert_tokens_to_ids(t) for t in
                              ["<image>", "<image placeholder>", "<|endofchunk|>", "<|end|>", "<|endoftext|>", "<pad>"]}}))
"""


def texts() -> list[str]:
    out = []
    for i in range(300):
        s = dataset.sample_at(7, i)
        out += [s.prompt, s.prompt + s.answer + "<|end|>"]
    ev = os.path.join(HERE, "eval", "eval.json")
    if os.path.exists(ev):
        out += [c["prompt"] for c in json.load(open(ev))["cases"]]
    out += ["", " ", "hello", " hello world", "<image>Describe", "<image> <image> x", "What is 1234?",
            "<|user|>\n  <image>\n\tIs it red?<|end|>\n", "caf\u00e9 \u65e5\u672c \U0001f600",
            "<image placeholder><|endofchunk|>", dataset.instruct_prompt("<image> Is the star big?")]
    return sorted(set(out), key=out.index)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", default=os.path.join(HERE, "xgenmm-nano"))
    ap.add_argument("--venv-python", default=os.path.expanduser(
        os.environ.get("XGENMM_TOKENIZER_VENVS", "~/.cache/xgenmm/tokenizer-venvs") + "/transformers-4.41.1/bin/python"))
    args = ap.parse_args()
    if not os.path.exists(args.venv_python):
        print(f"check_tokenizer: no {args.venv_python} (make it with test/reference/tokenizer/regen.sh)")
        sys.exit(2)
    tk = nano_tok.NanoTokenizer.from_dir(args.dir)
    ts = texts()
    path = "/tmp/nano_check_tokenizer_texts.json"
    with open(path, "w") as f:
        json.dump(ts, f)
    r = subprocess.run([args.venv_python, "-c", HF_SCRIPT, args.dir, path], capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stderr)
        sys.exit(2)
    hf = json.loads(r.stdout.strip().splitlines()[-1])
    bad = [(t, a, b) for t, a, b in zip(ts, (tk.encode(t) for t in ts), hf["ids"]) if a != b]
    for t, a, b in bad[:10]:
        print(f"MISMATCH {t!r}\n  ours {a}\n  hf   {b}")
    itl = nano_tok.initial_tokenizer_len()
    want_special = {"<image>": itl, "<image placeholder>": itl + 1, "<|endofchunk|>": itl + 2,
                    "<|end|>": tk.token_id("<|end|>"), "<|endoftext|>": tk.token_id("<|endoftext|>"),
                    "<pad>": tk.token_id("<pad>")}
    ok = not bad and hf["len"] == itl + 3 and hf["special"] == want_special
    print(f"check_tokenizer: {len(ts)} texts, {len(bad)} mismatches, HF {hf['class']} len {hf['len']} "
          f"(want {itl + 3}), special ids {hf['special']} -> {'OK' if ok else 'FAIL'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
