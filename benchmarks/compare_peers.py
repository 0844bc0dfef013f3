#!/usr/bin/env python3
"""xgenmm vs PyTorch and ONNX Runtime on the same weights, machine and thread count, in one run.

    python3 benchmarks/compare_peers.py --checkpoint /tmp/fullsize \\
        --artifact-f32 /tmp/art-f32 --artifact-bf16 /tmp/art-bf16 --threads 2 \\
        [--stages encode,siglip,resampler,prefill,decode] [--prefill-tokens 16] \\
        [--decode-context 16] [--reps 3] [--warmup 1] [--json-out results.json]

Artifacts come from `build/bin/xgenmm-compile CHECKPOINT -o DIR --dtype f32|bf16`.
Peers: `pip install -r benchmarks/requirements-peers.txt`. Not part of the tests.

Stages (all batch 1, the same definitions on every side):
  encode     the whole vision side of one image = what xgenmm_encode_image does: the 3 views
             (global + 1x2 anyres grid, 384x384 each at full size, constant pixels 0.25) through
             SigLIP, the anyres regrouping with its padding mask, the perceiver resampler and the
             projection; reported per view (call time / 3). = ModelBench
             encode_image/views_of_a_1x2_grid.
  siglip     SigLIP tower only (patch embedding, all layers, post-layernorm) on the same 3 views,
             per view. Peers only: the artifact has no SigLIP-only entry point.
  resampler  regrouping + masked resampler + projection on the 3 views' SigLIP features, per
             view. Peers only, for the same reason.
  prefill    N prompt tokens from an empty KV cache (embedding, all layers, LM head for the last
             position only), tokens/s = N / call time. = ModelBench prefill/N.
  decode     decode steps after C cached tokens (their prefill is not timed), each step timed on
             its own, tokens/s = 1 / step time. = ModelBench decode/context/C; where that
             benchmark runs K steps per repetition (context C..C+K-1) and reports their median,
             the torch side does the same K steps per rep (otherwise 1 step at context C).

xgenmm is measured by the existing Google Benchmark program build/bin/xgenmm-model-bench
(env XGENMM_BENCH_ARTIFACT, XGENMM_BENCH_THREADS and OMP_NUM_THREADS = threads; warmup + reps
repetitions of one iteration each, or of decode's own step count; the first `warmup` dropped;
its JSON report read from --benchmark_out). PyTorch runs the project's reference
modules (test/reference/xgenmm_ref.py) under torch.inference_mode with torch.set_num_threads;
fp32 = weights upcast to float32, bf16 = model.to(torch.bfloat16) (activations in bf16 too,
whereas xgenmm's bf16 artifact keeps bf16 weights and computes in f32). ONNX Runtime runs the
fp32 vision side exported with torch.onnx.export (dynamo), cached under --onnx-cache.
Every peer figure is the median of --reps calls after --warmup calls.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import importlib
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
REFERENCE_DIR = os.path.join(REPO_ROOT, "test", "reference")
DEFAULT_MODEL_BENCH = os.path.join(REPO_ROOT, "build", "bin", "xgenmm-model-bench")
ALL_STAGES = ["encode", "siglip", "resampler", "prefill", "decode"]
VISION_STAGES = {"encode", "siglip", "resampler"}
COLUMNS = ["xgenmm f32", "xgenmm bf16", "torch f32", "torch bf16", "ORT f32"]
RATIOS = [("xgenmm f32", "torch f32"), ("xgenmm bf16", "torch bf16"), ("xgenmm f32", "ORT f32")]
EXIT_MISSING = 2


def die(msg: str, code: int = EXIT_MISSING) -> None:
    print(f"compare_peers: error: {msg}", file=sys.stderr, flush=True)
    sys.exit(code)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def int_list(s: str) -> list[int]:
    try:
        out = [int(x) for x in s.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {s!r}")
    if not out or any(x <= 0 for x in out):
        raise argparse.ArgumentTypeError(f"expected positive integers, got {s!r}")
    return out


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True, help="Hugging Face checkpoint dir the artifacts were compiled from")
    ap.add_argument("--artifact-f32", help="artifact compiled with --dtype f32 (omit: column not measured)")
    ap.add_argument("--artifact-bf16", help="artifact compiled with --dtype bf16 (omit: column not measured)")
    ap.add_argument("--threads", type=int, required=True, help="threads for every side (OMP, torch, ORT intra-op)")
    ap.add_argument("--stages", default=",".join(ALL_STAGES), help=f"comma list of {','.join(ALL_STAGES)}")
    ap.add_argument("--prefill-tokens", type=int_list, default=[16],
                    help="prompt length(s) of the prefill stage; ModelBench has 16, 128, 1024 (default 16)")
    ap.add_argument("--decode-context", type=int_list, default=[16],
                    help="cached tokens before the timed decode step; ModelBench has 16, 512, 2048 (default 16)")
    ap.add_argument("--reps", type=int, default=3, help="timed calls per stage and side; the median is reported")
    ap.add_argument("--warmup", type=int, default=1, help="untimed calls before them (default 1)")
    ap.add_argument("--model-bench", default=DEFAULT_MODEL_BENCH, help="xgenmm-model-bench binary")
    ap.add_argument("--torch-attention", default="sdpa", choices=["sdpa", "eager"],
                    help="transformers attention for SigLIP and Phi-3 in the torch runs (default sdpa, "
                         "transformers' own default; the reference's goldens use eager)")
    ap.add_argument("--onnx-cache", default=os.path.join(tempfile.gettempdir(), "xgenmm-compare-peers-onnx"),
                    help="where exported .onnx files are kept between runs")
    ap.add_argument("--ort-tol", type=float, default=1e-3,
                    help="largest accepted max|torch - ORT| / max|torch| of the fp32 vision side")
    ap.add_argument("--allow-missing-peers", action="store_true",
                    help="skip (and say so) a peer that is not installed instead of failing")
    ap.add_argument("--json-out", help="also write the results here as JSON")
    args = ap.parse_args()
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    bad = [s for s in stages if s not in ALL_STAGES]
    if bad or not stages:
        ap.error(f"unknown stage(s) {bad}; known: {','.join(ALL_STAGES)}")
    args.stages = [s for s in ALL_STAGES if s in stages]
    if args.threads < 1 or args.reps < 1 or args.warmup < 0:
        ap.error("--threads and --reps must be >= 1, --warmup >= 0")
    return args


# ------------------------------------------------------------------------------------------
# Paths, peers, machine
# ------------------------------------------------------------------------------------------


def checkpoint_files(d: str) -> list[str]:
    idx = os.path.join(d, "model.safetensors.index.json")
    if os.path.isfile(idx):
        with open(idx) as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    elif os.path.isfile(os.path.join(d, "model.safetensors")):
        files = ["model.safetensors"]
    else:
        die(f"checkpoint {d}: neither model.safetensors nor model.safetensors.index.json")
    for fn in files:
        if not os.path.isfile(os.path.join(d, fn)):
            die(f"checkpoint {d}: shard {fn} named by the index is missing")
    return files


def check_paths(args) -> None:
    if not os.path.isdir(args.checkpoint):
        die(f"--checkpoint {args.checkpoint}: no such directory")
    if not os.path.isfile(os.path.join(args.checkpoint, "config.json")):
        die(f"--checkpoint {args.checkpoint}: no config.json")
    checkpoint_files(args.checkpoint)
    if not args.artifact_f32 and not args.artifact_bf16:
        die("give --artifact-f32 and/or --artifact-bf16 (xgenmm-compile CHECKPOINT -o DIR --dtype f32|bf16)")
    for flag, path in (("--artifact-f32", args.artifact_f32), ("--artifact-bf16", args.artifact_bf16)):
        if path is None:
            continue
        for fn in ("manifest.json", "model.so", "weights.bin"):
            if not os.path.isfile(os.path.join(path, fn)):
                die(f"{flag} {path}: no {fn} (not an xgenmm artifact directory)")
    if args.json_out and not os.path.isdir(os.path.dirname(os.path.abspath(args.json_out))):
        die(f"--json-out {args.json_out}: its directory does not exist")
    if not (os.path.isfile(args.model_bench) and os.access(args.model_bench, os.X_OK)):
        die(f"--model-bench {args.model_bench}: missing or not executable (build the project with "
            "Google Benchmark installed; if the build is being redone, retry in a minute)")


def peer_availability(args, need_vision: bool) -> dict[str, str | None]:
    """{peer: None if usable else why not}; fails unless --allow-missing-peers."""
    def missing(mods):
        out = []
        for m in mods:
            try:
                importlib.import_module(m)
            except Exception as e:  # ImportError or a broken install
                out.append(m if isinstance(e, ModuleNotFoundError) else f"{m} ({type(e).__name__}: {e})")
        return f"not installed (missing: {', '.join(out)})" if out else None

    status: dict[str, str | None] = {"torch": missing(["torch", "transformers", "safetensors", "numpy"])}
    if need_vision:
        status["ORT"] = "not run (it needs torch to export the model)" if status["torch"] else \
            missing(["onnxruntime", "onnx", "onnxscript"])
    for peer, why in status.items():
        if why is None:
            continue
        name = {"torch": "torch", "ORT": "onnxruntime"}[peer]
        if args.allow_missing_peers:
            print(f"skipped: {name} {why}", flush=True)
        else:
            die(f"peer {name} {why}; pip install -r benchmarks/requirements-peers.txt, "
                "or pass --allow-missing-peers to skip it")
    return status


def cpu_model() -> str:
    """'model name' of /proc/cpuinfo, with family/model/stepping (VMs often shorten the name)."""
    info = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if not line.strip():
                    break  # first processor only
                k, _, v = line.partition(":")
                info[k.strip()] = v.strip()
    except OSError:
        pass
    name = info.get("model name") or platform.processor() or "unknown"
    ids = [f"{k} {info[k]}" for k in ("cpu family", "model", "stepping") if k in info]
    return f"{name} [{', '.join(ids)}]" if ids else name


def cpu_flags() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    have = set(line.split(":", 1)[1].split())
                    want = ["avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile"]
                    return " ".join(w for w in want if w in have) or "none of avx2/avx512"
    except OSError:
        pass
    return "unknown"


def mem_total_gib() -> float | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return None


def git_commit() -> str:
    try:
        rev = subprocess.run(["git", "-C", REPO_ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", REPO_ROOT, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return rev + (" (+ uncommitted changes)" if dirty else "")
    except Exception:
        return "unknown"


def versions(status) -> dict[str, str]:
    v = {"python": platform.python_version(), "xgenmm": git_commit()}
    for mod in ("torch", "transformers", "numpy", "safetensors", "onnxruntime", "onnx", "onnxscript"):
        try:
            v[mod] = importlib.import_module(mod).__version__
        except Exception:
            v[mod] = "not installed"
    return v


# ------------------------------------------------------------------------------------------
# Configuration: from the checkpoint (design.md "Checkpoint convention"), checked against the
# artifacts' manifests
# ------------------------------------------------------------------------------------------


def import_reference():
    sys.dont_write_bytecode = True  # keep test/reference free of __pycache__
    if REFERENCE_DIR not in sys.path:
        sys.path.insert(0, REFERENCE_DIR)
    import xgenmm_ref  # noqa: E402

    return xgenmm_ref


def config_from_checkpoint(d: str):
    """ModelCfg from config.json; missing fields = the reference's defaults (the real model)."""
    import dataclasses

    xr = import_reference()
    with open(os.path.join(d, "config.json")) as f:
        cj = json.load(f)

    def pick(cls, src: dict, rename=None):
        rename = rename or {}
        names = {f.name for f in dataclasses.fields(cls)}
        kw = {}
        for k, val in src.items():
            k = rename.get(k, k)
            if k in names:
                kw[k] = val
        return kw

    t = dict(cj.get("text_config") or {})
    rp = t.get("rope_parameters") or t.get("rope_scaling") or {}
    if "rope_theta" not in t and "rope_theta" in rp:
        t["rope_theta"] = rp["rope_theta"]
    tkw = pick(xr.TextCfg, t)
    if "num_key_value_heads" not in tkw and "num_attention_heads" in tkw:
        tkw["num_key_value_heads"] = tkw["num_attention_heads"]  # transformers' rule
    vision = ((cj.get("vision_encoder_config") or {}).get("vision_config")) or {}
    tok = cj.get("vision_tokenizer_config") or {}
    cfg = xr.ModelCfg(
        vision=xr.VisionCfg(**pick(xr.VisionCfg, vision)),
        resampler=xr.ResamplerCfg(**pick(xr.ResamplerCfg, tok, {"num_vis_tokens": "num_latents"})),
        text=xr.TextCfg(**tkw),
    )
    if tok.get("vis_feature_dim", cfg.vision.hidden_size) != cfg.vision.hidden_size:
        die(f"{d}/config.json: vis_feature_dim != vision hidden_size")
    if tok.get("lang_embedding_dim", cfg.text.hidden_size) != cfg.text.hidden_size:
        die(f"{d}/config.json: lang_embedding_dim != text hidden_size")
    return cfg


