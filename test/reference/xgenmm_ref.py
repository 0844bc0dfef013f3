"""Independent PyTorch reference for xGen-MM (BLIP-3) r-v1.5.

Everything here is written from /work/shared/docs/model-spec.md (cited as "spec §N"),
not from the released modeling code:

* vision tower   = transformers.SiglipVisionModel          (spec §2)
* LM             = transformers.Phi3ForCausalLM (eager)     (spec §5)
* resampler, decoupled embedding / LM head, anyres grid choice, regrouping and the padding
  mask are hand-written below                               (spec §3, §4.2, §4.5, §5.1)

Module attribute names are chosen so that ``XGenMM().state_dict()`` has exactly the released
tensor names (spec §6.2), all under ``vlm.``.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

# --------------------------------------------------------------------------------------------
# Hyperparameters
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VisionCfg:
    """SiglipVisionConfig fields (spec §2). Defaults = siglip-so400m-patch14-384."""

    hidden_size: int = 1152
    intermediate_size: int = 4304
    num_hidden_layers: int = 27
    num_attention_heads: int = 16
    image_size: int = 384
    patch_size: int = 14
    num_channels: int = 3
    hidden_act: str = "gelu_pytorch_tanh"
    layer_norm_eps: float = 1e-6

    @property
    def grid(self) -> int:  # tokens per side; valid conv drops image_size % patch_size pixels
        return self.image_size // self.patch_size

    @property
    def num_tokens(self) -> int:
        return self.grid * self.grid


@dataclass(frozen=True)
class ResamplerCfg:
    """PerceiverResampler code defaults (spec §3)."""

    depth: int = 6
    heads: int = 16
    dim_head: int = 96
    num_latents: int = 128  # config name: num_vis_tokens
    ff_mult: int = 4


@dataclass(frozen=True)
class TextCfg:
    """Phi3Config fields (spec §5). Defaults = Phi-3-mini-4k / transformers Phi3Config."""

    vocab_size: int = 32064
    hidden_size: int = 3072
    intermediate_size: int = 8192
    num_hidden_layers: int = 32
    num_attention_heads: int = 32
    num_key_value_heads: int = 32
    rms_norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    max_position_embeddings: int = 4096
    sliding_window: int = 2047
    bos_token_id: int = 1
    eos_token_id: int = 32000
    pad_token_id: int = 32000
    initial_tokenizer_len: int = 32012
    num_additional: int = 3  # <image>, <image placeholder>, <|endofchunk|>  (spec §5.2)

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    @property
    def image_token_id(self) -> int:  # <image> = initial_tokenizer_len (spec §5.2)
        return self.initial_tokenizer_len

    @property
    def num_logits(self) -> int:  # 32012 + 3 = 32015 for the real model (spec §5.1)
        return self.initial_tokenizer_len + self.num_additional


@dataclass(frozen=True)
class ModelCfg:
    vision: VisionCfg = field(default_factory=VisionCfg)
    resampler: ResamplerCfg = field(default_factory=ResamplerCfg)
    text: TextCfg = field(default_factory=TextCfg)

    @property
    def grids(self) -> list[tuple[int, int]]:
        """anyres grids, (width, height) in pixels, same order as the release (spec §4.1)."""
        s = self.vision.image_size
        return [(s, 2 * s), (2 * s, s), (2 * s, 2 * s), (3 * s, s), (s, 3 * s)]


FULL_SIZE = ModelCfg()  # the real r-v1.5 shapes


# --------------------------------------------------------------------------------------------
# Perceiver resampler (spec §3) -- names match vlm.vision_tokenizer.* in spec §6.2
# --------------------------------------------------------------------------------------------


class PerceiverAttention(nn.Module):
    def __init__(self, dim: int, dim_head: int, heads: int):
        super().__init__()
        self.heads, self.dim_head = heads, dim_head
        inner = dim_head * heads
        # nn.LayerNorm default eps 1e-5 (spec §3: not SigLIP's 1e-6)
        self.norm_media = nn.LayerNorm(dim)
        self.norm_latents = nn.LayerNorm(dim)
        self.to_q = nn.Linear(dim, inner, bias=False)
        self.to_kv = nn.Linear(dim, 2 * inner, bias=False)  # rows [0,inner) = K, [inner,2inner) = V
        self.to_out = nn.Linear(inner, dim, bias=False)

    def forward(self, x: torch.Tensor, latents: torch.Tensor, media_mask: torch.Tensor | None):
        # x: [b, n, dim] media (never updated), latents: [b, m, dim], media_mask: [b, n] in {0,1}
        b, n, _ = x.shape
        m = latents.shape[1]
        xn = self.norm_media(x)
        ln = self.norm_latents(latents)
        q = self.to_q(ln)
        kv_in = torch.cat([xn, ln], dim=1)  # keys/values = [media; latents] (spec §3)
        k, v = self.to_kv(kv_in).chunk(2, dim=-1)

        def split(t):  # [b, s, h*d] -> [b, h, s, d]; head h = columns [d*h, d*h+d)
            return t.view(b, t.shape[1], self.heads, self.dim_head).transpose(1, 2)

        q, k, v = split(q), split(k), split(v)
        s = (q * self.dim_head**-0.5) @ k.transpose(-1, -2)  # [b, h, m, n+m]
        if media_mask is not None:
            # masked media keys -> -inf; latent keys always valid, so no row is all -inf.
            valid = torch.cat([media_mask.bool(), torch.ones(b, m, dtype=torch.bool)], dim=1)
            s = s.masked_fill(~valid[:, None, None, :], float("-inf"))
        s = s - s.amax(dim=-1, keepdim=True)  # numerics only
        o = s.softmax(dim=-1) @ v  # [b, h, m, d]
        o = o.transpose(1, 2).reshape(b, m, self.heads * self.dim_head)
        return self.to_out(o)


def _feed_forward(dim: int, mult: int) -> nn.Sequential:
    inner = int(dim * mult)
    # indices 0..3 give the released names layers.N.1.{0,1,3}.*; index 2 = exact (erf) GELU
    return nn.Sequential(
        nn.LayerNorm(dim),
        nn.Linear(dim, inner, bias=False),
        nn.GELU(),
        nn.Linear(inner, dim, bias=False),
    )


class PerceiverResampler(nn.Module):
    def __init__(self, dim: int, dim_inner: int, cfg: ResamplerCfg):
        super().__init__()
        self.latents = nn.Parameter(torch.zeros(cfg.num_latents, dim))
        self.layers = nn.ModuleList(
            nn.ModuleList([PerceiverAttention(dim, cfg.dim_head, cfg.heads), _feed_forward(dim, cfg.ff_mult)])
            for _ in range(cfg.depth)
        )
        self.norm = nn.LayerNorm(dim)
        self.projection = nn.Linear(dim, dim_inner, bias=True)

    def forward_latents(self, x: torch.Tensor, media_mask: torch.Tensor | None) -> torch.Tensor:
        """[b, n, dim] media -> [b, num_latents, dim] after the final LayerNorm, before projection."""
        lat = self.latents[None].expand(x.shape[0], -1, -1)
        for attn, ff in self.layers:
            lat = lat + attn(x, lat, media_mask)
            lat = lat + ff(lat)
        return self.norm(lat)

    def forward(self, x: torch.Tensor, media_mask: torch.Tensor | None) -> torch.Tensor:
        return self.projection(self.forward_latents(x, media_mask))


# --------------------------------------------------------------------------------------------
# Decoupled embedding and LM head (spec §5.1)
# --------------------------------------------------------------------------------------------


class DecoupledEmbedding(nn.Embedding):
    """id < itl -> weight[id]; id >= itl -> additional_embedding.weight[id - itl]."""

    def __init__(self, num_embeddings: int, dim: int, itl: int, num_additional: int):
        super().__init__(num_embeddings, dim)
        self.itl = itl
        self.additional_embedding = nn.Embedding(num_additional, dim)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        if int(ids.max()) >= self.itl + self.additional_embedding.num_embeddings or int(ids.min()) < 0:
            raise ValueError("token id outside [0, initial_tokenizer_len + num_additional)")
        is_add = ids >= self.itl
        base = F.embedding(torch.where(is_add, 0, ids), self.weight)
        add = self.additional_embedding(torch.where(is_add, ids - self.itl, 0))
        return torch.where(is_add[..., None], add, base)


class DecoupledLinear(nn.Linear):
    """logits = concat((x W^T + b)[..., :itl], x Wa^T + ba).

    The released head keeps all 32064 rows of W and a bias (DecoupledLinear is built with
    bias=True although Phi-3's head has none); rows itl..vocab-1 are never used (spec §5.1).
    """

    def __init__(self, dim: int, vocab: int, itl: int, num_additional: int):
        super().__init__(dim, vocab, bias=True)
        self.itl = itl
        self.additional_fc = nn.Linear(dim, num_additional, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        base = F.linear(x, self.weight, self.bias)[..., : self.itl]
        return torch.cat([base, self.additional_fc(x)], dim=-1)


# --------------------------------------------------------------------------------------------
# Any-resolution bookkeeping (spec §4.2, §4.5)
# --------------------------------------------------------------------------------------------


def select_best_resolution(size_wh: tuple[int, int], grids: list[tuple[int, int]]) -> tuple[int, int]:
    """spec §4.2; size and grids are (width, height). First grid wins ties."""
    w0, h0 = size_wh
    best, max_eff, min_waste = None, 0, float("inf")
    for w, h in grids:
        s = min(w / w0, h / h0)
        eff = min(int(w0 * s) * int(h0 * s), w0 * h0)
        waste = w * h - eff
        if eff > max_eff or (eff == max_eff and waste < min_waste):
            best, max_eff, min_waste = (w, h), eff, waste
    assert best is not None
    return best


def unpad_mask(hc: int, wc: int, size_wh: tuple[int, int]) -> torch.Tensor:
    """[hc, wc] 0/1 mask of the stitched token map (spec §4.5).

    The scale is computed first (a Python float = double) and then multiplied and truncated,
    exactly as the released unpad_image does; int(h0 * wc / w0) would differ for some sizes.
    """
    w0, h0 = size_wh
    m = torch.ones(hc, wc)
    if w0 / h0 > wc / hc:
        s = wc / w0
        nh = int(h0 * s)
        p = (hc - nh) // 2
        m[:p, :] = 0
        m[hc - p :, :] = 0
    else:
        s = hc / h0
        nw = int(w0 * s)
        p = (wc - nw) // 2
        m[:, :p] = 0
        m[:, wc - p :] = 0
    return m


def unpad_mask_is_order_sensitive(hc: int, wc: int, size_wh: tuple[int, int]) -> bool:
    """True when int(h0*(wc/w0)) != int(h0*wc/w0) changes the padding (the §4.5 arithmetic matters)."""
    w0, h0 = size_wh
    if w0 / h0 > wc / hc:
        a, b, full = int(h0 * (wc / w0)), int(h0 * wc / w0), hc
    else:
        a, b, full = int(w0 * (hc / h0)), int(w0 * hc / h0), wc
    return (full - a) // 2 != (full - b) // 2


def regroup_anyres(feats: torch.Tensor, npw: int, nph: int, size_wh: tuple[int, int], grid: int):
    """spec §4.5 (_encode_vision_x_anyres with anyres_patch_sampling=True), replicated exactly.

    feats: [1+P, grid*grid, C] SigLIP features; view 0 = global, views 1.. = crops row-major.
    Returns (groups [1+P, grid*grid, C], mask [1+P, grid*grid]).

    Quirk: the second .view cuts the *stitched* raster into consecutive grid*grid chunks, which
    is not the inverse of the first permute. For npw == 1 each chunk is one crop; for npw > 1 a
    chunk is a horizontal band spanning all crop columns (possibly splitting a token row).
    """
    n = grid * grid
    p = npw * nph
    c = feats.shape[-1]
    assert feats.shape == (1 + p, n, c), feats.shape
    f0 = feats[0]
    crops = feats[1:]
    stitched = crops.view(nph, npw, grid, grid, c).permute(4, 0, 2, 1, 3).reshape(c, nph * grid, npw * grid)
    mask = unpad_mask(nph * grid, npw * grid, size_wh)
    groups = stitched.view(c, nph, npw, n).flatten(1, 2).permute(1, 2, 0)  # [P, n, C]
    gmask = mask.view(nph, npw, n).flatten(0, 1)  # [P, n]
    out = torch.cat([f0[None], groups], dim=0)
    out_mask = torch.cat([torch.ones(1, n, dtype=gmask.dtype), gmask], dim=0)
    return out, out_mask


# --------------------------------------------------------------------------------------------
# The full model
# --------------------------------------------------------------------------------------------


def siglip_config(v: VisionCfg):
    from transformers import SiglipVisionConfig

    return SiglipVisionConfig(
        hidden_size=v.hidden_size,
        intermediate_size=v.intermediate_size,
        num_hidden_layers=v.num_hidden_layers,
        num_attention_heads=v.num_attention_heads,
        num_channels=v.num_channels,
        image_size=v.image_size,
        patch_size=v.patch_size,
        hidden_act=v.hidden_act,
        layer_norm_eps=v.layer_norm_eps,
        attention_dropout=0.0,
        vision_use_head=True,  # the MAP head is in the checkpoint (unused, spec §2)
        attn_implementation="eager",
    )


def phi3_config(t: TextCfg):
    from transformers import Phi3Config

    cfg = Phi3Config(
        vocab_size=t.vocab_size,
        hidden_size=t.hidden_size,
        intermediate_size=t.intermediate_size,
        num_hidden_layers=t.num_hidden_layers,
        num_attention_heads=t.num_attention_heads,
        num_key_value_heads=t.num_key_value_heads,
        rms_norm_eps=t.rms_norm_eps,
        rope_theta=t.rope_theta,  # transformers 5 folds this into rope_parameters
        max_position_embeddings=t.max_position_embeddings,
        original_max_position_embeddings=t.max_position_embeddings,
        sliding_window=t.sliding_window,
        bos_token_id=t.bos_token_id,
        eos_token_id=t.eos_token_id,
        pad_token_id=t.pad_token_id,
        tie_word_embeddings=False,
        attn_implementation="eager",
    )
    # Guard against silent renames between transformers versions.
    rp = getattr(cfg, "rope_parameters", None) or {}
    theta = rp.get("rope_theta", getattr(cfg, "rope_theta", None))
    assert theta == t.rope_theta, (theta, t.rope_theta)
    assert rp.get("rope_type", "default") == "default"
    return cfg


class XGenMMPerceiver(nn.Module):
    def __init__(self, cfg: ModelCfg):
        from transformers import Phi3ForCausalLM, SiglipVisionModel

        super().__init__()
        self.cfg = cfg
        t = cfg.text
        self.vision_encoder = SiglipVisionModel(siglip_config(cfg.vision))
        self.vision_tokenizer = PerceiverResampler(cfg.vision.hidden_size, t.hidden_size, cfg.resampler)
        self.lang_model = Phi3ForCausalLM(phi3_config(t))
        # Replace input/output embeddings with the decoupled versions (spec §5.1).
        self.lang_model.model.embed_tokens = DecoupledEmbedding(
            t.vocab_size, t.hidden_size, t.initial_tokenizer_len, t.num_additional
        )
        self.lang_model.lm_head = DecoupledLinear(t.hidden_size, t.vocab_size, t.initial_tokenizer_len, t.num_additional)


class XGenMM(nn.Module):
    """Wrapper so that state_dict names start with ``vlm.`` (spec §6.1)."""

    def __init__(self, cfg: ModelCfg):
        super().__init__()
        self.vlm = XGenMMPerceiver(cfg)

    def released_state_dict(self) -> dict[str, torch.Tensor]:
        """state_dict with the released names.

        transformers 4.x SiglipVisionModel nests the tower under ``vision_model.``; the xGen-MM
        code stores ``AutoModel(...).vision_model`` directly, so that level is dropped.
        """
        out = {}
        for k, v in self.state_dict().items():
            k = k.replace("vlm.vision_encoder.vision_model.", "vlm.vision_encoder.")
            out[k] = v
        return out

    def load_released_state_dict(self, sd: dict[str, torch.Tensor]) -> None:
        own = self.state_dict()
        nested = any(k.startswith("vlm.vision_encoder.vision_model.") for k in own)
        mapped = {}
        for k, v in sd.items():
            if nested and k.startswith("vlm.vision_encoder."):
                k = k.replace("vlm.vision_encoder.", "vlm.vision_encoder.vision_model.", 1)
            mapped[k] = v
        missing, unexpected = self.load_state_dict(mapped, strict=False)
        # position_ids is a non-persistent buffer on some versions; nothing else may differ
        assert not unexpected, unexpected
        assert all(m.endswith("position_ids") for m in missing), missing

    # ---------------------------------------------------------------- stages (all batch 1)

    @torch.no_grad()
    def vision_features(self, views: torch.Tensor) -> torch.Tensor:
        """[V,3,S,S] -> SigLIP last_hidden_state (after post_layernorm) [V, g*g, Cv] (spec §2)."""
        return self.vlm.vision_encoder(pixel_values=views).last_hidden_state

    @torch.no_grad()
    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        return self.vlm.lang_model.model.embed_tokens(ids)

    @torch.no_grad()
    def lm(self, inputs_embeds: torch.Tensor, past=None):
        """[1, L, D] -> (logits [1, L, itl+3], cache). Positions continue from the cache."""
        lm = self.vlm.lang_model
        # transformers >= 5.2x renamed past_key_values -> cache
        key = "cache" if "cache" in inspect.signature(lm.forward).parameters else "past_key_values"
        out = lm(inputs_embeds=inputs_embeds, use_cache=True, **{key: past})
        return out.logits, (out["cache"] if key == "cache" else out.past_key_values)


def splice(text_embeds: torch.Tensor, ids: list[int], image_token_id: int, vis_tokens: list[torch.Tensor]):
    """Replace the j-th <image> row with image j's token block (spec §1). Returns embeds, starts."""
    pos = [i for i, t in enumerate(ids) if t == image_token_id]
    assert len(pos) == len(vis_tokens), (pos, len(vis_tokens))
    parts, starts, prev, cur = [], [], 0, 0
    for p, vt in zip(pos, vis_tokens):
        parts.append(text_embeds[prev:p])
        cur += p - prev
        starts.append(cur)
        parts.append(vt)
        cur += vt.shape[0]
        prev = p + 1
    parts.append(text_embeds[prev:])
    return torch.cat(parts, dim=0), starts


# --------------------------------------------------------------------------------------------
# Tensor list straight from spec §6.2 (used for the streamed full-size checkpoint and to
# cross-check the module-built state_dict of every tiny fixture)
# --------------------------------------------------------------------------------------------


def tensor_specs(cfg: ModelCfg) -> list[tuple[str, tuple[int, ...]]]:
    """(name, shape) in module order: vision encoder, resampler, language model."""
    v, r, t = cfg.vision, cfg.resampler, cfg.text
    C, I = v.hidden_size, v.intermediate_size
    specs: list[tuple[str, tuple[int, ...]]] = []
    ve = "vlm.vision_encoder."
    specs += [
        (ve + "embeddings.patch_embedding.weight", (C, v.num_channels, v.patch_size, v.patch_size)),
        (ve + "embeddings.patch_embedding.bias", (C,)),
        (ve + "embeddings.position_embedding.weight", (v.num_tokens, C)),
    ]
    for n in range(v.num_hidden_layers):
        p = f"{ve}encoder.layers.{n}."
        specs += [(p + "layer_norm1.weight", (C,)), (p + "layer_norm1.bias", (C,))]
        for proj in ("k", "v", "q", "out"):
            specs += [(p + f"self_attn.{proj}_proj.weight", (C, C)), (p + f"self_attn.{proj}_proj.bias", (C,))]
        specs += [(p + "layer_norm2.weight", (C,)), (p + "layer_norm2.bias", (C,))]
        specs += [(p + "mlp.fc1.weight", (I, C)), (p + "mlp.fc1.bias", (I,))]
        specs += [(p + "mlp.fc2.weight", (C, I)), (p + "mlp.fc2.bias", (C,))]
    specs += [(ve + "post_layernorm.weight", (C,)), (ve + "post_layernorm.bias", (C,))]
    h = ve + "head."
    specs += [
        (h + "probe", (1, 1, C)),
        (h + "attention.in_proj_weight", (3 * C, C)),
        (h + "attention.in_proj_bias", (3 * C,)),
        (h + "attention.out_proj.weight", (C, C)),
        (h + "attention.out_proj.bias", (C,)),
        (h + "layernorm.weight", (C,)),
        (h + "layernorm.bias", (C,)),
        (h + "mlp.fc1.weight", (I, C)),
        (h + "mlp.fc1.bias", (I,)),
        (h + "mlp.fc2.weight", (C, I)),
        (h + "mlp.fc2.bias", (C,)),
    ]
    vt = "vlm.vision_tokenizer."
    inner = r.heads * r.dim_head
    ff = int(C * r.ff_mult)
    specs += [(vt + "latents", (r.num_latents, C))]
    for n in range(r.depth):
        p = f"{vt}layers.{n}."
        specs += [
            (p + "0.norm_media.weight", (C,)),
            (p + "0.norm_media.bias", (C,)),
            (p + "0.norm_latents.weight", (C,)),
            (p + "0.norm_latents.bias", (C,)),
            (p + "0.to_q.weight", (inner, C)),
            (p + "0.to_kv.weight", (2 * inner, C)),
            (p + "0.to_out.weight", (C, inner)),
            (p + "1.0.weight", (C,)),
            (p + "1.0.bias", (C,)),
            (p + "1.1.weight", (ff, C)),
            (p + "1.3.weight", (C, ff)),
        ]
    specs += [(vt + "norm.weight", (C,)), (vt + "norm.bias", (C,))]
    specs += [(vt + "projection.weight", (t.hidden_size, C)), (vt + "projection.bias", (t.hidden_size,))]
    lm = "vlm.lang_model."
    D, hd = t.hidden_size, t.head_dim
    qkv = (t.num_attention_heads + 2 * t.num_key_value_heads) * hd
    specs += [
        (lm + "model.embed_tokens.weight", (t.vocab_size, D)),
        (lm + "model.embed_tokens.additional_embedding.weight", (t.num_additional, D)),
    ]
    for n in range(t.num_hidden_layers):
        p = f"{lm}model.layers.{n}."
        specs += [
            (p + "self_attn.o_proj.weight", (D, t.num_attention_heads * hd)),
            (p + "self_attn.qkv_proj.weight", (qkv, D)),
            (p + "mlp.gate_up_proj.weight", (2 * t.intermediate_size, D)),
            (p + "mlp.down_proj.weight", (D, t.intermediate_size)),
            (p + "input_layernorm.weight", (D,)),
            (p + "post_attention_layernorm.weight", (D,)),
        ]
    specs += [
        (lm + "model.norm.weight", (D,)),
        (lm + "lm_head.weight", (t.vocab_size, D)),
        (lm + "lm_head.bias", (t.vocab_size,)),
        (lm + "lm_head.additional_fc.weight", (t.num_additional, D)),
        (lm + "lm_head.additional_fc.bias", (t.num_additional,)),
    ]
    return specs


def param_count_breakdown(cfg: ModelCfg) -> dict[str, int]:
    out = {"vision_encoder": 0, "vision_tokenizer": 0, "lang_model": 0}
    for name, shape in tensor_specs(cfg):
        out[name.split(".")[1]] += math.prod(shape)
    out["total"] = sum(out.values())
    return out


def as_dict(cfg) -> dict:
    return dataclasses.asdict(cfg)
