#!/usr/bin/env python3
"""Checks of the hand-written parts of the reference against the worked examples in
model-spec.md and against deliberately naive re-implementations. Run by regen.sh first.

    python3 test/reference/selftest.py
"""

from __future__ import annotations

import os
import sys

import torch

sys.dont_write_bytecode = True  # keep test/reference free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xgenmm_ref as xr  # noqa: E402

REAL_GRIDS = xr.FULL_SIZE.grids  # [(384,768),(768,384),(768,768),(1152,384),(384,1152)]


def check_grid_selection() -> None:
    assert REAL_GRIDS == [(384, 768), (768, 384), (768, 768), (1152, 384), (384, 1152)]
    # spec §4.2: a small square image gets (384,768); spec §4.5 worked example: 640x480 -> 2x2
    assert xr.select_best_resolution((49, 49), REAL_GRIDS) == (384, 768)
    assert xr.select_best_resolution((640, 480), REAL_GRIDS) == (768, 768)
    assert xr.select_best_resolution((1500, 400), REAL_GRIDS) == (1152, 384)
    assert xr.select_best_resolution((400, 1500), REAL_GRIDS) == (384, 1152)


def check_unpad_mask() -> None:
    # spec §4.5 worked example: 640x480, 2x2 grid, 54x54 map -> rows 0-6 and 47-53 masked
    m = xr.unpad_mask(54, 54, (640, 480))
    rows = (m == 0).all(dim=1)
    assert rows[:7].all() and rows[47:].all() and not rows[7:47].any() and (m[7:47] == 1).all()
    # spec §4.5: a 49x49 image (grid 1x2, map 54x27) masks 14 rows at each end, not 13
    m = xr.unpad_mask(54, 27, (49, 49))
    rows = (m == 0).all(dim=1)
    assert rows[:14].all() and rows[40:].all() and not rows[14:40].any()
    assert xr.unpad_mask_is_order_sensitive(54, 27, (49, 49))
    # padding on the columns for a tall image
    m = xr.unpad_mask(27, 54, (100, 400))
    assert (m[:, 0] == 0).all() and (m[:, 27] == 1).all()