def config_from_manifest(m: dict):
    """The compiler's resolved configuration (for the report when torch, and so the reference, is
    not installed)."""
    from types import SimpleNamespace as NS

    c = m.get("config", {})
    v, r, t = NS(**c.get("vision", {})), NS(**c.get("resampler", {})), NS(**c.get("text", {}))
    v.num_tokens = (v.image_size // v.patch_size) ** 2
    return NS(vision=v, resampler=r, text=t)


def load_manifest(path: str) -> dict:
    with open(os.path.join(path, "manifest.json")) as f:
        return json.load(f)


def check_manifest(flag: str, path: str, m: dict, cfg, dtype: str) -> None:
    if m.get("format") != "xgenmm-artifact":
        die(f"{flag} {path}: manifest.json is not an xgenmm artifact manifest")
    if m.get("dtype") != dtype:
        die(f"{flag} {path}: artifact weights are {m.get('dtype')!r}, expected {dtype!r} "
            f"(xgenmm-compile ... --dtype {dtype})")
    if "target" in m and str(m["target"]).startswith("sm_"):
        die(f"{flag} {path}: a GPU artifact ({m['target']}); this script compares CPU runs")
    mc = m.get("config", {})
    diffs = []
    for sect, obj in (("vision", cfg.vision), ("resampler", cfg.resampler), ("text", cfg.text)):
        for k, val in (mc.get(sect) or {}).items():
            if not hasattr(obj, k):
                continue
            mine = getattr(obj, k)
            if isinstance(val, float) or isinstance(mine, float):
                same = math.isclose(float(val), float(mine), rel_tol=1e-9)
            else:
                same = val == mine
            if not same:
                diffs.append(f"{sect}.{k}: artifact {val!r}, checkpoint {mine!r}")
    if diffs:
        die(f"{flag} {path} was not compiled from --checkpoint (config differs: {'; '.join(diffs[:5])})")


# ------------------------------------------------------------------------------------------
# xgenmm: the existing ModelBench program
# ------------------------------------------------------------------------------------------


def bench_names(stages, prefill_tokens, decode_context) -> dict[str, str]:
    """ModelBench benchmark name -> row key."""
    out = {}
    if "encode" in stages:
        out["encode_image/views_of_a_1x2_grid"] = "encode"
    if "prefill" in stages:
        for n in prefill_tokens:
            out[f"prefill/{n}"] = f"prefill/{n}"
    if "decode" in stages:
        for c in decode_context:
            out[f"decode/context/{c}"] = f"decode/context/{c}"
    return out


def run_model_bench(args, artifact: str, names: dict) -> tuple[dict[str, list[float]], dict[str, int], list[str]]:
    """Runs the requested ModelBench benchmarks: warmup + reps repetitions of one iteration each
    (decode: of the benchmark's own fixed step count, if it has one).
    Returns ({name: seconds per rep, warm-up dropped}, {name: decode steps per rep}, the program's
    own lines before its report, e.g. the machine limits it measured)."""
    env = dict(os.environ, XGENMM_BENCH_ARTIFACT=artifact, XGENMM_BENCH_THREADS=str(args.threads),
               OMP_NUM_THREADS=str(args.threads))
    # ModelBench may append /iterations:N/manual_time to a name: match the prefix
    regex = "^(" + "|".join(names) + ")(/.*)?$"
    with tempfile.TemporaryDirectory(prefix="xgenmm-compare-peers-") as tmp:
        out_json = os.path.join(tmp, "model-bench.json")
        cmd = [args.model_bench, f"--benchmark_filter={regex}", "--benchmark_min_time=0",
               f"--benchmark_repetitions={args.warmup + args.reps}", "--benchmark_format=console",
               "--benchmark_color=false", f"--benchmark_out={out_json}", "--benchmark_out_format=json"]
        log(f"xgenmm: XGENMM_BENCH_THREADS={args.threads} OMP_NUM_THREADS={args.threads} "
            f"XGENMM_BENCH_ARTIFACT={artifact} {' '.join(cmd)}")
        p = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if p.returncode != 0:
            die(f"xgenmm-model-bench failed ({p.returncode}): {(p.stderr.strip() or p.stdout.strip())[-2000:]}", 1)
        try:
            with open(out_json) as f:
                report = json.load(f)
        except (OSError, json.JSONDecodeError):
            report = {"benchmarks": []}  # e.g. the filter matched nothing: said below
    preamble = []
    for line in p.stdout.splitlines():
        if line.startswith("-----") or line.startswith("Benchmark") or line.startswith("Run on"):
            break
        if line.strip() and not line.startswith(tuple("0123456789")):  # gbench's date line
            preamble.append(line.rstrip())
    unit = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
    per: dict[str, list[tuple[int, float]]] = {}
    steps: dict[str, int] = {}
    for b in report["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        if b.get("error_occurred"):
            die(f"xgenmm-model-bench {b['name']}: {b.get('error_message')}", 1)
        run = b["run_name"]
        name = next((n for n in names if run == n or run.startswith(n + "/")), None)
        if name is None:
            continue
        if "median_ms" in b:  # decode steps timed one by one: the repetition's median step
            sec = b["median_ms"] * 1e-3
            steps[name] = int(b["iterations"])
        else:  # one iteration per repetition (--benchmark_min_time=0)
            sec = b["real_time"] * unit[b["time_unit"]]
        per.setdefault(name, []).append((b.get("repetition_index", 0), sec))
    absent = [n for n in names if n not in per]
    if absent:
        listed = subprocess.run([args.model_bench, "--benchmark_list_tests=true"], env=env,
                                capture_output=True, text=True).stdout.splitlines()
        have = [n for n in listed if "/" in n and not any(ch.isspace() for ch in n)]  # no preamble
        if not have:
            die(f"xgenmm-model-bench gave no results for {artifact}: {p.stdout[-800:]} {p.stderr[-800:]}", 1)
        die(f"xgenmm-model-bench has no {', '.join(absent)} for {artifact} (it has: {', '.join(have)}); "
            "choose --prefill-tokens / --decode-context among them")
    out = {}
    for name in names:
        runs = [sec for _, sec in sorted(per[name])]
        if len(runs) != args.warmup + args.reps:
            die(f"xgenmm-model-bench: {len(runs)} repetitions of {name}, expected {args.warmup + args.reps}", 1)
        out[name] = runs[args.warmup:]
    return out, steps, preamble


# ------------------------------------------------------------------------------------------
# PyTorch: the reference's modules, the checkpoint's weights streamed in
# ------------------------------------------------------------------------------------------


def stream_weights(ckpt: str, targets: dict) -> None:
    """Copies every checkpoint tensor whose released name starts with a key of `targets` into
    that module (released name minus the prefix); every parameter/persistent buffer must get one."""
    import torch
    from safetensors import safe_open

    params = {}
    for prefix, mod in targets.items():
        for n, t in list(mod.named_parameters()) + list(mod.named_buffers()):
            params[prefix + n] = t
    persistent = set()
    for prefix, mod in targets.items():
        persistent |= {prefix + n for n in mod.state_dict().keys()}
    loaded = set()
    for fn in checkpoint_files(ckpt):
        with safe_open(os.path.join(ckpt, fn), "pt") as sf:
            for name in sf.keys():
                for prefix in targets:
                    if name.startswith(prefix):
                        break
                else:
                    continue
                dst = params.get(name)
                if dst is None:
                    die(f"checkpoint tensor {name} has no place in the reference model", 1)
                src = sf.get_tensor(name)
                if tuple(src.shape) != tuple(dst.shape):
                    die(f"checkpoint tensor {name}: shape {tuple(src.shape)}, model {tuple(dst.shape)}", 1)
                with torch.no_grad():
                    dst.copy_(src.to(dst.dtype))
                loaded.add(name)
    left = sorted(n for n in persistent if n not in loaded and not n.endswith("position_ids"))
    if left:
        die(f"checkpoint lacks {len(left)} tensors of the model, e.g. {left[:3]}", 1)


def build_vision(cfg, ckpt: str, attn: str):
    """SigLIP tower + resampler (with projection), fp32, the checkpoint's weights."""
    from transformers import SiglipVisionModel
    from transformers.initialization import no_init_weights

    xr = import_reference()
    vcfg = xr.siglip_config(cfg.vision)
    vcfg._attn_implementation = attn
    with no_init_weights():
        vision = SiglipVisionModel(vcfg)
        rs = xr.PerceiverResampler(cfg.vision.hidden_size, cfg.text.hidden_size, cfg.resampler)
    vision, rs = vision.float().eval(), rs.float().eval()
    # released names have no vision_model. level (transformers 4.x nests one, 5.x does not)
    tower = getattr(vision, "vision_model", vision)
    stream_weights(ckpt, {"vlm.vision_encoder.": tower, "vlm.vision_tokenizer.": rs})
    return vision, rs


def build_lm(cfg, ckpt: str, attn: str):
    """Phi-3 with the decoupled embedding and head, as XGenMMPerceiver builds it, fp32."""
    from transformers import Phi3ForCausalLM
    from transformers.initialization import no_init_weights

    xr = import_reference()
    t = cfg.text
    pcfg = xr.phi3_config(t)
    pcfg._attn_implementation = attn
    with no_init_weights():
        lm = Phi3ForCausalLM(pcfg)
        lm.model.embed_tokens = xr.DecoupledEmbedding(t.vocab_size, t.hidden_size, t.initial_tokenizer_len,
                                                      t.num_additional)
        lm.lm_head = xr.DecoupledLinear(t.hidden_size, t.vocab_size, t.initial_tokenizer_len, t.num_additional)
    lm = lm.float().eval()
    stream_weights(ckpt, {"vlm.lang_model.": lm})
    return lm


class VisionTail:
    """Regrouping + padding mask + resampler + projection of ModelBench's image (1x2 grid)."""

    @staticmethod
    def module(rs, cfg, anyres: bool):
        import torch

        xr = import_reference()
        S, g, D = cfg.vision.image_size, cfg.vision.grid, cfg.text.hidden_size

        class Tail(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.rs = rs

            def forward(self, feats):
                if anyres:  # ModelBench: 2 crops tall, 1 wide, original size S x 2S (W x H)
                    grp, mask = xr.regroup_anyres(feats, 1, 2, (S, 2 * S), g)
                    mask = mask.to(feats.dtype)
                else:
                    grp, mask = feats, None
                return self.rs.projection(self.rs.forward_latents(grp, mask)).reshape(-1, D)

        return Tail().eval()


class SiglipOnly:
    @staticmethod
    def module(vision):
        import torch

        class Siglip(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.vision = vision

            def forward(self, pixels):
                return self.vision(pixel_values=pixels).last_hidden_state

        return Siglip().eval()


def time_calls(fn, warmup: int, reps: int) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def model_bench_prompt(n: int, n_vocab_base: int) -> list[int]:
    """ModelBench's prompt(n): ids[i] = 1 + (i * 7919) % (n_vocab_base - 1)."""
    return [1 + (i * 7919) % (n_vocab_base - 1) for i in range(n)]


def cache_kwarg(lm) -> str:
    import inspect

    return "cache" if "cache" in inspect.signature(lm.forward).parameters else "past_key_values"


def torch_lm_stages(lm, cfg, args, dtype_name: str, decode_steps: dict[int, int]) -> dict[str, list[float]]:
    import torch

    key = cache_kwarg(lm)
    itl = cfg.text.initial_tokenizer_len
    res = {}

    def prefill(ids_t, past=None):
        e = lm.model.embed_tokens(ids_t)[None]
        out = lm(inputs_embeds=e, use_cache=True, logits_to_keep=1, **{key: past})
        return out["cache"] if key == "cache" else out.past_key_values

    if "prefill" in args.stages:
        for n in args.prefill_tokens:
            ids_t = torch.tensor(model_bench_prompt(n, itl))
            log(f"torch {dtype_name}: prefill/{n}")
            res[f"prefill/{n}"] = time_calls(lambda: prefill(ids_t), args.warmup, args.reps)
    if "decode" in args.stages:
        for c in args.decode_context:
            k = decode_steps.get(c, 1)
            ids = model_bench_prompt(c, itl)
            cache = prefill(torch.tensor(ids))

            def rep():
                """k steps from context c, each timed on its own (as ModelBench); their median."""
                n = cache.get_seq_length()
                if n > c:
                    cache.crop(-(n - c))  # back to the context (negative = tokens to remove)
                if cache.get_seq_length() != c:
                    raise RuntimeError("KV cache not back at the context length")
                times = []
                for i in range(k):
                    one = torch.tensor([ids[i % len(ids)]])  # ModelBench's ids[step % context]
                    t0 = time.perf_counter()
                    prefill(one, cache)
                    times.append(time.perf_counter() - t0)
                return statistics.median(times)

            log(f"torch {dtype_name}: decode/context/{c} ({k} step(s) per rep)")
            for _ in range(args.warmup):
                rep()
            res[f"decode/context/{c}"] = [rep() for _ in range(args.reps)]
    return res


def torch_vision_stages(siglip, tail, pixels, args, dtype_name: str, views: int) -> dict[str, list[float]]:
    res = {}
    if "encode" in args.stages:
        log(f"torch {dtype_name}: encode ({views} views)")
        res["encode"] = [t / views for t in time_calls(lambda: tail(siglip(pixels)), args.warmup, args.reps)]
    if "siglip" in args.stages:
        log(f"torch {dtype_name}: siglip ({views} views)")
        res["siglip"] = [t / views for t in time_calls(lambda: siglip(pixels), args.warmup, args.reps)]
    if "resampler" in args.stages:
        feats = siglip(pixels)
        log(f"torch {dtype_name}: resampler ({views} views)")
        res["resampler"] = [t / views for t in time_calls(lambda: tail(feats), args.warmup, args.reps)]
    return res


# ------------------------------------------------------------------------------------------
# ONNX Runtime: the fp32 vision side, exported once and cached
# ------------------------------------------------------------------------------------------


def onnx_cache_dir(args, cfg, views: int, anyres: bool) -> str:
    import torch

    h = hashlib.sha256()
    ck = os.path.abspath(args.checkpoint)
    h.update(ck.encode())
    with open(os.path.join(ck, "config.json"), "rb") as f:
        h.update(f.read())
    for fn in checkpoint_files(ck):
        st = os.stat(os.path.join(ck, fn))
        h.update(f"{fn}:{st.st_size}:{st.st_mtime_ns}".encode())
    import onnxscript

    h.update(f"{torch.__version__}|{onnxscript.__version__}|{views}|{anyres}|{cfg}|v1".encode())
    return os.path.join(args.onnx_cache, h.hexdigest()[:16])


def export_onnx(module, example, out_dir: str, in_name: str, out_name: str) -> str:
    """out_dir/model.onnx (+ its external data file), written once; returns the .onnx path."""
    import shutil

    import torch

    path = os.path.join(out_dir, "model.onnx")
    if os.path.isfile(path):
        log(f"ORT: using cached {path}")
        return path
    tmp = f"{out_dir}.partial-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    log(f"ORT: exporting {out_dir} (torch.onnx.export, dynamo)")
    t0 = time.time()
    with torch.no_grad():
        torch.onnx.export(module, (example,), os.path.join(tmp, "model.onnx"), dynamo=True, external_data=True,
                          input_names=[in_name], output_names=[out_name], verbose=False)
    shutil.rmtree(out_dir, ignore_errors=True)
    os.replace(tmp, out_dir)  # the graph names its data file relative to itself: move the folder
    log(f"ORT: exported in {time.time() - t0:.0f} s")
    return path


def ort_session(path: str, threads: int):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def prepare_ort(args, cfg, siglip, tail, views: int, anyres: bool):
    """Exports (or reuses) the SigLIP and tail graphs, checks them against torch fp32 once."""
    import torch

    d = onnx_cache_dir(args, cfg, views, anyres)
    S = cfg.vision.image_size
    gen = torch.Generator().manual_seed(0)
    pixels = torch.rand(views, 3, S, S, generator=gen) * 2 - 1
    with torch.no_grad():
        # eager attention in the exported graph: plain MatMul/Softmax, what ORT optimizes
        impl = siglip.vision.config._attn_implementation
        siglip.vision.config._attn_implementation = "eager"
        try:
            sig_path = export_onnx(siglip, pixels, os.path.join(d, "siglip"), "pixels", "features")
            feats_ref = siglip(pixels)
        finally:
            siglip.vision.config._attn_implementation = impl
        tail_path = export_onnx(tail, feats_ref, os.path.join(d, "tail"), "features", "tokens")
        tokens_ref = tail(feats_ref)
        feats_sdpa = siglip(pixels) if impl != "eager" else None
    s_sig = ort_session(sig_path, args.threads)
    s_tail = ort_session(tail_path, args.threads)
    feats = s_sig.run(None, {"pixels": pixels.numpy()})[0]
    tokens = s_tail.run(None, {"features": feats})[0]

    def diff(a, ref):
        ref = ref.float()
        m = float((torch.from_numpy(a) - ref).abs().max())
        return m, m / max(float(ref.abs().max()), 1e-30)

    check = {"torch_vs_ort_fp32": {}}
    for name, a, ref in (("siglip_features", feats, feats_ref), ("vision_tokens", tokens, tokens_ref)):
        m, rel = diff(a, ref)
        check["torch_vs_ort_fp32"][name] = {"max_abs_diff": m, "max_abs_diff_over_max_abs": rel}
        print(f"check torch fp32 vs ORT fp32, random pixels, {name} {tuple(a.shape)}: "
              f"max|diff| = {m:.3e} ({rel:.2e} of max|torch|)", flush=True)
    worst = max(v["max_abs_diff_over_max_abs"] for v in check["torch_vs_ort_fp32"].values())
    if impl != "eager":  # the timed torch runs use impl, the exported graph eager attention
        m, rel = diff(feats_sdpa.numpy(), feats_ref)
        check[f"torch_{impl}_vs_eager_fp32"] = {"siglip_features": {"max_abs_diff": m,
                                                                    "max_abs_diff_over_max_abs": rel}}
        print(f"check torch fp32 {impl} vs eager attention, siglip features: max|diff| = {m:.3e} "
              f"({rel:.2e} of max|torch|)", flush=True)
        worst = max(worst, rel)
    if not worst <= args.ort_tol:
        die(f"torch and ORT vision sides disagree ({worst:.2e} > --ort-tol {args.ort_tol:g}): "
            f"not the same computation; exported graphs in {d}", 1)
    return s_sig, s_tail, check, d


def ort_vision_stages(s_sig, s_tail, pixels_np, feats_np, args, views: int) -> dict[str, list[float]]:
    res = {}
    if "encode" in args.stages:
        log(f"ORT f32: encode ({views} views)")

        def enc():
            f = s_sig.run(None, {"pixels": pixels_np})[0]
            return s_tail.run(None, {"features": f})[0]

        res["encode"] = [t / views for t in time_calls(enc, args.warmup, args.reps)]
    if "siglip" in args.stages:
        log(f"ORT f32: siglip ({views} views)")
        res["siglip"] = [t / views for t in time_calls(lambda: s_sig.run(None, {"pixels": pixels_np}),
                                                       args.warmup, args.reps)]
    if "resampler" in args.stages:
        log(f"ORT f32: resampler ({views} views)")
        res["resampler"] = [t / views for t in time_calls(lambda: s_tail.run(None, {"features": feats_np}),
                                                          args.warmup, args.reps)]
    return res


# ------------------------------------------------------------------------------------------
# Report
# ------------------------------------------------------------------------------------------


def row_info(key: str) -> tuple[str, str]:
    """(label, unit); ms/view: lower is better, tokens/s: higher is better."""
    if key == "encode":
        return "image encode (SigLIP+resampler+projection), per view", "ms/view"
    if key == "siglip":
        return "SigLIP tower only, per view", "ms/view"
    if key == "resampler":
        return "resampler+projection only, per view", "ms/view"
    if key.startswith("prefill/"):
        return f"LM prefill, {key.split('/')[1]} tokens from empty cache", "tokens/s"
    return f"LM decode at context {key.split('/')[-1]}", "tokens/s"


def row_definition(key: str, cfg, views: int, decode_steps: dict[int, int]) -> str:
    v, r, S = cfg.vision, cfg.resampler, cfg.vision.image_size
    image = (f"{views} views of {S}x{S} (global + 1x2 anyres grid" if views > 1 else f"1 view of {S}x{S} (base mode") + \
        ", constant pixels 0.25, as xgenmm-model-bench)"
    siglip = f"SigLIP ({v.num_hidden_layers} layers, {v.num_tokens} tokens per view)"
    tail = f"anyres regrouping + padding mask, resampler ({r.depth} layers, {r.num_latents} latents) + projection"
    if key == "encode":
        return f"{image} through {siglip}, {tail}; call time / {views}"
    if key == "siglip":
        return f"{image} through {siglip} only; call time / {views}"
    if key == "resampler":
        return f"the SigLIP features of {image}: {tail}; call time / {views}"
    if key.startswith("prefill/"):
        n = key.split("/")[1]
        return (f"{n} prompt tokens (ids 1 + 7919 i mod (vocab-1)) from an empty KV cache, embedding + "
                f"{cfg.text.num_hidden_layers} layers + head for the last token; {n} / call time")
    c = int(key.split("/")[-1])
    k = decode_steps.get(c, 1)
    if k == 1:
        return f"1 token after {c} cached tokens (their prefill untimed), embedding + layers + head; 1 / step time"
    return (f"{k} tokens one by one after {c} cached tokens (their prefill untimed; context {c}..{c + k - 1}), "
            f"each step timed on its own, as xgenmm-model-bench; 1 / median step time of a rep")


def display_value(key: str, seconds: float) -> float:
    if key in VISION_STAGES:
        return seconds * 1e3
    if key.startswith("prefill/"):
        return int(key.split("/")[1]) / seconds
    return 1.0 / seconds


def fmt(v: float | None) -> str:
    if v is None:
        return "—"
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    if v >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def main() -> None:
    args = parse_args()
    check_paths(args)
    n = str(args.threads)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = n  # before torch / onnxruntime load their thread pools
    need_vision = any(s in VISION_STAGES for s in args.stages)
    need_lm = any(s in ("prefill", "decode") for s in args.stages)
    status = peer_availability(args, need_vision)
    if status["torch"] is None:
        import torch

        torch.set_num_threads(args.threads)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass

    manifests = {}
    for dt, path in (("f32", args.artifact_f32), ("bf16", args.artifact_bf16)):
        if path:
            manifests[dt] = load_manifest(path)
    any_m = next(iter(manifests.values()))
    # the reference (and so the checkpoint's own config) needs torch; without it, the manifest's
    cfg = config_from_checkpoint(args.checkpoint) if status["torch"] is None else config_from_manifest(any_m)
    for dt, m in manifests.items():
        path = args.artifact_f32 if dt == "f32" else args.artifact_bf16
        check_manifest(f"--artifact-{dt}", path, m, cfg, dt)
    anyres = bool(any_m.get("encode_image", {}).get("anyres", True))
    views = 3 if anyres else 1
    S = cfg.vision.image_size

    # -------- header
    la = os.getloadavg()
    machine = {
        "cpu": cpu_model(), "cpu_flags": cpu_flags(), "logical_cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)), "mem_total_gib": mem_total_gib(),
        "threads": args.threads, "load_average_at_start": [round(x, 2) for x in la],
        "host": platform.node(), "kernel": platform.release(),
    }
    vers = versions(status)
    started = datetime.datetime.now().isoformat(timespec="seconds")
    print(f"machine: {machine['cpu']} ({machine['logical_cpus']} logical CPUs, {machine['cpus_usable']} usable; "
          f"{machine['cpu_flags']}; {machine['mem_total_gib'] or 0:.0f} GiB), threads = {args.threads} "
          f"on every side, load average at start {la[0]:.2f} {la[1]:.2f} {la[2]:.2f}", flush=True)
    print("versions: " + ", ".join(f"{k} {v}" for k, v in vers.items()), flush=True)
    print(f"model: {args.checkpoint} (vision {cfg.vision.num_hidden_layers} layers x {cfg.vision.hidden_size}, "
          f"{S}x{S} views of {cfg.vision.num_tokens} tokens; resampler {cfg.resampler.depth} layers, "
          f"{cfg.resampler.num_latents} latents; LM {cfg.text.num_hidden_layers} layers x {cfg.text.hidden_size}); "
          f"reps {args.reps} after {args.warmup} warm-up; torch attention {args.torch_attention}", flush=True)
    if la[0] > 0.5 * (os.cpu_count() or 1):
        print(f"warning: load average {la[0]:.2f} — the machine is not idle; timings are not reliable",
              flush=True)

    seconds: dict[str, dict[str, list[float]]] = {}  # row -> column -> samples (s per view / per call)
    notes: list[str] = []
    checks = {}

    def put(col, res):
        for k, v in res.items():
            seconds.setdefault(k, {})[col] = v

    rows = []
    if "encode" in args.stages:
        rows.append("encode")
    rows += [s for s in ("siglip", "resampler") if s in args.stages]
    rows += [f"prefill/{n}" for n in args.prefill_tokens] if "prefill" in args.stages else []
    rows += [f"decode/context/{c}" for c in args.decode_context] if "decode" in args.stages else []

    # -------- 0. ORT preflight: export and numerical check before the long runs
    ort_dir = None
    if need_vision and status.get("ORT") is None:
        import torch

        torch.set_num_threads(args.threads)
        log("ORT preflight: loading the vision side (fp32)")
        vision, rs = build_vision(cfg, args.checkpoint, args.torch_attention)
        sig, tail = SiglipOnly.module(vision), VisionTail.module(rs, cfg, anyres)
        s_sig, s_tail, checks, ort_dir = prepare_ort(args, cfg, sig, tail, views, anyres)
        del vision, rs, sig, tail, s_sig, s_tail

    # -------- 1. xgenmm (separate processes, nothing else loaded)
    model_bench_info: dict[str, dict] = {}
    decode_steps: dict[int, int] = {}  # context -> steps per rep (ModelBench's own count, else 1)
    names = bench_names(args.stages, args.prefill_tokens, args.decode_context)
    for dt, path in (("f32", args.artifact_f32), ("bf16", args.artifact_bf16)):
        if not path:
            notes.append(f"xgenmm {dt}: not measured (no --artifact-{dt})")
            continue
        if not names:
            break
        res, steps, preamble = run_model_bench(args, path, names)
        for line in preamble:
            print(f"xgenmm-model-bench ({dt}): {line.strip()}", flush=True)
        model_bench_info[dt] = {"preamble": preamble, "decode_steps_per_rep": steps}
        for c in args.decode_context:
            k = steps.get(f"decode/context/{c}")
            if k:
                decode_steps[c] = max(decode_steps.get(c, 1), k)
        for bname, samples in res.items():
            key = names[bname]
            if key == "encode":
                samples = [s / views for s in samples]
            seconds.setdefault(key, {})[f"xgenmm {dt}"] = samples
    if "siglip" in args.stages or "resampler" in args.stages:
        notes.append("xgenmm siglip / resampler: not measured — xgenmm-model-bench (and the artifact's "
                     "entry points) have only the whole vision side (encode)")

    # -------- 2. PyTorch (+ ORT) vision side
    if need_vision and status["torch"] is None:
        import torch

        torch.set_num_threads(args.threads)
        log("torch: loading the vision side (fp32)")
        vision, rs = build_vision(cfg, args.checkpoint, args.torch_attention)
        sig, tail = SiglipOnly.module(vision), VisionTail.module(rs, cfg, anyres)
        pixels = torch.full((views, 3, S, S), 0.25)  # ModelBench's constant image
        with torch.inference_mode():
            put("torch f32", torch_vision_stages(sig, tail, pixels, args, "f32", views))
            if ort_dir is not None:
                s_sig = ort_session(os.path.join(ort_dir, "siglip", "model.onnx"), args.threads)
                s_tail = ort_session(os.path.join(ort_dir, "tail", "model.onnx"), args.threads)
                feats_np = sig(pixels).numpy()
                put("ORT f32", ort_vision_stages(s_sig, s_tail, pixels.numpy(), feats_np, args, views))
                del s_sig, s_tail
            vision.to(torch.bfloat16)
            rs.to(torch.bfloat16)
            put("torch bf16", torch_vision_stages(sig, tail, pixels.to(torch.bfloat16), args, "bf16", views))
        del vision, rs, sig, tail
    elif need_vision:
        notes.append(f"torch: {status['torch']}")
    if need_vision and status.get("ORT") is not None:
        notes.append(f"ORT: skipped, onnxruntime {status['ORT']}")

    # -------- 3. PyTorch language model
    if need_lm and status["torch"] is None:
        import torch

        torch.set_num_threads(args.threads)
        log("torch: loading the language model (fp32)")
        lm = build_lm(cfg, args.checkpoint, args.torch_attention)
        with torch.inference_mode():
            put("torch f32", torch_lm_stages(lm, cfg, args, "f32", decode_steps))
            lm.to(torch.bfloat16)
            put("torch bf16", torch_lm_stages(lm, cfg, args, "bf16", decode_steps))
        del lm

    # -------- report
    header = ["stage", "unit"] + COLUMNS + [f"{a} / {b}" for a, b in RATIOS]
    table = []
    results = {}
    for key in rows:
        label, unit = row_info(key)
        med = {c: statistics.median(s) for c, s in seconds.get(key, {}).items()}
        vals = {c: (display_value(key, med[c]) if c in med else None) for c in COLUMNS}
        ratios = {}
        for a, b in RATIOS:
            ratios[f"{a} / {b}"] = med[b] / med[a] if a in med and b in med else None  # speed ratio
        table.append([label, unit] + [fmt(vals[c]) for c in COLUMNS] +
                     [("—" if r is None else f"{r:.2f}x") for r in ratios.values()])
        results[key] = {
            "label": label, "definition": row_definition(key, cfg, views, decode_steps), "unit": unit, "values": vals,
            "speed_ratios": ratios,
            "median_seconds": med,  # per view (vision rows) or per call (LM rows)
            "samples_seconds": seconds.get(key, {}),
        }

    la_end = os.getloadavg()
    machine["load_average_at_end"] = [round(x, 2) for x in la_end]
    print()
    print(f"ratios: xgenmm speed / peer speed at equal precision (>1: xgenmm faster); medians of "
          f"{args.reps} after {args.warmup} warm-up; threads {args.threads}")
    widths = [max(len(str(r[i])) for r in [header] + table) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in table:
        print(line(r))
    for key in rows:
        print(f"{key}: {results[key]['definition']}")
    for note in notes:
        print(f"note: {note}")
    bf16_prec = manifests.get("bf16", {}).get("matmul_precision", "f32")
    print("note: torch bf16 = model.to(bfloat16), bf16 activations; xgenmm bf16 = bf16 weights, " +
          ("encode/prefill matrix products on AVX512-BF16 dot products (bf16 activations, f32 "
           "accumulation), the rest f32" if bf16_prec == "bf16" else "f32 compute"))
    print(f"load average at end: {la_end[0]:.2f} {la_end[1]:.2f} {la_end[2]:.2f}", flush=True)

    if args.json_out:
        out = {
            "started": started, "machine": machine, "versions": vers,
            "settings": {
                "checkpoint": os.path.abspath(args.checkpoint),
                "artifact_f32": args.artifact_f32 and os.path.abspath(args.artifact_f32),
                "artifact_bf16": args.artifact_bf16 and os.path.abspath(args.artifact_bf16),
                "model_bench": os.path.abspath(args.model_bench), "threads": args.threads,
                "stages": args.stages, "prefill_tokens": args.prefill_tokens,
                "decode_context": args.decode_context, "reps": args.reps, "warmup": args.warmup,
                "torch_attention": args.torch_attention, "views_per_image": views, "image_size": S,
                "onnx_dir": ort_dir, "decode_steps_per_rep": decode_steps,
            },
            "model_bench": model_bench_info,
            "ratio_definition": "xgenmm speed / peer speed (= peer time / xgenmm time), >1: xgenmm faster",
            "results": results, "checks": checks, "notes": notes,
        }
        with open(args.json_out, "w") as f:
            json.dump(out, f, indent=2)
            f.write("\n")
        print(f"wrote {args.json_out}")


if __name__ == "__main__":
    main()
