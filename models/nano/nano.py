"""xgenmm-nano: the model, its preprocessing, batched training forward, greedy decoding and
the checkpoint writer/reader.

The model is test/reference/xgenmm_ref.py's ``XGenMM`` (exactly the r-v1.5 graph: SigLIP
vision tower, perceiver resampler with the anyres regrouping and padding mask, Phi-3 with
the decoupled embedding and head) with every dimension small. The pixels come from the
released any-resolution processor as test/reference/images/make_image_goldens.py restates
it on Pillow (the runtime's image goldens come from the same functions).
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.dont_write_bytecode = True  # keep test/reference and models/nano free of __pycache__
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "test", "reference"))
import checkpoint_io as cio  # noqa: E402
import make_fixtures as mf  # noqa: E402
import xgenmm_ref as xr  # noqa: E402
from xgenmm_ref import ModelCfg, ResamplerCfg, TextCfg, VisionCfg  # noqa: E402

import tokenizer as nano_tok  # noqa: E402


def _load_image_reference():
    spec = importlib.util.spec_from_file_location(
        "make_image_goldens", os.path.join(REPO, "test", "reference", "images", "make_image_goldens.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


imgref = _load_image_reference()

ITL = nano_tok.initial_tokenizer_len()  # 768
CFG = ModelCfg(
    # 48 px views, 6 px patches -> 8 x 8 = 64 tokens per view; grids 48x96, 96x48, 96x96, 144x48, 48x144
    vision=VisionCfg(hidden_size=96, intermediate_size=384, num_hidden_layers=2, num_attention_heads=6,
                     image_size=48, patch_size=6),
    resampler=ResamplerCfg(depth=2, heads=4, dim_head=16, num_latents=8, ff_mult=2),
    text=TextCfg(vocab_size=832, hidden_size=96, intermediate_size=192, num_hidden_layers=2,
                 num_attention_heads=4, num_key_value_heads=4, initial_tokenizer_len=ITL,
                 bos_token_id=1, eos_token_id=nano_tok.PIECES, pad_token_id=nano_tok.PIECES + 11),
)
PROCESSOR = {"image_size": CFG.vision.image_size, "grids": [list(g) for g in CFG.grids],
             "mean": [0.5] * 3, "std": [0.5] * 3}
MAX_NEW_TOKENS = 24


# ------------------------------------------------------------------------------------------
# Preprocessing
# ------------------------------------------------------------------------------------------


def preprocess(img: Image.Image) -> dict:
    """The anyres processor (model-spec.md section 4): views [1+P, 3, S, S] in [-1, 1]."""
    img = img.convert("RGB")
    r = imgref.processor_views(img, PROCESSOR, imgref.resize_pillow)
    u8 = np.stack([np.asarray(v.convert("RGB"), dtype=np.uint8) for v in r["views"]])
    px = imgref.to_tensor_normalize(u8, PROCESSOR["mean"], PROCESSOR["std"])
    s = CFG.vision.image_size
    gw, gh = r["grid"]
    assert tuple(r["grid"]) == xr.select_best_resolution(img.size, CFG.grids)
    return {"pixels": torch.from_numpy(px), "size": img.size, "npw": gw // s, "nph": gh // s}


# ------------------------------------------------------------------------------------------
# Model
# ------------------------------------------------------------------------------------------


def build_model(seed: int) -> xr.XGenMM:
    """The reference model with a training initialization (all from ``seed``)."""
    torch.manual_seed(seed)
    model = xr.XGenMM(CFG)
    vlm = model.vlm
    with torch.no_grad():
        # latents are zeros at construction; identical latents would stay identical
        vlm.vision_tokenizer.latents.normal_(0.0, 1.0)
        emb = vlm.lang_model.model.embed_tokens
        emb.weight.normal_(0.0, 0.02)
        emb.additional_embedding.weight.normal_(0.0, 0.02)
        head = vlm.lang_model.lm_head
        head.weight.normal_(0.0, 0.02)
        head.bias.zero_()
        head.additional_fc.weight.normal_(0.0, 0.02)
        head.additional_fc.bias.zero_()
    return model


def count_params(model: xr.XGenMM) -> dict[str, int]:
    return xr.param_count_breakdown(CFG)


def encode_images(model: xr.XGenMM, images: list[dict]) -> list[torch.Tensor]:
    """Vision tokens [(1+P)*latents, D] per image; all views and groups in one batch."""
    vlm = model.vlm
    views = torch.cat([im["pixels"] for im in images])
    feats = vlm.vision_encoder(pixel_values=views).last_hidden_state
    groups, masks, k = [], [], 0
    for im in images:
        v = im["pixels"].shape[0]
        g, m = xr.regroup_anyres(feats[k:k + v], im["npw"], im["nph"], im["size"], CFG.vision.grid)
        groups.append(g)
        masks.append(m)
        k += v
    tok = vlm.vision_tokenizer(torch.cat(groups), torch.cat(masks))  # [sum V, latents, D]
    out, k = [], 0
    for g in groups:
        out.append(tok[k:k + g.shape[0]].reshape(-1, CFG.text.hidden_size))
        k += g.shape[0]
    return out


def batch_loss(model: xr.XGenMM, images: list[dict], seqs: list[dict]) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean cross-entropy over the answer tokens (+ the stop token) of a batch, and the summed
    loss of each sequence (detached, for logging).

    ``images``: preprocessed pictures, each encoded once; ``seqs[i]``: ``ids`` (prompt +
    answer + <|end|>), ``answer_start`` (index in ids of the first answer id), ``image_idx``
    (indices into ``images``, in <image> order).

    The sequences about the same pictures are packed into one row: their common prefix
    (system prompt, ``<|user|>``, the pictures' vision tokens) once, then each sequence's
    remaining tokens (question, answer) as a branch that attends to the prefix and to itself
    only, with the positions it has on its own (``position_ids``, a 4-D additive mask). Each
    sequence's logits are those of the sequence alone (up to rounding); the language model
    runs on about 2.3 times fewer positions. Rows are right-padded; a padding position
    attends to itself and the prefix, and no real position attends to padding.
    """
    vlm = model.vlm
    t = CFG.text
    embed = vlm.lang_model.model.embed_tokens
    vis = encode_images(model, images)
    by_images: dict[tuple, list[int]] = {}
    for i, b in enumerate(seqs):
        by_images.setdefault(tuple(b["image_idx"]), []).append(i)
    rows_emb, rows_pos, rows_branch = [], [], []
    where: dict[int, tuple[int, list[int]]] = {}  # seq -> (row, packed index predicting each answer id)
    for key, members in by_images.items():
        all_ids = [seqs[i]["ids"] for i in members]
        n = min(seqs[i]["answer_start"] for i in members) - 1  # the last prompt token opens a branch
        for ids in all_ids[1:]:
            n = min(n, next((j for j, (a, b) in enumerate(zip(all_ids[0], ids)) if a != b), n))
        prefix = all_ids[0][:n]
        assert prefix.count(t.image_token_id) == len(key), "every <image> must be in the shared prefix"
        spliced, _ = xr.splice(embed(torch.tensor(prefix)), prefix, t.image_token_id, [vis[k] for k in key])
        p = spliced.shape[0]
        parts, pos, branch = [spliced], list(range(p)), [-1] * p
        for bi, i in enumerate(members):
            ids, a0 = seqs[i]["ids"], seqs[i]["answer_start"]
            suffix = ids[n:]
            assert t.image_token_id not in suffix
            first = len(pos)
            parts.append(embed(torch.tensor(suffix)))
            pos += range(p, p + len(suffix))
            branch += [bi] * len(suffix)
            where[i] = (len(rows_emb), [first + j - 1 - n for j in range(a0, len(ids))])
        rows_emb.append(torch.cat(parts))
        rows_pos.append(pos)
        rows_branch.append(branch)
    lmax = max(e.shape[0] for e in rows_emb)
    x = torch.zeros(len(rows_emb), lmax, t.hidden_size)
    position_ids = torch.zeros(len(rows_emb), lmax, dtype=torch.long)
    br = torch.full((len(rows_emb), lmax), -2, dtype=torch.long)
    for r, (e, pos, branch) in enumerate(zip(rows_emb, rows_pos, rows_branch)):
        x[r, : e.shape[0]] = e
        position_ids[r, : len(pos)] = torch.tensor(pos)
        br[r, : len(branch)] = torch.tensor(branch)
    idx = torch.arange(lmax)
    allowed = (idx[None, None, :] <= idx[None, :, None]) & (
        (br[:, None, :] == -1) | (br[:, None, :] == br[:, :, None]))
    mask = torch.zeros(allowed.shape).masked_fill_(~allowed, torch.finfo(torch.float32).min)[:, None]
    h = vlm.lang_model.model(inputs_embeds=x, attention_mask=mask, position_ids=position_ids).last_hidden_state
    rows = torch.tensor([where[i][0] for i in range(len(seqs)) for _ in where[i][1]])
    cols = torch.tensor([q for i in range(len(seqs)) for q in where[i][1]])
    seq_of = torch.tensor([i for i in range(len(seqs)) for _ in where[i][1]])
    y = torch.tensor([tid for b in seqs for tid in b["ids"][b["answer_start"]:]])
    logits = vlm.lang_model.lm_head(h[rows, cols])
    per_token = F.cross_entropy(logits, y, reduction="none")
    per_seq = torch.zeros(len(seqs)).index_add_(0, seq_of, per_token.detach())
    return per_token.mean(), per_seq


