#!/usr/bin/env python3
"""xgenmm vs onnxruntime-genai on the language model: same weights, machine and threads, in one run.

    python3 benchmarks/compare_ortgenai.py --checkpoint /tmp/fullsize --onnx-dir /tmp/ortgenai \\
        --artifact int4=/tmp/full-int4-kvbf16 [--threads 2] [--prompt 512] [--steps 128] \\
        [--reps 3] [--json-out results.json]

Pair (xgenmm artifact <-> ONNX model written here from the same checkpoint):
  int4   xgenmm-compile CKPT -o DIR --weights int4 --group-size 32   (LM head int8)  <->
         python3 -m onnxruntime_genai.models.builder -i ONNX_DIR/hf -o ONNX_DIR/int4 -e cpu
             -p int4 --extra_options block_size=32 accuracy_level=4 prune_lm_head=true
             matmul_mixed_precision=last_matmul:int8
Both sides: symmetric 4-bit weights in blocks of 32 multiplied with int8-quantized activations
(ORT's MatMulNBits at accuracy level 4; xgenmm's VNNI kernels), the LM head in 8 bits (blocks of
32), logits of the prompt's last token only (prune_lm_head). The builder fuses q/k/v, keeps gate
and up as two MatMulNBits and the embedding table as an fp32 Gather. ONNX_DIR/hf is the Phi-3
language model as a Hugging Face Phi3ForCausalLM directory: the checkpoint's vlm.lang_model.*
tensors (bf16, copied, prefix stripped), the 32064-row base vocabulary only (the decoupled
embedding's 3 added rows and the LM head's bias are left out: Phi3ForCausalLM has neither), a
synthetic word-level tokenizer (the builder insists on one; both sides take token ids). Both
directories are reused when present; the builder peaks at ~21 GB of memory (~2.5 min on 2 cores).

Protocol, the same on both sides, per repetition: a fresh generator (xgenmm: a reset session),
`--prompt` token ids (1 + i*7919 mod 32011) in one prefill call, then `--steps` decode steps;
prefill tokens/s = prompt / prefill time, decode tokens/s = steps / decode time. onnxruntime-genai
runs through its Python API: Generator.append_tokens for the prompt, then steps + 1 greedy
generate_next_token calls, the first of which only picks a token from the prefill's logits
(`--steps` forward passes; min_length = max_length keeps EOS away), intra_op_num_threads =
--threads, inter_op_num_threads = 1. xgenmm runs build/bin/xgenmm-model-bench's
prefill_then_decode benchmark (compare_llamacpp.run_xgenmm: the prompt's ids fed again, no
sampling), one process per repetition. One warm-up repetition each, then --reps repetitions
interleaved (onnxruntime-genai, xgenmm, ...: the machine's memory bandwidth drifts over minutes);
reported: the medians, and the median of the ratios of neighbouring runs.

Caveats: ORT's CPU attention keeps an fp32 KV cache (the xgenmm artifact: bf16), and its weight
scales are fp32; ORT-genai's decode steps include its greedy pick over the 32064 logits.
Peers: pip install onnxruntime-genai onnx onnx_ir (the builder also needs torch and transformers).
Not part of the tests.
"""

from __future__ import annotations

import argparse
import json
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare_llamacpp import (  # noqa: E402
    LM, ROOT, Checkpoint, median, prompt_ids, run_xgenmm, text_config)

BUILDER_OPTIONS = {"int4": ["-p", "int4", "--extra_options", "block_size=32", "accuracy_level=4",
                            "prune_lm_head=true", "matmul_mixed_precision=last_matmul:int8"]}
EOS = 32000  # Phi-3's <|endoftext|>


# --- Hugging Face directory and ONNX model ------------------------------------------------------

