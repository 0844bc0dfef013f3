#!/usr/bin/env python3
"""xgenmm vs llama.cpp on the language model: same weights, machine and threads, in one run.

    python3 benchmarks/compare_llamacpp.py --checkpoint /tmp/fullsize --gguf-dir /tmp/gguf \\
        --artifact bf16=/tmp/art-bf16 --artifact int8=/tmp/art-int8 --artifact int4=/tmp/art-int4 \\
        [--threads 2] [--prompt 512] [--steps 128] [--reps 2] [--json-out results.json]

Pairs (xgenmm artifact <-> llama.cpp GGUF written here from the same checkpoint):
  bf16   xgenmm-compile CKPT -o DIR --dtype bf16 [--matmul-precision bf16]  <->  BF16
  int8   xgenmm-compile CKPT -o DIR --weights int8 --group-size 32          <->  Q8_0 (blocks of 32)
  int4   xgenmm-compile CKPT -o DIR --weights int4 --group-size 32          <->  Q4_0 (blocks of 32)
The GGUF holds the Phi-3 language model only (llama.cpp's "phi3" architecture: fused qkv and
gate_up as in the checkpoint); token_embd and output (the LM head) are stored in the pair's type
like every other matrix, as `llama-quantize --pure` would, except that Q4_0 and Q8_0 files keep
output in Q8_0 (stock llama-quantize uses Q6_K there, which gguf-py cannot write). The GGUF
vocabulary is synthetic (byte tokens and placeholders, 32064 entries): both sides take token ids.

Protocol, the same on both sides, per repetition: a fresh context, `--prompt` token ids
(1 + i*7919 mod 32011) in one prefill call, then `--steps` decode steps feeding the prompt's ids
again; prefill tokens/s = prompt / prefill time, decode tokens/s = steps / decode time. llama.cpp
runs through llama-cpp-python (Llama.eval, n_batch = n_ubatch = prompt, n_threads and
n_threads_batch = --threads); xgenmm through build/bin/xgenmm-model-bench's prefill_then_decode
benchmark (XGENMM_BENCH_PREFILL_DECODE=P,D; OMP_NUM_THREADS = --threads), one process per
repetition. One warm-up repetition each, then --reps repetitions interleaved (llama.cpp, xgenmm,
llama.cpp, ...: the machine's memory bandwidth drifts over minutes); reported: the medians, and
the median of the ratios of neighbouring runs.

Peers: pip install llama-cpp-python gguf (llama.cpp is built from source by pip, ~8 minutes on
2 cores). Not part of the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PAIRS = {"bf16": "BF16", "int8": "Q8_0", "int4": "Q4_0"}
LM = "vlm.lang_model."


# --- checkpoint -------------------------------------------------------------------------------

class Checkpoint:
    """The safetensors files of a checkpoint directory, read tensor by tensor (memory-mapped)."""

    def __init__(self, directory: Path):
        self.directory = directory
        index = directory / "model.safetensors.index.json"
        files = (sorted(set(json.loads(index.read_text())["weight_map"].values()))
                 if index.exists() else ["model.safetensors"])
        self.where: dict[str, tuple[Path, dict, int]] = {}
        for name in files:
            path = directory / name
            with open(path, "rb") as f:
                n = struct.unpack("<Q", f.read(8))[0]
                header = json.loads(f.read(n))
            for key, info in header.items():
                if key != "__metadata__":
                    self.where[key] = (path, info, 8 + n)

    def get(self, name: str) -> np.ndarray:
        path, info, base = self.where[name]
        begin, end = info["data_offsets"]
        shape = info["shape"]
        raw = np.memmap(path, dtype=np.uint8, mode="r", offset=base + begin, shape=(end - begin,))
        if info["dtype"] == "F32":
            return np.asarray(raw.view(np.float32).reshape(shape))
        if info["dtype"] == "BF16":
            bits = raw.view(np.uint16).astype(np.uint32) << 16
            return bits.view(np.float32).reshape(shape)
        raise SystemExit(f"{path}: tensor {name}: dtype {info['dtype']} not handled (F32, BF16)")


def text_config(directory: Path) -> dict:
    config = json.loads((directory / "config.json").read_text())
    text = dict(config.get("text_config", {}))
    # Phi-3-mini defaults (what transformers fills in for the checkpoint's sparse text_config).
    defaults = {"hidden_size": 3072, "num_hidden_layers": 32, "num_attention_heads": 32,
                "intermediate_size": 8192, "vocab_size": 32064, "rms_norm_eps": 1e-5,
                "rope_theta": 10000.0, "max_position_embeddings": 4096}
    for k, v in defaults.items():
        text.setdefault(k, v)
    text.setdefault("num_key_value_heads", text["num_attention_heads"])
    return text


# --- GGUF ---------------------------------------------------------------------------------------

def write_gguf(ckpt: Checkpoint, text: dict, qtype_name: str, out: Path) -> None:
    import gguf
    from gguf import quants

    qtype = gguf.GGMLQuantizationType[qtype_name]
    head_type = gguf.GGMLQuantizationType.Q8_0 if qtype_name in ("Q4_0", "Q8_0") else qtype
    d, layers = text["hidden_size"], text["num_hidden_layers"]
    heads, kv = text["num_attention_heads"], text["num_key_value_heads"]
    vocab = ckpt.get(LM + "lm_head.weight").shape[0]

    w = gguf.GGUFWriter(str(out), arch="phi3")
    w.add_context_length(text["max_position_embeddings"])
    w.add_embedding_length(d)
    w.add_block_count(layers)
    w.add_feed_forward_length(text["intermediate_size"])
    w.add_head_count(heads)
    w.add_head_count_kv(kv)
    w.add_rope_dimension_count(d // heads)
    w.add_layer_norm_rms_eps(text["rms_norm_eps"])
    w.add_rope_freq_base(text["rope_theta"])
    w.add_file_type({"BF16": gguf.LlamaFileType.MOSTLY_BF16, "Q8_0": gguf.LlamaFileType.MOSTLY_Q8_0,
                     "Q4_0": gguf.LlamaFileType.MOSTLY_Q4_0}[qtype_name])
    # A synthetic SentencePiece vocabulary: <unk> <s> </s>, the 256 byte tokens, placeholders.
    tokens, scores, types = [b"<unk>", b"<s>", b"</s>"], [0.0, 0.0, 0.0], [2, 3, 3]
    tokens += [f"<0x{i:02X}>".encode() for i in range(256)]
    scores += [0.0] * 256
    types += [6] * 256
    for i in range(len(tokens), vocab):
        tokens.append(f"\u2581t{i}".encode())
        scores.append(-float(i))
        types.append(1)
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)

    names = [("token_embd.weight", LM + "model.embed_tokens.weight", qtype),
             ("output_norm.weight", LM + "model.norm.weight", None),
             ("output.weight", LM + "lm_head.weight", head_type)]
    for i in range(layers):
        src = f"{LM}model.layers.{i}."
        names += [(f"blk.{i}.attn_norm.weight", src + "input_layernorm.weight", None),
                  (f"blk.{i}.attn_qkv.weight", src + "self_attn.qkv_proj.weight", qtype),
                  (f"blk.{i}.attn_output.weight", src + "self_attn.o_proj.weight", qtype),
                  (f"blk.{i}.ffn_norm.weight", src + "post_attention_layernorm.weight", None),
                  (f"blk.{i}.ffn_up.weight", src + "mlp.gate_up_proj.weight", qtype),
                  (f"blk.{i}.ffn_down.weight", src + "mlp.down_proj.weight", qtype)]

    def convert(src: str, t):
        x = np.ascontiguousarray(ckpt.get(src), dtype=np.float32)
        return x if t is None else quants.quantize(x, t)

    # Two passes over the checkpoint: sizes first (the header precedes the data), then data.
    for dst, src, t in names:
        shape = ckpt.where[src][1]["shape"]
        if t is None:
            w.add_tensor_info(dst, shape, np.dtype(np.float32), int(np.prod(shape)) * 4)
        else:
            byte_shape = quants.quant_shape_to_byte_shape(shape, t)
            w.add_tensor_info(dst, byte_shape, np.dtype(np.uint8), int(np.prod(byte_shape)), t)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    for dst, src, t in names:
        w.write_tensor_data(convert(src, t))
    w.close()


# --- measurements -------------------------------------------------------------------------------

def prompt_ids(n: int, base: int = 32012) -> list[int]:
    return [1 + (i * 7919) % (base - 1) for i in range(n)]


class LlamaCpp:
    """One llama.cpp context over a GGUF file, kept loaded across repetitions."""

    def __init__(self, gguf_path: Path, threads: int, prompt: int, steps: int):
        from llama_cpp import Llama

        self.prompt, self.steps = prompt, steps
        self.llm = Llama(model_path=str(gguf_path), n_ctx=prompt + steps + 8, n_batch=prompt,
                         n_ubatch=prompt, n_threads=threads, n_threads_batch=threads,
                         verbose=False)

    def run(self) -> tuple[float, float]:
        ids = prompt_ids(self.prompt)
        self.llm.reset()  # n_past = 0: eval drops the cached positions past it
        t0 = time.perf_counter()
        self.llm.eval(ids)
        t1 = time.perf_counter()
        for i in range(self.steps):
            self.llm.eval([ids[i % self.prompt]])
        t2 = time.perf_counter()
        return self.prompt / (t1 - t0), self.steps / (t2 - t1)


def run_xgenmm(artifact: Path, bench: Path, threads: int, prompt: int, steps: int) -> tuple[float, float]:
    """One repetition in xgenmm-model-bench (a fresh process; weights.bin stays in the page cache)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bench.json"
        env = dict(os.environ, XGENMM_BENCH_ARTIFACT=str(artifact),
                   XGENMM_BENCH_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
                   XGENMM_BENCH_PREFILL_DECODE=f"{prompt},{steps}")
        cmd = [str(bench), "--benchmark_filter=prefill_then_decode", "--benchmark_min_time=0",
               f"--benchmark_out={out}", "--benchmark_out_format=json"]
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
        run = [b for b in json.loads(out.read_text())["benchmarks"]
               if b.get("run_type") == "iteration"][0]
    return run["prefill_tokens/s"], run["decode_tokens/s"]