@torch.no_grad()
def generate(model: xr.XGenMM, ids: list[int], images: list[dict], stop_id: int,
             max_new_tokens: int = MAX_NEW_TOKENS) -> tuple[list[int], list[float]]:
    """Greedy decoding at batch 1 as the reference does it (make_fixtures.run_model): argmax
    over all itl+3 logits, KV cache, stop after ``stop_id`` (included in the result).
    Returns the ids and the top-1 minus top-2 logit margin of each step."""
    t = CFG.text
    vis = encode_images(model, images)
    emb = model.embed(torch.tensor(ids))
    spliced, _ = xr.splice(emb, ids, t.image_token_id, vis)
    logits, cache = model.lm(spliced[None])
    step = logits[0, -1]
    out, margins = [], []
    for _ in range(max_new_tokens):
        top2 = torch.topk(step.double(), 2).values
        margins.append(float(top2[0] - top2[1]))
        nxt = int(step.argmax())
        out.append(nxt)
        if nxt == stop_id:
            break
        lg, cache = model.lm(model.embed(torch.tensor([nxt]))[None], cache)
        step = lg[0, -1]
    return out, margins


# ------------------------------------------------------------------------------------------
# Checkpoint in the released layout
# ------------------------------------------------------------------------------------------

FIXTURE = mf.Fixture(  # only used for make_fixtures.tiny_config_json
    name="xgenmm-nano", seed=0, cfg=CFG, dtype=torch.float32, n_shards=1, image_sizes=((1, 1), (1, 1)),
    text_config_torch_dtype="float32", note="trained")