def write_hf_dir(ckpt: Checkpoint, text: dict, out: Path) -> None:
    """The language model as a Phi3ForCausalLM directory (bf16 tensors copied byte for byte)."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = ckpt.where[LM + "lm_head.weight"][1]["shape"][0]
    config = {"architectures": ["Phi3ForCausalLM"], "model_type": "phi3", "hidden_act": "silu",
              "bos_token_id": 1, "eos_token_id": EOS, "pad_token_id": EOS, "vocab_size": vocab,
              "tie_word_embeddings": False, "dtype": "bfloat16", "torch_dtype": "bfloat16",
              "rope_parameters": {"rope_type": "default", "rope_theta": text["rope_theta"]},
              "original_max_position_embeddings": text["max_position_embeddings"]}
    for key in ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                "num_key_value_heads", "rms_norm_eps", "rope_theta", "max_position_embeddings",
                "sliding_window"):
        config[key] = text.get(key)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(config, indent=1))

    # Every tensor under vlm.lang_model. but the decoupled vocabulary's extras and the head's bias.
    names = sorted(k for k in ckpt.where if k.startswith(LM) and "additional" not in k
                   and k != LM + "lm_head.bias")
    header, offset = {}, 0
    for name in names:
        info = ckpt.where[name][1]
        size = info["data_offsets"][1] - info["data_offsets"][0]
        header[name[len(LM):]] = {"dtype": info["dtype"], "shape": info["shape"],
                                  "data_offsets": [offset, offset + size]}
        offset += size
    blob = json.dumps(header).encode()
    blob += b" " * (-len(blob) % 8)
    with open(out / "model.safetensors", "wb") as f:
        f.write(struct.pack("<Q", len(blob)) + blob)
        for name in names:
            path, info, base = ckpt.where[name]
            begin, end = info["data_offsets"]
            with open(path, "rb") as src:
                src.seek(base + begin)
                f.write(src.read(end - begin))

    words = {"<unk>": 0, "<s>": 1, "</s>": 2, "<|endoftext|>": EOS}
    words.update({f"t{i}": i for i in range(vocab) if i not in words.values()})
    tok = Tokenizer(models.WordLevel(words, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.save(str(out / "tokenizer.json"))
    (out / "tokenizer_config.json").write_text(json.dumps(
        {"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<s>",
         "eos_token": "<|endoftext|>", "unk_token": "<unk>", "pad_token": "<|endoftext|>"}))


def build_onnx(hf_dir: Path, out: Path, precision: str) -> None:
    cmd = [sys.executable, "-m", "onnxruntime_genai.models.builder", "-i", str(hf_dir),
           "-o", str(out), "-e", "cpu", "-c", str(out.parent / "cache"),
           *BUILDER_OPTIONS[precision]]
    print("$", " ".join(cmd), file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True)


# --- measurements -------------------------------------------------------------------------------

class OrtGenai:
    """One onnxruntime-genai model, kept loaded across repetitions; a fresh generator per run."""

    def __init__(self, model_dir: Path, threads: int, prompt: int, steps: int):
        import onnxruntime_genai as og

        self.og, self.prompt, self.steps = og, prompt, steps
        config = og.Config(str(model_dir))
        config.overlay(json.dumps({"model": {"decoder": {"session_options": {
            "intra_op_num_threads": threads, "inter_op_num_threads": 1}}}}))
        self.model = og.Model(config)

    def run(self) -> tuple[float, float]:
        params = self.og.GeneratorParams(self.model)
        length = self.prompt + self.steps + 1
        params.set_search_options(do_sample=False, max_length=length, min_length=length)
        generator = self.og.Generator(self.model, params)
        ids = np.array(prompt_ids(self.prompt), dtype=np.int32)
        t0 = time.perf_counter()
        generator.append_tokens(ids)
        t1 = time.perf_counter()
        for _ in range(self.steps + 1):
            generator.generate_next_token()
        t2 = time.perf_counter()
        assert len(generator.get_sequence(0)) == length
        return self.prompt / (t1 - t0), self.steps / (t2 - t1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--checkpoint", type=Path, required=True)
    ap.add_argument("--onnx-dir", type=Path, required=True,
                    help="where the HF directory and the ONNX model go (reused when present)")
    ap.add_argument("--artifact", required=True, metavar="int4=DIR",
                    help="the xgenmm artifact of the checkpoint (int4 weights, groups of 32)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--prompt", type=int, default=512)
    ap.add_argument("--steps", type=int, default=128)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--bench", type=Path, default=ROOT / "build/bin/xgenmm-model-bench")
    ap.add_argument("--json-out", type=Path)
    args = ap.parse_args()

    precision, _, directory = args.artifact.partition("=")
    artifact = Path(directory)
    if precision not in BUILDER_OPTIONS or not (artifact / "manifest.json").exists():
        ap.error(f"--artifact {args.artifact}: expected int4=DIR, DIR holding a manifest.json")

    hf_dir, model_dir = args.onnx_dir / "hf", args.onnx_dir / precision
    if not (hf_dir / "tokenizer_config.json").exists():
        t0 = time.time()
        write_hf_dir(Checkpoint(args.checkpoint), text_config(args.checkpoint), hf_dir)
        print(f"wrote {hf_dir} in {time.time() - t0:.0f} s", file=sys.stderr)
    if not (model_dir / "genai_config.json").exists():
        t0 = time.time()
        build_onnx(hf_dir, model_dir, precision)
        print(f"built {model_dir} in {time.time() - t0:.0f} s", file=sys.stderr)

    # Interleaved repetitions (this machine's bandwidth drifts): a warm-up of each, then
    # onnxruntime-genai and xgenmm in turn; ratios per pair of neighbouring runs, then medians.
    ort = OrtGenai(model_dir, args.threads, args.prompt, args.steps)
    xgenmm = (artifact, args.bench, args.threads, args.prompt, args.steps)
    ort.run()
    run_xgenmm(*xgenmm)
    theirs, ours = [], []
    for rep in range(args.reps):
        theirs.append(ort.run())
        ours.append(run_xgenmm(*xgenmm))
        print(f"rep {rep}: ort-genai prefill {theirs[-1][0]:7.2f} decode {theirs[-1][1]:6.2f} | "
              f"xgenmm prefill {ours[-1][0]:7.2f} decode {ours[-1][1]:6.2f} tok/s", flush=True)
    row = {"precision": precision, "artifact": str(artifact), "onnx": str(model_dir),
           "xgenmm_runs": ours, "ortgenai_runs": theirs}
    for k, stage in enumerate(("prefill", "decode")):
        row[stage] = {"xgenmm_tokens_per_s": median([r[k] for r in ours]),
                      "ortgenai_tokens_per_s": median([r[k] for r in theirs]),
                      "ratio": median([a[k] / b[k] for a, b in zip(ours, theirs)])}
    print(f"{'':5s}  {'stage':12s} {'xgenmm':>9s} {'ort-genai':>10s} {'ratio':>6s}")
    for stage, n in (("prefill", args.prompt), ("decode", args.steps)):
        r = row[stage]
        print(f"{precision:5s}  {stage + ' ' + str(n):12s} {r['xgenmm_tokens_per_s']:9.2f} "
              f"{r['ortgenai_tokens_per_s']:10.2f} {r['ratio']:5.2f}x")
    if args.json_out:
        import onnxruntime
        import onnxruntime_genai

        args.json_out.write_text(json.dumps(
            {"threads": args.threads, "prompt": args.prompt, "steps": args.steps,
             "onnxruntime": onnxruntime.__version__,
             "onnxruntime_genai": onnxruntime_genai.__version__,
             "builder": BUILDER_OPTIONS[precision], "rows": [row]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
