#!/usr/bin/env python3
"""Build tiny random xGen-MM r-v1.5 checkpoints in the exact Hugging Face layout, plus goldens.

    python3 test/reference/make_fixtures.py                 # all tiny fixtures -> test/fixtures/
    python3 test/reference/make_fixtures.py --only tiny_fp32_single
    python3 test/reference/make_fixtures.py --full-size /tmp/fullsize   # real shapes, bf16, ~8.7 GB

See test/reference/README.md for the file layout and the meaning of every golden tensor.
The model math is in xgenmm_ref.py (written from /work/shared/docs/model-spec.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import shutil
import sys
import time
import zlib
from dataclasses import dataclass

import torch

sys.dont_write_bytecode = True  # keep test/reference free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checkpoint_io as cio  # noqa: E402
import xgenmm_ref as xr  # noqa: E402
from xgenmm_ref import ModelCfg, ResamplerCfg, TextCfg, VisionCfg  # noqa: E402

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_OUT = os.path.join(REPO_ROOT, "test", "fixtures")

NUM_GENERATE = 32
# The LM head (and additional_fc) get a larger init scale than the other projections so that
# the logits are spread out and greedy decoding has comfortable top-1/top-2 margins.
LM_HEAD_GAIN = 4.0
SIGLIP_MODEL_NAME = "google/siglip-so400m-patch14-384"
RELEASED_TRANSFORMERS_VERSION = "4.41.1"  # what the released base r-v1.5 config.json says (spec §6.3)


@dataclass(frozen=True)
class Fixture:
    name: str
    seed: int
    cfg: ModelCfg
    dtype: torch.dtype
    n_shards: int  # 1 = model.safetensors, else model-0000k-of-0000n + index
    image_sizes: tuple[tuple[int, int], tuple[int, int]]  # (W0, H0) per image, PIL order
    text_config_torch_dtype: str  # the released fp32 base says "bfloat16" here (spec §6.3)
    note: str
    # Added to lm_head.additional_fc.bias so that greedy decoding emits ids >= itl, which must
    # then be embedded from the additional table on the next step (spec §1, §5.1).
    additional_fc_bias_offset: float = 0.0
    # Multiplies lm_head.weight and additional_fc.weight (wider greedy margins).
    lm_head_scale: float = 1.0


# Three configurations that differ in every dimension (see README for the table).
FIXTURES = [
    Fixture(
        name="tiny_fp32_single",
        seed=1001,
        cfg=ModelCfg(
            # grid 30//4 = 7 (odd; 2 px per side ignored by the valid conv, like 384/14)
            vision=VisionCfg(hidden_size=40, intermediate_size=88, num_hidden_layers=1,
                             num_attention_heads=4, image_size=30, patch_size=4),
            resampler=ResamplerCfg(depth=1, heads=2, dim_head=12, num_latents=5, ff_mult=2),
            text=TextCfg(vocab_size=150, hidden_size=44, intermediate_size=72, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=2, initial_tokenizer_len=141,
                         bos_token_id=1, eos_token_id=130, pad_token_id=140),
        ),
        dtype=torch.float32,
        n_shards=1,
        # image 0: 94x329 -> grid (30,90) = 1 wide x 3 tall; this size is one where
        #          int(W0*(Hc/H0)) != int(W0*Hc/H0) changes the mask (spec §4.5 arithmetic).
        # image 1: 146x34 -> grid (90,30) = 3 wide x 1 tall (band quirk, 49-token chunks over a
        #          21-token-wide map = 2 1/3 rows each).
        image_sizes=((94, 329), (146, 34)),
        text_config_torch_dtype="bfloat16",
        note="fp32, single file, 1 layer everywhere, text_config.torch_dtype mismatches like the base release",
    ),
    Fixture(
        name="tiny_bf16_2shards",
        seed=2002,
        cfg=ModelCfg(
            # grid 35//7 = 5 exactly
            vision=VisionCfg(hidden_size=54, intermediate_size=120, num_hidden_layers=3,
                             num_attention_heads=6, image_size=35, patch_size=7),
            resampler=ResamplerCfg(depth=3, heads=3, dim_head=20, num_latents=7, ff_mult=4),
            text=TextCfg(vocab_size=300, hidden_size=120, intermediate_size=200, num_hidden_layers=3,
                         num_attention_heads=6, num_key_value_heads=6, initial_tokenizer_len=290,
                         bos_token_id=1, eos_token_id=280, pad_token_id=289),
        ),
        dtype=torch.bfloat16,
        n_shards=2,
        # image 0: 34x27 (small) -> grid (35,70) = 1x2 (small images pick the first grid, spec §4.2)
        # image 1: 111x160 -> grid (70,70) = 2x2 (band quirk: 25-token chunks over a 10-wide map)
        image_sizes=((34, 27), (111, 160)),
        text_config_torch_dtype="bfloat16",
        note="bf16 weights in 2 shards (like the bf16 interleave release), 3 layers everywhere, "
             "greedy output contains all three additional ids",
        additional_fc_bias_offset=6.0,
    ),
    Fixture(
        name="tiny_gqa_fp32_4shards",
        seed=3007,  # chosen among 3003..3011 for a varied greedy sequence with a wide margin
        cfg=ModelCfg(
            # grid 42//5 = 8 (2 px ignored)
            vision=VisionCfg(hidden_size=48, intermediate_size=100, num_hidden_layers=2,
                             num_attention_heads=3, image_size=42, patch_size=5),
            resampler=ResamplerCfg(depth=2, heads=4, dim_head=8, num_latents=6, ff_mult=3),
            text=TextCfg(vocab_size=257, hidden_size=96, intermediate_size=136, num_hidden_layers=2,
                         num_attention_heads=12, num_key_value_heads=4, initial_tokenizer_len=250,
                         rms_norm_eps=1e-6, rope_theta=500.0,
                         bos_token_id=1, eos_token_id=240, pad_token_id=249),
        ),
        dtype=torch.float32,
        n_shards=4,
        # image 0: 41x48 -> grid (42,84) = 1x2; image 1: 55x41 -> grid (84,42) = 2x1 (band quirk)
        image_sizes=((41, 48), (55, 41)),
        text_config_torch_dtype="float32",
        note="fp32 in 4 shards (like the fp32 base release), GQA 12 q / 4 kv heads of dim 8, non-default rms_norm_eps and rope_theta",
    ),
]


# --------------------------------------------------------------------------------------------
# Random weights: one generator per tensor, seeded from (fixture seed, tensor name), so the
# values do not depend on the order in which tensors are produced (needed for streaming).
# --------------------------------------------------------------------------------------------

_UNIT_NORMAL = ("embed_tokens.weight", "additional_embedding.weight", "position_embedding.weight",
                "vision_tokenizer.latents", "head.probe")


def init_tensor(seed: int, name: str, shape: tuple[int, ...]) -> torch.Tensor:
    """Deterministic fp32 value for one tensor.

    Norm weights ~ 1 + 0.1 N, biases ~ 0.1 N (non-trivial so an importer that drops a LayerNorm
    bias or affine weight fails), embeddings / latents / probe ~ N(0,1), all other matrices
    ~ N(0,1)/sqrt(fan_in) (times LM_HEAD_GAIN for the two LM head matrices).
    """
    g = torch.Generator().manual_seed((seed * 1_000_003 + zlib.crc32(name.encode())) % (2**63))
    t = torch.randn(shape, generator=g, dtype=torch.float32)
    if name.endswith("bias"):  # .bias, in_proj_bias, lm_head.bias, additional_fc.bias
        return t.mul_(0.1)
    if len(shape) == 1:  # LayerNorm / RMSNorm weights
        return t.mul_(0.1).add_(1.0)
    if name.endswith(_UNIT_NORMAL):
        return t
    fan_in = math.prod(shape[1:])
    gain = LM_HEAD_GAIN if name.endswith(("lm_head.weight", "additional_fc.weight")) else 1.0
    return t.mul_(gain / math.sqrt(fan_in))


def fixture_tensor(fx: Fixture, name: str, shape: tuple[int, ...]) -> torch.Tensor:
    t = init_tensor(fx.seed, name, shape)
    if name.endswith("lm_head.additional_fc.bias"):
        t += fx.additional_fc_bias_offset
    if fx.lm_head_scale != 1.0 and name.endswith(("lm_head.weight", "additional_fc.weight")):
        t *= fx.lm_head_scale
    return t


# --------------------------------------------------------------------------------------------
# JSON files
# --------------------------------------------------------------------------------------------

AUTO_MAP = {
    "AutoConfig": "modeling_xgenmm.XGenMMConfig",
    "AutoModelForVision2Seq": "modeling_xgenmm.XGenMMModelForConditionalGeneration",
}


def _dtype_name(dt: torch.dtype) -> str:
    return {torch.float32: "float32", torch.bfloat16: "bfloat16"}[dt]


def released_config_json(dtype: torch.dtype) -> dict:
    """config.json exactly as released: hyperparameters only via SigLIP / Phi3Config defaults."""
    return {
        "architectures": ["XGenMMModelForConditionalGeneration"],
        "auto_map": AUTO_MAP,
        "model_type": "xgenmm",
        "text_config": {"initial_tokenizer_len": 32012, "model_type": "phi3", "sliding_window": 2047,
                        "torch_dtype": "bfloat16"},
        "torch_dtype": _dtype_name(dtype),
        "transformers_version": RELEASED_TRANSFORMERS_VERSION,
        "vision_encoder_config": {"anyres_patch_sampling": True, "image_aspect_ratio": "anyres",
                                  "model_type": "xgenmm_vision_encoder"},
        "vision_tokenizer_config": {"model_type": "xgenmm_vision_tokenizer"},
    }


def tiny_config_json(fx: Fixture) -> dict:
    """Released layout + overrides (design.md "Checkpoint convention for hyperparameters")."""
    cfg = fx.cfg
    t, v, r = cfg.text, cfg.vision, cfg.resampler
    text = {"initial_tokenizer_len": t.initial_tokenizer_len, "model_type": "phi3",
            "sliding_window": t.sliding_window, "torch_dtype": fx.text_config_torch_dtype}
    defaults = TextCfg()
    for f in dataclasses.fields(TextCfg):
        if f.name in ("initial_tokenizer_len", "num_additional", "sliding_window"):
            continue
        val = getattr(t, f.name)
        # every Phi3Config field that differs from Phi-3-mini, plus num_key_value_heads always
        if val != getattr(defaults, f.name) or f.name == "num_key_value_heads":
            text[f.name] = val
    if t.max_position_embeddings != defaults.max_position_embeddings:
        text["original_max_position_embeddings"] = t.max_position_embeddings
    vision_config = {
        "model_type": "siglip_vision_model",
        "hidden_size": v.hidden_size,
        "intermediate_size": v.intermediate_size,
        "num_hidden_layers": v.num_hidden_layers,
        "num_attention_heads": v.num_attention_heads,
        "num_channels": v.num_channels,
        "image_size": v.image_size,
        "patch_size": v.patch_size,
        "hidden_act": v.hidden_act,
        "layer_norm_eps": v.layer_norm_eps,
        "attention_dropout": 0.0,
    }
    return {
        "architectures": ["XGenMMModelForConditionalGeneration"],
        "auto_map": AUTO_MAP,
        "model_type": "xgenmm",
        "text_config": text,
        "torch_dtype": _dtype_name(fx.dtype),
        "transformers_version": RELEASED_TRANSFORMERS_VERSION,
        "vision_encoder_config": {
            "anyres_grids": [list(g) for g in cfg.grids],
            "anyres_patch_sampling": True,
            "image_aspect_ratio": "anyres",
            "model_name": SIGLIP_MODEL_NAME,
            "model_type": "xgenmm_vision_encoder",
            "vision_config": vision_config,
        },
        "vision_tokenizer_config": {
            "depth": r.depth,
            "dim_head": r.dim_head,
            "ff_mult": r.ff_mult,
            "heads": r.heads,
            "image_aspect_ratio": "anyres",
            "lang_embedding_dim": t.hidden_size,
            "model_type": "xgenmm_vision_tokenizer",
            "num_vis_tokens": r.num_latents,
            "vis_feature_dim": v.hidden_size,
        },
    }


def preprocessor_json(cfg: ModelCfg) -> dict:
    s = cfg.vision.image_size
    return {
        "auto_map": {"AutoImageProcessor": "image_processing_blip_3.Blip3ImageProcessor"},
        "grids": [list(g) for g in cfg.grids],  # (width, height) (spec §4.1)
        "image_mean": [0.5, 0.5, 0.5],
        "image_processor_type": "Blip3ImageProcessor",
        "image_std": [0.5, 0.5, 0.5],
        "interpolation_mode": "bicubic",
        "resize_mode": "squash",
        "size": [s, s],
    }


# --------------------------------------------------------------------------------------------
# Goldens
# --------------------------------------------------------------------------------------------


def make_inputs(fx: Fixture):
    """Pixel values for the two images and the input id sequence (deterministic)."""
    cfg = fx.cfg
    t = cfg.text
    g = torch.Generator().manual_seed(fx.seed + 7)
    images = []
    for size in fx.image_sizes:
        gw, gh = xr.select_best_resolution(size, cfg.grids)
        npw, nph = gw // cfg.vision.image_size, gh // cfg.vision.image_size
        n_views = 1 + npw * nph
        s = cfg.vision.image_size
        px = torch.rand((n_views, 3, s, s), generator=g, dtype=torch.float32) * 2 - 1
        images.append(dict(size=size, grid=(gw, gh), npw=npw, nph=nph, pixels=px))
    itl = t.initial_tokenizer_len
    img, placeholder, eoc = itl, itl + 1, itl + 2

    def text(n):
        return torch.randint(2, itl, (n,), generator=g).tolist()

    # bos, text, <image>, text, <|endofchunk|>, text, <image>, text, <image placeholder>, text:
    # exercises both embedding tables in the prompt and a multi-image splice.
    ids = [t.bos_token_id] + text(5) + [img] + text(4) + [eoc] + text(3) + [img] + text(6) \
        + [placeholder] + text(2)
    return images, ids


@torch.no_grad()
def run_model(model: xr.XGenMM, fx: Fixture, images, ids, dtype: torch.dtype):
    """All intermediate results for one fixture, computed in ``dtype``."""
    cfg = fx.cfg
    t = cfg.text
    rs = model.vlm.vision_tokenizer
    out: dict[str, torch.Tensor] = {}
    vis_blocks = []
    for k, im in enumerate(images):
        px = im["pixels"].to(dtype)
        feats = model.vision_features(px)
        grp, gmask = xr.regroup_anyres(feats, im["npw"], im["nph"], im["size"], cfg.vision.grid)
        lat_m = rs.forward_latents(grp, gmask)
        lat_u = rs.forward_latents(grp, None)
        vis = rs.projection(lat_m).reshape(-1, t.hidden_size)  # [(1+P)*latents, D], global first
        out[f"image{k}.pixel_values"] = im["pixels"]
        out[f"image{k}.siglip_last_hidden_state"] = feats
        out[f"image{k}.grouped_features"] = grp
        out[f"image{k}.group_mask"] = gmask
        out[f"image{k}.resampler_latents_masked"] = lat_m
        out[f"image{k}.resampler_latents_unmasked"] = lat_u
        out[f"image{k}.vision_tokens"] = vis
        vis_blocks.append(vis)
    ids_t = torch.tensor(ids)
    text_embeds = model.embed(ids_t)
    spliced, starts = xr.splice(text_embeds, ids, t.image_token_id, vis_blocks)
    logits, cache = model.lm(spliced[None])
    logits = logits[0]
    out["text_embeds"] = text_embeds
    out["inputs_embeds"] = spliced
    out["logits"] = logits

    # Greedy decoding, 32 ids, KV cache; argmax over all itl+3 logits; no stop token.
    gen, gen_logits, margins = [], [], []
    step_logits = logits[-1]
    for i in range(NUM_GENERATE):
        top2 = torch.topk(step_logits.double(), 2).values
        margins.append(float(top2[0] - top2[1]))
        nxt = int(step_logits.argmax())
        gen.append(nxt)
        gen_logits.append(step_logits)
        if i + 1 < NUM_GENERATE:
            e = model.embed(torch.tensor([nxt]))  # ids >= itl come from the additional table
            lg, cache = model.lm(e[None], cache)
            step_logits = lg[0, -1]
    out["generated_logits"] = torch.stack(gen_logits)

    # Sanity: the cached path equals one uncached pass over prompt + generated[:-1].
    full = torch.cat([spliced, model.embed(torch.tensor(gen[:-1]))], dim=0)
    lg_full, _ = model.lm(full[None])
    ref = lg_full[0, spliced.shape[0] - 1:]
    err = float((ref - out["generated_logits"]).abs().max())
    tol = 1e-3 if dtype == torch.float32 else 1e-9
    assert err < tol * max(1.0, float(ref.abs().max())), f"KV-cache path mismatch {err}"
    return out, dict(generated_ids=gen, image_starts=starts, margins=margins)


def golden_meta(fx: Fixture, images, ids, info, tensors, diffs) -> dict:
    cfg = fx.cfg
    t = cfg.text
    g = cfg.vision.grid
    imgs = []
    for k, im in enumerate(images):
        hc, wc = im["nph"] * g, im["npw"] * g
        mask = tensors[f"image{k}.group_mask"]
        imgs.append({
            "size_wh": list(im["size"]),
            "grid_wh": list(im["grid"]),
            "npw": im["npw"],
            "nph": im["nph"],
            "num_views": 1 + im["npw"] * im["nph"],
            "stitched_hw": [hc, wc],
            "masked_tokens": int((mask == 0).sum()),
            "band_quirk_applies": im["npw"] > 1,
            "unpad_order_sensitive": xr.unpad_mask_is_order_sensitive(hc, wc, im["size"]),
            "num_vision_tokens": (1 + im["npw"] * im["nph"]) * cfg.resampler.num_latents,
            "start_in_spliced_sequence": info["image_starts"][k],
        })
    gen = info["generated_ids"]
    return {
        "fixture": fx.name,
        "note": fx.note,
        "seed": fx.seed,
        "weights_dtype": _dtype_name(fx.dtype),
        "compute_dtype": "float32",
        "grid_tokens_per_side": g,
        "tokens_per_view": g * g,
        "initial_tokenizer_len": t.initial_tokenizer_len,
        "image_token_id": t.image_token_id,
        "image_placeholder_token_id": t.image_token_id + 1,
        "endofchunk_token_id": t.image_token_id + 2,
        "num_logits": t.num_logits,
        "input_ids": ids,
        "text_length": len(ids),
        "spliced_length": int(tensors["inputs_embeds"].shape[0]),
        "images": imgs,
        "num_generate": NUM_GENERATE,
        "generated_ids": gen,
        "generated_ids_from_additional_table": [i for i in gen if i >= t.initial_tokenizer_len],
        "greedy_min_top2_margin": min(info["margins"]),
        "additional_fc_bias_offset": fx.additional_fc_bias_offset,
        "tensors": {k: list(v.shape) for k, v in sorted(tensors.items())},
        "float64_check": diffs,
        "versions": {"torch": torch.__version__, "transformers": __import__("transformers").__version__},
    }


# --------------------------------------------------------------------------------------------
# Fixture driver
# --------------------------------------------------------------------------------------------


def build_fixture(fx: Fixture, out_root: str, fp64_check: bool = True) -> None:
    t0 = time.time()
    cfg = fx.cfg
    assert cfg.text.num_attention_heads % cfg.text.num_key_value_heads == 0
    assert cfg.text.hidden_size % cfg.text.num_attention_heads == 0 and cfg.text.head_dim % 2 == 0
    d = os.path.join(out_root, fx.name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)

    # 1. weights: module-built state dict (transformers SigLIP/Phi-3 + our modules) must have
    #    exactly the spec §6.2 names/shapes; values from init_tensor, stored in fx.dtype.
    model = xr.XGenMM(cfg).eval()
    sd = model.released_state_dict()
    specs = xr.tensor_specs(cfg)
    # same names, shapes and module order (the order save_pretrained shards in), so the streamed
    # full-size checkpoint, built from tensor_specs alone, is laid out as a module-built one
    assert specs == [(n, tuple(v.shape)) for n, v in sd.items()], "spec/module mismatch"
    values = {n: fixture_tensor(fx, n, s).to(fx.dtype) for n, s in specs}
    files = cio.save_checkpoint(d, specs, fx.dtype, fx.n_shards, lambda n: values[n])

    # the streaming writer must produce exactly what the safetensors library writes
    from safetensors import safe_open
    from safetensors.torch import save as st_save

    for fn in files:
        with safe_open(os.path.join(d, fn), "pt") as sf:
            names = list(sf.keys())
        with open(os.path.join(d, fn), "rb") as f:
            assert f.read() == st_save({n: values[n] for n in names}, metadata={"format": "pt"}), fn
    raw = cio.load_checkpoint(d)  # read back what an importer will see
    assert set(raw) == set(values) and all(torch.equal(raw[n], values[n]) for n in raw)

    cio.write_json(os.path.join(d, "config.json"), tiny_config_json(fx))
    cio.write_json(os.path.join(d, "preprocessor_config.json"), preprocessor_json(cfg))

    # 2. goldens from the *stored* weights (bf16 upcast to fp32), computed in fp32
    stored = {n: v.to(torch.float32) for n, v in raw.items()}
    model.load_released_state_dict(stored)
    images, ids = make_inputs(fx)
    for im in images:
        assert xr.select_best_resolution(im["size"], cfg.grids) == im["grid"]
    assert ids.count(cfg.text.image_token_id) == 2
    assert images[0]["npw"] == 1 and images[1]["npw"] > 1
    tensors, info = run_model(model, fx, images, ids, torch.float32)
    # grouping is the identity for the 1-wide grid and a band regrouping for the wide one (§4.5)
    assert torch.equal(tensors["image0.grouped_features"], tensors["image0.siglip_last_hidden_state"])
    assert not torch.equal(tensors["image1.grouped_features"], tensors["image1.siglip_last_hidden_state"])
    assert tensors["inputs_embeds"].shape[0] + NUM_GENERATE < cfg.text.sliding_window  # window unobservable
    for k in range(2):
        m = tensors[f"image{k}.group_mask"]
        assert 0 < int((m == 0).sum()) and bool((m[0] == 1).all()), "mask must be non-trivial"
        lm_, lu = tensors[f"image{k}.resampler_latents_masked"], tensors[f"image{k}.resampler_latents_unmasked"]
        has_pad = (m == 0).any(dim=1)  # groups with padding differ, the others are identical
        assert torch.equal(lm_[~has_pad], lu[~has_pad]) and bool((lm_[has_pad] != lu[has_pad]).any())

    # 3. optional float64 re-run: how far fp32 is from (mostly) fp64 arithmetic -> tolerance hint.
    #    transformers upcasts RMSNorm and attention softmax to fp32 internally, so this is a
    #    mixed-precision bound, not an exact fp64 result.
    diffs = {}
    if fp64_check:
        m64 = xr.XGenMM(cfg).eval()
        m64.load_released_state_dict({n: v.to(torch.float64) for n, v in raw.items()})
        m64 = m64.double()
        t64, info64 = run_model(m64, fx, images, ids, torch.float64)
        diffs = {
            "generated_ids_match": info64["generated_ids"] == info["generated_ids"],
            "max_abs_diff": {k: float((tensors[k].double() - t64[k]).abs().max()) for k in sorted(tensors)},
            "max_abs_value": {k: float(tensors[k].abs().max()) for k in sorted(tensors)},
        }
        assert diffs["generated_ids_match"], "greedy ids not stable between fp32 and fp64"

    from safetensors.torch import save_file

    save_file({k: v.to(torch.float32).contiguous() for k, v in tensors.items()},
              os.path.join(d, "goldens.safetensors"), metadata={"format": "pt"})
    cio.write_json(os.path.join(d, "goldens.json"), golden_meta(fx, images, ids, info, tensors, diffs))
    for fn in os.listdir(d):  # safetensors' save_file creates 0600 files
        os.chmod(os.path.join(d, fn), 0o644)
    print(f"{fx.name}: {len(files)} weight file(s), {sum(math.prod(s) for _, s in specs)} params, "
          f"spliced length {tensors['inputs_embeds'].shape[0]}, generated {info['generated_ids']}, "
          f"min margin {min(info['margins']):.4f}, {time.time() - t0:.1f}s")


# --------------------------------------------------------------------------------------------
# The text fixture: a checkpoint with a tokenizer, image files and prompts (issue 5)
# --------------------------------------------------------------------------------------------

TEXT_FIXTURE = Fixture(
    name="tiny_text_fp32",
    seed=5014,  # among 5005..5016 x lm_head_scale 3, 5: min greedy margin >= 0.09, one case stops early
    cfg=ModelCfg(
        # grid 28//7 = 4: 16 SigLIP tokens per view, 4 latents per view
        vision=VisionCfg(hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=2, image_size=28, patch_size=7),
        resampler=ResamplerCfg(depth=1, heads=2, dim_head=8, num_latents=4, ff_mult=2),
        # 640 SentencePiece pieces, the Phi-3 tokens at 640-651 (like 32000-32011),
        # initial_tokenizer_len 652 (like 32012), 656 embedding rows (like 32064)
        text=TextCfg(vocab_size=656, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                     num_attention_heads=4, num_key_value_heads=2, initial_tokenizer_len=652,
                     bos_token_id=1, eos_token_id=640, pad_token_id=640),
    ),
    dtype=torch.float32,
    n_shards=1,
    image_sizes=((17, 300), (640, 480)),  # unused: the images are listed in TEXT_IMAGES
    text_config_torch_dtype="float32",
    note="fp32, one file, with a trained 640-piece SentencePiece tokenizer in the r-v1.5 layout, "
         "image files and prompts: goldens from transformers 4.41.1 + Pillow 10.4.0 + the model",
    lm_head_scale=5.0,
)
TEXT_PIECES = 640
TEXT_CORPUS_LINES = 8000
# The image files (written by Pillow 10.4.0 at fixture time) and how each was made.
TEXT_IMAGES = [
    dict(file="rgb_17x300.png", kind="png_rgb", size=(17, 300), seed=1),
    dict(file="photo_640x480.jpg", kind="jpeg", size=(640, 480), seed=2),
    dict(file="palette_50x37.png", kind="png_palette", size=(50, 37), seed=3),
    dict(file="rgba_200x30.png", kind="png_rgba", size=(200, 30), seed=4),
    dict(file="progressive_383x385.jpg", kind="jpeg_progressive", size=(383, 385), seed=5),
]
DEFAULT_SYSTEM = ("A chat between a curious user and an artificial intelligence assistant. "
                  "The assistant gives helpful, detailed, and polite answers to the user's questions.")
# name, format, system prompt, text, image indices (in <image> order), whether to generate
TEXT_CASES = [
    ("instruct_multi", "instruct", DEFAULT_SYSTEM,
     "<image> Describe the first picture.\n<image>What is in the second one? <image> Compare all "
     "three, please: façade, naïve — 😀 日本語.", [0, 1, 2], True),
    ("instruct_single_system", "instruct", "You answer in one word.",
     "<image>\nWhat colour is the sky?", [1], True),
    ("raw_two_images", "raw", None,
     "<|user|>\n<image><image>\nTwo pictures:<|end|>\n<|assistant|>\nThey show", [3, 4], True),
    ("base_fewshot", "base", None,
     "<image>A photo of a cat.<|endofchunk|><image>A photo of", [2, 0], False),
]


def reference_venv_python() -> str:
    """The python of the released-era environment (requirements-text-fixture.txt)."""
    default = os.path.expanduser("~/.cache/xgenmm/reference-venvs/released-4.41.1/bin/python")
    return os.environ.get("XGENMM_REFERENCE_VENV_PYTHON", default)


def run_released(args: list[str]) -> object:
    import subprocess

    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "make_text_fixture.py")
    out = subprocess.run([reference_venv_python(), script] + args, check=True, capture_output=True)
    return json.loads(out.stdout.decode("utf-8"))


@torch.no_grad()
def greedy(model: xr.XGenMM, spliced: torch.Tensor, stops: list[int], n: int):
    """Greedy ids (argmax over all logits, KV cache), ending after a stop id or n ids."""
    logits, cache = model.lm(spliced[None])
    step, gen, margins, first_logits = logits[0, -1], [], [], logits[0, -1].clone()
    while True:
        top2 = torch.topk(step.double(), 2).values
        margins.append(float(top2[0] - top2[1]))
        nxt = int(step.argmax())
        gen.append(nxt)
        if nxt in stops or len(gen) == n:
            return gen, margins, first_logits
        lg, cache = model.lm(model.embed(torch.tensor([nxt]))[None], cache)
        step = lg[0, -1]


def build_text_fixture(fx: Fixture, out_root: str) -> None:
    import tempfile

    import numpy as np

    t0 = time.time()
    cfg = fx.cfg
    t = cfg.text
    d = os.path.join(out_root, fx.name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    model = xr.XGenMM(cfg).eval()
    sd = model.released_state_dict()
    specs = xr.tensor_specs(cfg)
    assert specs == [(n, tuple(v.shape)) for n, v in sd.items()], "spec/module mismatch"
    values = {n: fixture_tensor(fx, n, s).to(fx.dtype) for n, s in specs}
    cio.save_checkpoint(d, specs, fx.dtype, fx.n_shards, lambda n: values[n])
    cio.write_json(os.path.join(d, "config.json"), tiny_config_json(fx))
    pp = preprocessor_json(cfg)
    cio.write_json(os.path.join(d, "preprocessor_config.json"), pp)
    raw = cio.load_checkpoint(d)
    model.load_released_state_dict({n: v.to(torch.float32) for n, v in raw.items()})

    # 1. The released-era half: tokenizer files, image files, pixel values, prompt ids.
    with tempfile.TemporaryDirectory() as work:
        spec = {"pieces": TEXT_PIECES, "corpus_lines": TEXT_CORPUS_LINES,
                "image_size": cfg.vision.image_size, "grids": [list(g) for g in cfg.grids],
                "mean": pp["image_mean"], "std": pp["image_std"],
                "tokens_per_view": cfg.resampler.num_latents,
                "images": [dict(im, size=list(im["size"])) for im in TEXT_IMAGES],
                "prompts": [{"format": f, "system": s, "text": x} for _, f, s, x, _, _ in TEXT_CASES]}
        with open(os.path.join(work, "spec.json"), "w") as f:
            json.dump(spec, f)
        rep = run_released(["prepare", os.path.join(work, "spec.json"), d, work])
        pixels = [torch.from_numpy(np.load(os.path.join(work, f"pixels{k}.npy")))
                  for k in range(len(TEXT_IMAGES))]
    tok_ids = rep["token_ids"]
    assert tok_ids["<image>"] == t.image_token_id and rep["len_tokenizer"] == t.num_logits, tok_ids
    stops = [tok_ids["<|end|>"], tok_ids["<|endoftext|>"]]
    assert t.eos_token_id == tok_ids["<|endoftext|>"]

    # 2. Vision tokens of every image (model-spec §4: global view first, then the groups).
    tensors: dict[str, torch.Tensor] = {}
    images, vis = [], []
    g = cfg.vision.grid
    for k, (im, px) in enumerate(zip(rep["images"], pixels)):
        gw, gh = im["grid_wh"]
        npw, nph = gw // cfg.vision.image_size, gh // cfg.vision.image_size
        assert tuple(im["grid_wh"]) == xr.select_best_resolution(tuple(im["size_wh"]), cfg.grids)
        assert px.shape == (1 + npw * nph, 3, cfg.vision.image_size, cfg.vision.image_size)
        feats = model.vision_features(px)
        grp, gmask = xr.regroup_anyres(feats, npw, nph, tuple(im["size_wh"]), g)
        v = model.vlm.vision_tokenizer.projection(
            model.vlm.vision_tokenizer.forward_latents(grp, gmask)).reshape(-1, t.hidden_size)
        tensors[f"image{k}.pixel_values"] = px
        tensors[f"image{k}.vision_tokens"] = v
        vis.append(v)
        images.append(dict(im, npw=npw, nph=nph, num_views=1 + npw * nph,
                           num_vision_tokens=int(v.shape[0]), masked_tokens=int((gmask == 0).sum())))
    assert any(im["pillow13_order_differs"] for im in images), "no image tells the pass orders apart"

    # 3. Each prompt: ids (transformers 4.41.1), greedy ids (the model), text (4.41.1 decode).
    cases = []
    for (name, fmt, system, text, idx, run), p in zip(TEXT_CASES, rep["prompts"]):
        ids = p["ids"]
        assert ids.count(t.image_token_id) == len(idx), (name, ids)
        case = {"name": name, "format": fmt, "system": system, "text": text, "images": idx,
                "prompt": p["prompt"], "prompt_ids": ids}
        if run:
            embeds = model.embed(torch.tensor(ids))
            spliced, starts = xr.splice(embeds, ids, t.image_token_id, [vis[i] for i in idx])
            gen, margins, first = greedy(model, spliced, stops, NUM_GENERATE)
            tensors[f"{name}.prompt_last_logits"] = first
            case.update(spliced_length=int(spliced.shape[0]), image_starts=starts,
                        generated_ids=gen, stopped=gen[-1] in stops,
                        greedy_min_top2_margin=min(margins))
        cases.append(case)
    with tempfile.TemporaryDirectory() as work:
        seqs = [[i for i in c["generated_ids"] if i not in stops] for c in cases if "generated_ids" in c]
        with open(os.path.join(work, "ids.json"), "w") as f:
            json.dump(seqs, f)
        texts = run_released(["decode", d, os.path.join(work, "ids.json")])
    for c in (c for c in cases if "generated_ids" in c):
        c["generated_text"] = texts.pop(0)

    from safetensors.torch import save_file

    save_file({k: v.to(torch.float32).contiguous() for k, v in tensors.items()},
              os.path.join(d, "goldens.safetensors"), metadata={"format": "pt"})
    meta = {
        "fixture": fx.name, "note": fx.note, "seed": fx.seed,
        "tokens_per_view": cfg.resampler.num_latents,
        "token_ids": tok_ids, "stop_ids": stops, "len_tokenizer": rep["len_tokenizer"],
        "num_generate": NUM_GENERATE,
        "greedy": "argmax over all logits, KV cache, ends after a stop id (<|end|>, <|endoftext|>) "
                  "or num_generate ids; generated_text = decode(ids without stop ids, "
                  "skip_special_tokens=True)",
        "images": images, "cases": cases,
        "tensors": {k: list(v.shape) for k, v in sorted(tensors.items())},
        "versions": dict(rep["versions"], torch=torch.__version__,
                         transformers_model=__import__("transformers").__version__),
    }
    cio.write_json(os.path.join(d, "goldens.json"), meta)
    for root, _, files in os.walk(d):
        for fn in files:
            os.chmod(os.path.join(root, fn), 0o644)
    print(f"{fx.name}: {sum(math.prod(s) for _, s in specs)} params, "
          + ", ".join(f"{c['name']} {len(c['prompt_ids'])} ids"
                      + (f" -> {len(c['generated_ids'])} generated" if "generated_ids" in c else "")
                      for c in cases) + f", {time.time() - t0:.1f}s")


def build_full_size(out_dir: str, seed: int = 424242) -> None:
    """Random checkpoint with the real r-v1.5 shapes, bf16, 2 shards, streamed tensor by tensor."""
    cfg = xr.FULL_SIZE
    counts = xr.param_count_breakdown(cfg)
    print("parameter count:", json.dumps(counts))
    expected = {"vision_encoder": 428_225_600, "vision_tokenizer": 109_901_568,
                "lang_model": 3_821_130_051, "total": 4_359_257_219}  # spec §6.1
    assert counts == expected, (counts, expected)
    os.makedirs(out_dir, exist_ok=True)
    specs = xr.tensor_specs(cfg)
    t0 = time.time()
    done = [0]

    def get(name):
        t = init_tensor(seed, name, dict(specs)[name]).to(torch.bfloat16)
        done[0] += 1
        if done[0] % 100 == 0:
            print(f"  {done[0]}/{len(specs)} tensors, {time.time() - t0:.0f}s", flush=True)
        return t

    # save_pretrained's max_shard_size default "5GB" = 5e9 bytes -> 2 shards for 8.7 GB of bf16
    files = cio.save_checkpoint(out_dir, specs, torch.bfloat16, None, get, max_shard_size=5 * 10**9)
    cio.write_json(os.path.join(out_dir, "config.json"), released_config_json(torch.bfloat16))
    pp = preprocessor_json(cfg)
    cio.write_json(os.path.join(out_dir, "preprocessor_config.json"), pp)
    total = sum(os.path.getsize(os.path.join(out_dir, f)) for f in files)
    print(f"wrote {files} ({total / 1e9:.2f} GB on disk) in {time.time() - t0:.0f}s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT, help="fixture root (default: test/fixtures)")
    ap.add_argument("--only", action="append", help="build only this fixture (repeatable)")
    ap.add_argument("--no-fp64-check", action="store_true", help="skip the float64 tolerance re-run")
    ap.add_argument("--full-size", metavar="OUT_DIR", help="write the full-size random bf16 checkpoint instead")
    args = ap.parse_args()

    torch.set_num_threads(1)  # bit-identical results run to run
    torch.use_deterministic_algorithms(True)
    if args.full_size:
        build_full_size(args.full_size)
        return
    names = {f.name for f in FIXTURES} | {TEXT_FIXTURE.name}
    for n in args.only or []:
        if n not in names:
            ap.error(f"unknown fixture {n}; known: {sorted(names)}")
    for fx in FIXTURES:
        if args.only and fx.name not in args.only:
            continue
        build_fixture(fx, args.out, fp64_check=not args.no_fp64_check)
    if not args.only or TEXT_FIXTURE.name in args.only:
        build_text_fixture(TEXT_FIXTURE, args.out)


if __name__ == "__main__":
    main()