def save_checkpoint(model: xr.XGenMM, out_dir: str, tokenizer_model: bytes) -> list[str]:
    os.makedirs(out_dir, exist_ok=True)
    for fn in os.listdir(out_dir):
        os.remove(os.path.join(out_dir, fn))
    sd = model.released_state_dict()
    specs = xr.tensor_specs(CFG)
    assert specs == [(n, tuple(v.shape)) for n, v in sd.items()], "spec/module mismatch"
    values = {n: v.detach().to(torch.float32).contiguous() for n, v in sd.items()}
    files = cio.save_checkpoint(out_dir, specs, torch.float32, 1, lambda n: values[n])
    cio.write_json(os.path.join(out_dir, "config.json"), mf.tiny_config_json(FIXTURE))
    cio.write_json(os.path.join(out_dir, "preprocessor_config.json"), mf.preprocessor_json(CFG))
    nano_tok.write_tokenizer(out_dir, tokenizer_model)
    for fn in os.listdir(out_dir):
        os.chmod(os.path.join(out_dir, fn), 0o644)
    return files


def load_checkpoint(d: str) -> xr.XGenMM:
    """The stored checkpoint, checking that its config is this module's."""
    with open(os.path.join(d, "config.json")) as f:
        assert json.load(f) == json.loads(json.dumps(mf.tiny_config_json(FIXTURE))), "config.json differs from CFG"
    model = xr.XGenMM(CFG).eval()
    model.load_released_state_dict(cio.load_checkpoint(d))
    return model


def lr_at(step: int, total: int, peak: float, warmup: int) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    p = (step - warmup) / max(1, total - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))
