#!/usr/bin/env python3
"""Records where transformers 5 tokenizes the corpus differently from the
goldens (transformers 4.41.1's slow LlamaTokenizer, what the model cards ran).

transformers 5 has no slow LlamaTokenizer: AutoTokenizer.from_pretrained drops
use_fast=False and builds a `tokenizers` (Rust) tokenizer from tokenizer.model,
whose Metaspace pre-tokenizer, added-token handling and decoder differ. This
script loads the model/ directory exactly as the model cards do, under the
project's transformers 5.24.0, and writes transformers5.json: per check, how
many cases differ and the first few of them.
"""

import argparse
import json
import os

import transformers
from transformers import AutoTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
XGENMM_TOKENS = ["<image>", "<image placeholder>", "<|endofchunk|>"]
EXAMPLES = 12


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=os.path.join(HERE, "model"))
    ap.add_argument("--goldens", default=os.path.join(HERE, "goldens.json"))
    ap.add_argument("--out", default=os.path.join(HERE, "transformers5.json"))
    args = ap.parse_args()

    with open(args.goldens, encoding="utf-8") as f:
        goldens = json.load(f)
    tok = AutoTokenizer.from_pretrained(args.model, use_fast=False, legacy=False)
    tok.add_special_tokens({"additional_special_tokens": list(XGENMM_TOKENS)})

    checks = {
        "encode": [],
        "decode": [],
        "decode_skip_special": [],
        "template_encode": [],
    }
    for e in goldens["encode"]:
        ids = tok.encode(e["text"])
        if ids != e["ids"]:
            checks["encode"].append({"name": e["name"], "text": e["text"],
                                     "transformers_4_41": e["ids"], "transformers_5": ids})
        for key, skip in [("decode", False), ("decode_skip_special", True)]:
            text = tok.decode(e["ids"], skip_special_tokens=skip)
            if text != e[key]:
                checks[key].append({"name": e["name"], "ids": e["ids"],
                                    "transformers_4_41": e[key], "transformers_5": text})
    for t in goldens["templates"]:
        ids = tok.encode(t["text"])
        if ids != t["ids"]:
            checks["template_encode"].append({"name": t["name"], "transformers_4_41": t["ids"],
                                              "transformers_5": ids})
    totals = {"encode": len(goldens["encode"]), "decode": len(goldens["encode"]),
              "decode_skip_special": len(goldens["encode"]),
              "template_encode": len(goldens["templates"])}
    report = {
        "generator": "test/reference/tokenizer/compare_transformers5.py",
        "versions": {"transformers": transformers.__version__},
        "tokenizer_class": type(tok).__name__,
        "tokenizer_len": len(tok),
        "differ": {k: f"{len(v)} of {totals[k]}" for k, v in checks.items()},
        "examples": {k: v[:EXAMPLES] for k, v in checks.items()},
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(report, f, ensure_ascii=True, indent=1)
        f.write("\n")
    print("compare_transformers5:", report["differ"], "->", args.out)


if __name__ == "__main__":
    main()