def median(values: list[float]) -> float:
    v = sorted(values)
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--checkpoint", type=Path, required=True)
    ap.add_argument("--gguf-dir", type=Path, required=True,
                    help="where the GGUF files are written (reused when present)")
    ap.add_argument("--artifact", action="append", default=[], metavar="PRECISION=DIR",
                    help="an xgenmm artifact of the checkpoint: bf16=, int8= or int4= (repeatable)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--prompt", type=int, default=512)
    ap.add_argument("--steps", type=int, default=128)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--bench", type=Path, default=ROOT / "build/bin/xgenmm-model-bench")
    ap.add_argument("--json-out", type=Path)
    args = ap.parse_args()

    pairs = []
    for item in args.artifact:
        precision, _, directory = item.partition("=")
        if precision not in PAIRS or not directory:
            ap.error(f"--artifact {item}: expected bf16=DIR, int8=DIR or int4=DIR")
        if not (Path(directory) / "manifest.json").exists():
            ap.error(f"--artifact {item}: {directory} has no manifest.json")
        pairs.append((precision, Path(directory)))
    if not pairs:
        ap.error("give at least one --artifact")

    ckpt = Checkpoint(args.checkpoint)
    text = text_config(args.checkpoint)
    args.gguf_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for precision, artifact in pairs:
        qtype = PAIRS[precision]
        gguf_path = args.gguf_dir / f"phi3-{qtype.lower()}.gguf"
        if not gguf_path.exists():
            t0 = time.time()
            partial = gguf_path.with_suffix(".partial")
            write_gguf(ckpt, text, qtype, partial)
            partial.rename(gguf_path)
            print(f"wrote {gguf_path} ({gguf_path.stat().st_size / 1e9:.2f} GB) in "
                  f"{time.time() - t0:.0f} s", file=sys.stderr)
        # Interleaved repetitions (this machine's bandwidth drifts): a warm-up of each, then
        # llama.cpp and xgenmm in turn; ratios per pair of neighbouring runs, then medians.
        llama = LlamaCpp(gguf_path, args.threads, args.prompt, args.steps)
        llama.run()
        run_xgenmm(artifact, args.bench, args.threads, args.prompt, args.steps)
        theirs, ours = [], []
        for _ in range(args.reps):
            theirs.append(llama.run())
            ours.append(run_xgenmm(artifact, args.bench, args.threads, args.prompt, args.steps))
        del llama
        row = {"precision": precision, "llama.cpp": qtype, "artifact": str(artifact),
               "gguf": str(gguf_path), "xgenmm_runs": ours, "llamacpp_runs": theirs}
        for k, stage in enumerate(("prefill", "decode")):
            row[stage] = {"xgenmm_tokens_per_s": median([r[k] for r in ours]),
                          "llamacpp_tokens_per_s": median([r[k] for r in theirs]),
                          "ratio": median([a[k] / b[k] for a, b in zip(ours, theirs)])}
        rows.append(row)
        print(f"{precision:5s} vs {qtype:5s}  prefill {args.prompt}: xgenmm "
              f"{row['prefill']['xgenmm_tokens_per_s']:7.2f} tok/s  llama.cpp "
              f"{row['prefill']['llamacpp_tokens_per_s']:7.2f}  ratio {row['prefill']['ratio']:.2f}x"
              f" | decode {args.steps}: xgenmm {row['decode']['xgenmm_tokens_per_s']:6.2f} tok/s "
              f" llama.cpp {row['decode']['llamacpp_tokens_per_s']:6.2f}  ratio "
              f"{row['decode']['ratio']:.2f}x", flush=True)
    if args.json_out:
        args.json_out.write_text(json.dumps({"threads": args.threads, "prompt": args.prompt,
                                             "steps": args.steps, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