def naive_regroup(feats, npw, nph, size, g):
    """Loop version of spec §4.5: stitch crops into one raster, cut it into g*g chunks."""
    c = feats.shape[-1]
    hc, wc = nph * g, npw * g
    stitched = torch.empty(hc * wc, c)
    for r in range(hc):
        for col in range(wc):
            crop = 1 + (r // g) * npw + col // g
            stitched[r * wc + col] = feats[crop, (r % g) * g + col % g]
    mask = xr.unpad_mask(hc, wc, size).reshape(-1)
    groups = [feats[0]] + [stitched[j * g * g:(j + 1) * g * g] for j in range(npw * nph)]
    masks = [torch.ones(g * g)] + [mask[j * g * g:(j + 1) * g * g] for j in range(npw * nph)]
    return torch.stack(groups), torch.stack(masks)


def check_regroup() -> None:
    gen = torch.Generator().manual_seed(0)
    for g in (3, 4, 5, 7):
        for npw, nph in [(1, 2), (2, 1), (2, 2), (3, 1), (1, 3)]:
            feats = torch.randn(1 + npw * nph, g * g, 6, generator=gen)
            size = (37 * npw + 5, 41 * nph)
            out, m = xr.regroup_anyres(feats, npw, nph, size, g)
            ref, rm = naive_regroup(feats, npw, nph, size, g)
            assert torch.equal(out, ref) and torch.equal(m, rm), (g, npw, nph)
            same_as_crops = torch.equal(out, feats)
            # band quirk: identity exactly when the grid is one crop wide
            assert same_as_crops == (npw == 1), (g, npw, nph)


def naive_resampler(rs: xr.PerceiverResampler, x, mask, cfg: xr.ResamplerCfg):
    """Per-batch, per-head loop version of spec §3 (masking by zeroing exp weights)."""
    outs = []
    for b in range(x.shape[0]):
        lat = rs.latents.clone()
        for attn, ff in rs.layers:
            xn, ln = attn.norm_media(x[b]), attn.norm_latents(lat)
            q = ln @ attn.to_q.weight.T
            kv = torch.cat([xn, ln]) @ attn.to_kv.weight.T
            inner = cfg.heads * cfg.dim_head
            k, v = kv[:, :inner], kv[:, inner:]
            heads = []
            for h in range(cfg.heads):
                sl = slice(h * cfg.dim_head, (h + 1) * cfg.dim_head)
                s = (q[:, sl] @ k[:, sl].T) / cfg.dim_head**0.5
                w = torch.exp(s - s.max(dim=1, keepdim=True).values)
                if mask is not None:
                    keep = torch.cat([mask[b], torch.ones(lat.shape[0])])
                    w = w * keep
                heads.append((w / w.sum(dim=1, keepdim=True)) @ v[:, sl])
            lat = lat + torch.cat(heads, dim=1) @ attn.to_out.weight.T
            h1 = torch.nn.functional.layer_norm(lat, lat.shape[-1:], ff[0].weight, ff[0].bias, 1e-5)
            lat = lat + torch.nn.functional.gelu(h1 @ ff[1].weight.T) @ ff[3].weight.T
        outs.append(rs.norm(lat))
    return torch.stack(outs)


def check_resampler() -> None:
    torch.manual_seed(1)
    cfg = xr.ResamplerCfg(depth=2, heads=3, dim_head=5, num_latents=4, ff_mult=3)
    rs = xr.PerceiverResampler(14, 9, cfg).double()
    with torch.no_grad():
        for p in rs.parameters():
            p.normal_()
    x = torch.randn(3, 10, 14, dtype=torch.double)
    mask = (torch.rand(3, 10) > 0.4).double()
    mask[0] = 1
    with torch.no_grad():
        for mk in (mask, None):
            a = rs.forward_latents(x, mk)
            b = naive_resampler(rs, x, mk, cfg)
            assert torch.allclose(a, b, atol=1e-10), float((a - b).abs().max())
        # keys of masked media tokens must not matter
        x2 = x.clone()
        x2[mask == 0] = 1e3
        assert torch.allclose(rs.forward_latents(x, mask), rs.forward_latents(x2, mask), atol=1e-10)


def check_decoupled() -> None:
    torch.manual_seed(2)
    emb = xr.DecoupledEmbedding(20, 4, 17, 3)
    head = xr.DecoupledLinear(4, 20, 17, 3)
    with torch.no_grad():
        for p in list(emb.parameters()) + list(head.parameters()):
            p.normal_()
        ids = torch.tensor([0, 5, 16, 17, 18, 19])
        e = emb(ids)
        ref = torch.stack([emb.weight[i] if i < 17 else emb.additional_embedding.weight[i - 17] for i in ids.tolist()])
        assert torch.equal(e, ref)
        lg = head(e)
        assert lg.shape == (6, 20)  # 17 + 3, rows 17..19 of the base head are dropped
        ref = torch.cat([e @ head.weight[:17].T + head.bias[:17], e @ head.additional_fc.weight.T + head.additional_fc.bias], 1)
        assert torch.allclose(lg, ref, atol=1e-6)
        try:
            emb(torch.tensor([20]))
            raise AssertionError("id beyond the additional table accepted")
        except ValueError:
            pass


def check_splice() -> None:
    e = torch.arange(7.0)[:, None]
    ids = [1, 2, 99, 3, 99, 4, 5]
    out, starts = xr.splice(e, ids, 99, [torch.full((3, 1), -1.0), torch.full((2, 1), -2.0)])
    assert out[:, 0].tolist() == [0, 1, -1, -1, -1, 3, -2, -2, 5, 6] and starts == [2, 6]


def check_param_count() -> None:
    c = xr.param_count_breakdown(xr.FULL_SIZE)
    assert c == {"vision_encoder": 428_225_600, "vision_tokenizer": 109_901_568,
                 "lang_model": 3_821_130_051, "total": 4_359_257_219}, c


def main() -> None:
    torch.set_num_threads(1)
    for f in (check_grid_selection, check_unpad_mask, check_regroup, check_resampler, check_decoupled,
              check_splice, check_param_count):
        f()
        print("ok", f.__name__)


if __name__ == "__main__":
    main()
