#!/usr/bin/env python3
"""Trains xgenmm-nano from scratch on generated pictures and writes it in the released layout.

    python3 models/nano/train.py                 # the committed model (models/nano/xgenmm-nano/)
    python3 models/nano/train.py --steps 20 --out /tmp/nano-short   # a quick determinism check

One CPU thread, deterministic algorithms, every random number from the seeds below, so two
runs with the same versions (models/nano/requirements.txt) on the same CPU type give
byte-identical files. Writes, into --out: model.safetensors (fp32), config.json,
preprocessor_config.json, tokenizer.model, tokenizer_config.json, special_tokens_map.json,
added_tokens.json; and --log (default models/nano/train_log.json for the default --out):
the loss curve, times, versions and the sha256 of every file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import time

import torch

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dataset  # noqa: E402
import nano  # noqa: E402
import tokenizer as nano_tok  # noqa: E402

TRAIN_SEED = 1  # data stream
INIT_SEED = 1234  # weights
STEPS = 7500
BATCH = 12  # picture groups per step (about 50 question sequences, 13 pictures)
PEAK_LR = 1e-3
WARMUP = 100
WEIGHT_DECAY = 0.01
CLIP = 1.0


def add_group(tok: nano_tok.NanoTokenizer, end_id: int, index: int, images: list, seqs: list) -> None:
    """Appends group ``index`` of the training stream: its pictures once, one sequence per question."""
    group = dataset.group_at(TRAIN_SEED, index)
    first = len(images)
    images += [nano.preprocess(p.render()) for p in group[0].pictures]
    for s in group:
        prompt = tok.encode(s.prompt)
        answer = tok.encode_answer(s.answer) + [end_id]
        seqs.append({"ids": prompt + answer, "answer_start": len(prompt), "group": s.qtype,
                     "image_idx": list(range(first, first + len(s.pictures)))})


def sha256(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=STEPS)
    ap.add_argument("--batch", type=int, default=BATCH)
    ap.add_argument("--out", default=os.path.join(HERE, "xgenmm-nano"))
    ap.add_argument("--log", default=None, help="training log JSON (default: train_log.json beside train.py "
                                                "for the default --out, else <out>.train_log.json)")
    args = ap.parse_args()
    log_path = args.log or (os.path.join(HERE, "train_log.json") if os.path.abspath(args.out) ==
                            os.path.join(HERE, "xgenmm-nano") else args.out.rstrip("/") + ".train_log.json")

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    t_wall, t_cpu = time.time(), time.process_time()

    sp_model = nano_tok.train_sentencepiece()
    tok = nano_tok.NanoTokenizer(sp_model)
    end_id = tok.token_id("<|end|>")
    # the prompt/answer split must be what the tokenizer gives the whole text
    for i in range(50):
        s = dataset.group_at(TRAIN_SEED, i)[-1]
        assert tok.encode(s.prompt + s.answer + "<|end|>") == \
            tok.encode(s.prompt) + tok.encode_answer(s.answer) + [end_id], s.prompt

    model = nano.build_model(INIT_SEED)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": WEIGHT_DECAY},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=PEAK_LR, betas=(0.9, 0.98), eps=1e-8)
    counts = nano.count_params(model)
    print(f"xgenmm-nano: {counts['total']:,} parameters {counts}; {args.steps} steps x {args.batch}", flush=True)

    curve = []
    data_s = 0.0
    run_loss, run_n = 0.0, 0
    by_type: dict[str, list] = {}
    for step in range(args.steps):
        t0 = time.process_time()
        images, seqs = [], []
        for j in range(args.batch):
            add_group(tok, end_id, step * args.batch + j, images, seqs)
        data_s += time.process_time() - t0
        for g in opt.param_groups:
            g["lr"] = nano.lr_at(step, args.steps, PEAK_LR, WARMUP)
        loss, per_seq = nano.batch_loss(model, images, seqs)
        for b, l in zip(seqs, per_seq.tolist()):
            acc = by_type.setdefault(b["group"], [0.0, 0])
            acc[0] += l
            acc[1] += 1
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, CLIP)
        opt.step()
        run_loss += float(loss.detach())
        run_n += 1
        if (step + 1) % 25 == 0 or step + 1 == args.steps:
            avg = run_loss / run_n
            types = {k: round(v[0] / v[1], 4) for k, v in sorted(by_type.items())}
            curve.append({"step": step + 1, "loss": round(avg, 5), "sample_loss_by_type": types})
            print(f"step {step + 1:5d}  loss {avg:.4f}  lr {opt.param_groups[0]['lr']:.2e}  "
                  f"cpu {time.process_time() - t_cpu:7.1f}s  wall {time.time() - t_wall:7.1f}s  "
                  + " ".join(f"{k} {v:.2f}" for k, v in types.items()), flush=True)
            run_loss, run_n = 0.0, 0
            by_type = {}

    model.eval()
    files = nano.save_checkpoint(model, args.out, sp_model)
    hashes = {fn: sha256(os.path.join(args.out, fn)) for fn in sorted(os.listdir(args.out))}
    log = {
        "steps": args.steps, "batch": args.batch, "samples": args.steps * args.batch,
        "train_seed": TRAIN_SEED, "init_seed": INIT_SEED, "peak_lr": PEAK_LR, "warmup": WARMUP,
        "weight_decay": WEIGHT_DECAY, "clip": CLIP,
        "params": counts, "weight_files": files,
        "bytes": {fn: os.path.getsize(os.path.join(args.out, fn)) for fn in sorted(os.listdir(args.out))},
        "cpu_seconds": round(time.process_time() - t_cpu, 1), "wall_seconds": round(time.time() - t_wall, 1),
        "data_cpu_seconds": round(data_s, 1), "threads": torch.get_num_threads(),
        "loss_curve": curve, "sha256": hashes,
        "versions": {"python": platform.python_version(), "torch": torch.__version__,
                     "transformers": __import__("transformers").__version__,
                     "sentencepiece": __import__("sentencepiece").__version__,
                     "pillow": __import__("PIL").__version__, "numpy": __import__("numpy").__version__,
                     "safetensors": __import__("safetensors").__version__},
        "machine": platform.processor() or platform.machine(),
    }
    with open(log_path, "w") as f:
        f.write(json.dumps(log, indent=2, sort_keys=True) + "\n")
    print(f"wrote {args.out} ({sum(log['bytes'].values()):,} bytes), log {log_path}; "
          f"model.safetensors sha256 {hashes['model.safetensors']}; cpu {log['cpu_seconds']}s", flush=True)


if __name__ == "__main__":
    main()
