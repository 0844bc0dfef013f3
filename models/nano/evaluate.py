#!/usr/bin/env python3
"""Accuracy of xgenmm-nano on a held-back set, and the committed eval set with goldens.

    python3 models/nano/evaluate.py            # accuracy table + rewrite models/nano/eval/
    python3 models/nano/evaluate.py --check    # recompute the committed eval goldens, compare
    python3 models/nano/evaluate.py --quantize vision,resampler,language   # int8 accuracy
    python3 models/nano/evaluate.py --quantize language --scheme int4 --vnni   # int4 on VNNI CPUs
    python3 models/nano/evaluate.py --quantize language,head=int8 --scheme int4 --vnni   # + int8 head
    python3 models/nano/evaluate.py --kv-cache int8    # int8 KV cache (xgenmm-compile --kv-cache int8)

The held-back set comes from the data generator with seed EVAL_SEED (training uses
train.TRAIN_SEED): PER_GROUP samples of each question type / object count. Every answer is
the PyTorch model's greedy answer (batch 1, KV cache, argmax over all logits, stop on
<|end|>) to the exact instruct prompt; it is correct when the text equals the generated
answer exactly.

models/nano/eval/ (what the C++ accuracy test reads):
  eval.json          the cases: image files, question, query (with <image> tags), the full
                     prompt, its ids, the expected answer, the PyTorch greedy ids (stop
                     token included) and text, whether it is correct, and the smallest
                     top-1/top-2 logit margin over the steps; plus the model's ids and settings
  NNN_k.png          the pictures (PNG: the runtime decodes exactly these pixels)
Writes also models/nano/eval_results.json (the accuracy per group of the held-back set).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import torch
from PIL import Image

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dataset  # noqa: E402
import nano  # noqa: E402
import tokenizer as nano_tok  # noqa: E402

EVAL_SEED = 2
PER_GROUP = 100
EVAL_SET_SEED = 3  # the committed pictures
EVAL_SET_PER_GROUP = 3
SINGLE = ["shape/1", "colour/1", "position/1", "count/1", "describe/1"]


def run_case(model, tok, end_id, sample: dataset.Sample, images: list[Image.Image]) -> dict:
    ids = tok.encode(sample.prompt)
    pre = [nano.preprocess(im) for im in images]
    out, margins = nano.generate(model, ids, pre, end_id)
    text = tok.decode_answer(out[:-1] if out and out[-1] == end_id else out)
    return {"prompt_ids": ids, "golden_ids": out, "golden_text": text, "stopped": bool(out and out[-1] == end_id),
            "correct": text == sample.answer and bool(out) and out[-1] == end_id,
            "min_margin": round(min(margins), 4), "margins": [round(m, 4) for m in margins]}


def accuracy(model, tok, end_id, per_group: int = PER_GROUP) -> dict:
    samples = dataset.balanced_samples(EVAL_SEED, per_group)
    per: dict[str, list[int]] = {}
    wrong: dict[str, list[str]] = {}
    for s in samples:
        r = run_case(model, tok, end_id, s, [p.render() for p in s.pictures])
        per.setdefault(s.group, []).append(int(r["correct"]))
        if not r["correct"] and len(wrong.setdefault(s.group, [])) < 5:
            wrong[s.group].append(f"{s.question} -> {r['golden_text']!r} (want {s.answer!r})")
    table = {g: {"n": len(v), "correct": sum(v), "accuracy": round(sum(v) / len(v), 4)} for g, v in per.items()}
    single = [x for g in SINGLE for x in per[g]]
    multi = [x for g, v in per.items() if g not in SINGLE for x in v]
    allv = single + multi
    return {"seed": EVAL_SEED, "per_group": per_group, "groups": table,
            "single_object": {"n": len(single), "accuracy": round(sum(single) / len(single), 4)},
            "multi_object_and_two_image": {"n": len(multi), "accuracy": round(sum(multi) / len(multi), 4)},
            "all": {"n": len(allv), "accuracy": round(sum(allv) / len(allv), 4)},
            "examples_wrong": wrong}


def eval_set(model, tok, end_id, out_dir: str | None) -> list[dict]:
    """The committed cases; out_dir None = compute only (pictures read from eval/)."""
    cases = []
    for n, s in enumerate(dataset.balanced_samples(EVAL_SET_SEED, EVAL_SET_PER_GROUP)):
        files = [f"{n:03d}_{k}.png" for k in range(len(s.pictures))]
        if out_dir is not None:
            for p, fn in zip(s.pictures, files):
                p.render().save(os.path.join(out_dir, fn), optimize=True)
        # the goldens come from the files as decoded, as the runtime sees them
        images = []
        for fn in files:
            with Image.open(os.path.join(out_dir or os.path.join(HERE, "eval"), fn)) as im:
                images.append(im.convert("RGB"))
        r = run_case(model, tok, end_id, s, images)
        r.pop("margins")
        cases.append({"id": n, "group": s.group, "type": s.qtype, "images": files,
                      "image_sizes": [list(im.size) for im in images],
                      "question": s.question, "query": s.query, "prompt": s.prompt,
                      "expected_answer": s.answer, **r})
    return cases


QUANT_PREFIXES = {"vision": "vlm.vision_encoder.", "resampler": "vlm.vision_tokenizer.",
                  "language": "vlm.lang_model.model."}
# The LM head's [V, D] weight (xgenmm-compile --weights head=...); not its added tokens' linear.
HEAD = "vlm.lang_model.lm_head"


def _selected(name: str, part: str) -> bool:
    return name == HEAD if part == "head" else name.startswith(QUANT_PREFIXES[part])


def quantize_(model, parts: list[str], group: int, scheme: str = "int8",
              vnni: bool = False) -> int:
    """Rounds the dense layers of `parts` through symmetric int8 (int4) per group of `group`
    input features, in place, exactly as xgenmm-compile --weights does (frontend/Quantize.cpp:
    scale = max|w| / 127 (/ 7), q = round-half-away(w * (1 / scale)) clamped to +-127 (+-7),
    w = q * scale, all in float32). `vnni` (int8 and int4 on AVX512-VNNI CPUs): the scales rounded to
    f16 and each layer's input rounded through int8 per row and group of `group` (scale
    max|x| / 127, round to nearest even), as the VNNI kernels (int8, int4) compute; layers whose output
    features are not a multiple of 16 keep the float kernels there and are not touched.
    Returns the number of weights rounded."""
    levels = 127.0 if scheme == "int8" else 7.0
    n = 0
    for name, mod in model.named_modules():
        if not isinstance(mod, torch.nn.Linear) or not any(_selected(name, p) for p in parts):
            continue
        w = mod.weight.data.float()
        rows, cols = w.shape
        use_vnni = vnni and rows % 16 == 0 and group % 8 == 0
        g = w.reshape(rows, cols // group, group)
        scale = g.abs().amax(dim=2, keepdim=True) / levels
        inv = torch.where(scale > 0, 1.0 / scale, torch.zeros_like(scale))
        x = g * inv
        q = (torch.sign(x) * torch.floor(x.abs() + 0.5)).clamp(-levels, levels)
        if use_vnni:
            scale = scale.half().float()
        mod.weight.data.copy_((q * scale).reshape(rows, cols))
        if use_vnni:
            mod.register_forward_pre_hook(_round_input_hook(group))
        n += 1
    return n


def _round_kv(x: torch.Tensor) -> torch.Tensor:
    """An int8 KV cache's rounding of rows [B, H, S, D] (xgenmm.attention with an i8 cache):
    per head and row s = max(max |x|, 1e-30) / 127 in f32, values round-half-even(x / s) in
    [-127, 127], read back as value * s."""
    s = torch.clamp(x.abs().amax(dim=-1, keepdim=True), min=1e-30) / 127.0
    return torch.clamp(torch.round(x / s), -127, 127) * s


def int8_kv_cache_(model) -> None:
    """Makes the language model's KV cache store int8-rounded keys and values: every row is
    rounded when written, and attention (prefill included) reads the rounded rows, as the
    compiled kernels do."""
    from transformers import DynamicCache

    class Int8KvCache(DynamicCache):
        def update(self, key_states, value_states, layer_idx, *args, **kwargs):
            return super().update(_round_kv(key_states), _round_kv(value_states), layer_idx,
                                  *args, **kwargs)

    lm = model.lm

    def lm_int8(inputs_embeds, past=None):
        return lm(inputs_embeds, Int8KvCache() if past is None else past)

    model.lm = lm_int8


def _round_input_hook(group: int):
    def hook(_mod, args):
        x = args[0]
        shape = x.shape
        g = x.float().reshape(*shape[:-1], shape[-1] // group, group)
        amax = g.abs().amax(dim=-1, keepdim=True)
        inv = torch.where(amax > 0, 127.0 / amax, torch.zeros_like(amax))
        q = torch.round(g * inv)  # round half to even, as math.roundeven
        return ((q * (amax * (1.0 / 127.0))).reshape(shape).to(x.dtype),) + tuple(args[1:])
    return hook


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.join(HERE, "xgenmm-nano"))
    ap.add_argument("--check", action="store_true", help="recompute eval/eval.json's goldens and compare")
    ap.add_argument("--skip-accuracy", action="store_true")
    ap.add_argument("--per-group", type=int, default=PER_GROUP, help="held-back samples per group")
    ap.add_argument("--quantize", help="comma list of parts (vision,resampler,language,head), each "
                    "optionally part=scheme, whose dense layers are rounded first, as xgenmm-compile "
                    "--weights does; prints and writes eval_results_<scheme>[_vnni][_head].json only")
    ap.add_argument("--group-size", type=int, default=32)
    ap.add_argument("--scheme", default="int8", choices=["int8", "int4"],
                    help="with --quantize: int8 or int4 values")
    ap.add_argument("--vnni", action="store_true",
                    help="also f16 scales and int8-rounded layer inputs, as the AVX512-VNNI kernels "
                         "(int8 and int4 weights) compute")
    ap.add_argument("--kv-cache", choices=["f32", "int8"], default="f32",
                    help="int8: keys and values rounded as the int8 KV cache stores them; prints "
                         "and writes eval_results_kvint8.json only")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    t0 = time.process_time()
    model = nano.load_checkpoint(args.model)
    tok = nano_tok.NanoTokenizer.from_dir(args.model)
    end_id = tok.token_id("<|end|>")
    results_file = "eval_results.json"
    if args.kv_cache == "int8":
        if args.quantize:
            ap.error("--kv-cache int8 is measured on its own (without --quantize)")
        int8_kv_cache_(model)
        results_file = "eval_results_kvint8.json"
    if args.quantize:
        # part or part=scheme (default --scheme), as xgenmm-compile --weights
        by_scheme: dict[str, list[str]] = {}
        for item in args.quantize.split(","):
            part, _, scheme = item.partition("=")
            if part not in QUANT_PREFIXES and part != "head":
                ap.error(f"--quantize: unknown part {part!r}")
            by_scheme.setdefault(scheme or args.scheme, []).append(part)
        for scheme, parts in by_scheme.items():
            n = quantize_(model, parts, args.group_size, scheme, args.vnni)
            print(f"{scheme} (groups of {args.group_size}"
                  f"{', VNNI activations' if args.vnni else ''}) "
                  f"weights of {n} dense layers ({','.join(parts)})")
        results_file = f"eval_results_{args.scheme}{'_vnni' if args.vnni else ''}" \
                       f"{'_head' if any(i.split('=')[0] == 'head' for i in args.quantize.split(',')) else ''}.json"

    if args.check:
        with open(os.path.join(HERE, "eval", "eval.json")) as f:
            committed = json.load(f)["cases"]
        cases = eval_set(model, tok, end_id, None)
        keys = ("prompt", "prompt_ids", "golden_ids", "golden_text", "expected_answer")
        bad = [c["id"] for c, d in zip(cases, committed) if any(c[k] != d[k] for k in keys)]
        print(f"evaluate --check: {len(cases)} cases, {len(bad)} differ {bad}")
        sys.exit(1 if bad or len(cases) != len(committed) else 0)

    if not args.skip_accuracy:
        acc = accuracy(model, tok, end_id, args.per_group)
        acc["cpu_seconds"] = round(time.process_time() - t0, 1)
        if args.quantize:
            acc["quantized"] = {"parts": args.quantize, "scheme": args.scheme, "vnni": args.vnni,
                                "group_size": args.group_size}
        if args.kv_cache != "f32":
            acc["kv_cache"] = args.kv_cache
        with open(os.path.join(HERE, results_file), "w") as f:
            f.write(json.dumps(acc, indent=2, sort_keys=True) + "\n")
        print(f"held-back set (seed {EVAL_SEED}, {args.per_group} per group):")
        for g in dataset.all_groups():
            r = acc["groups"][g]
            print(f"  {g:12s} {r['correct']:4d}/{r['n']:<4d} {100 * r['accuracy']:6.1f}%")
        for k in ("single_object", "multi_object_and_two_image", "all"):
            print(f"  {k:28s} {100 * acc[k]['accuracy']:6.1f}% of {acc[k]['n']}")
        for g, w in acc["examples_wrong"].items():
            for line in w[:2]:
                print(f"  wrong {g}: {line}")

    if args.quantize or args.kv_cache != "f32":
        return
    out_dir = os.path.join(HERE, "eval")
    os.makedirs(out_dir, exist_ok=True)
    for fn in os.listdir(out_dir):
        os.remove(os.path.join(out_dir, fn))
    cases = eval_set(model, tok, end_id, out_dir)
    meta = {
        "model": "models/nano/xgenmm-nano",
        "seed": EVAL_SET_SEED,
        "template": "instruct (model-spec.md 5.3): " + json.dumps(dataset.instruct_prompt("{query}")),
        "system_prompt": dataset.SYSTEM_PROMPT,
        "stop_token": "<|end|>", "stop_token_id": end_id, "max_new_tokens": nano.MAX_NEW_TOKENS,
        "image_token_id": tok.token_id("<image>"), "initial_tokenizer_len": nano_tok.initial_tokenizer_len(),
        "decoding": "greedy, argmax over all initial_tokenizer_len+3 logits, KV cache, batch 1, float32; "
                    "golden_ids include the stop token",
        "correct_cases": sum(c["correct"] for c in cases), "num_cases": len(cases),
        "cases": cases,
    }
    with open(os.path.join(out_dir, "eval.json"), "w") as f:
        f.write(json.dumps(meta, indent=1) + "\n")
    size = sum(os.path.getsize(os.path.join(out_dir, fn)) for fn in os.listdir(out_dir))
    print(f"eval set: {len(cases)} cases ({meta['correct_cases']} correct), {len(os.listdir(out_dir))} files, "
          f"{size:,} bytes -> {out_dir}; cpu {time.process_time() - t0:.1f}s")


if __name__ == "__main__":
    main()
