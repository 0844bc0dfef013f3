#!/usr/bin/env python3
"""Runs the fused attention kernels of test/gpu/xgenmm-gpu-flash-attention.mlir
(generic form, right after xgenmm-gpu-flash-attention) in the SIMT emulator
and compares them with attention computed in float64 from the same
bf16-rounded q, k and v (the kernel's p is rounded to bf16 too: the bound
allows for that)."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simt_emulator as se  # noqa: E402


def reference(q, k, v, heads, kv_heads, d, scale, offset=0, causal=False, window=None,
              key_mask=None):
    """q [nb, S, heads * d], k and v [nb, T, kv_heads * d] -> [nb, S, heads * d]."""
    nb, S, _ = q.shape
    T = k.shape[1]
    group = heads // kv_heads
    q = se.bf16(q).astype(np.float64).reshape(nb, S, heads, d)
    k = se.bf16(k).astype(np.float64).reshape(nb, T, kv_heads, d)
    v = se.bf16(v).astype(np.float64).reshape(nb, T, kv_heads, d)
    out = np.zeros((nb, S, heads, d))
    s_abs = offset + np.arange(S)[:, None]
    t = np.arange(T)[None, :]
    keep = np.ones((S, T), bool)
    if causal:
        keep &= t <= s_abs
    if window is not None:
        keep &= t + window > s_abs
    for b in range(nb):
        kb = keep.copy()
        if key_mask is not None:
            m = np.ones(T, bool)
            m[:key_mask.shape[1]] = key_mask[b]
            kb &= m[None, :]
        for h in range(heads):
            scores = q[b, :, h] @ k[b, :, h // group].T * scale
            scores = np.where(kb, scores, -np.inf)
            p = np.exp(scores - scores.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            out[b, :, h] = p @ v[b, :, h // group]
    return out.reshape(nb, S, heads * d)


def check(name, got, want, tol):
    err = np.abs(got - want).max()
    scale = np.abs(want).max()
    ok = np.isfinite(got).all() and err <= tol * max(scale, 1.0)
    print(f'{name}: max |error| {err:.3g} (values up to {scale:.3g}) {"ok" if ok else "FAIL"}')
    return ok


def main():
    text = open(sys.argv[1]).read()
    rng = np.random.default_rng(7)
    ok = True
    # bf16 probabilities (8 bits) against float64 ones: ~2^-9 relative.
    tol = 5e-3

    q = rng.standard_normal((2, 70, 48)).astype(np.float32)
    k = rng.standard_normal((2, 100, 24)).astype(np.float32)
    v = rng.standard_normal((2, 100, 24)).astype(np.float32)
    (out,), launches = se.run(text, 'plain', [q, k, v])
    ok &= check('plain (2 x 70 rows, 100 keys, 4 heads on 2 kv heads, d 12)', out,
                reference(q, k, v, 4, 2, 12, 0.3), tol) and launches == 1

    q = rng.standard_normal((1, 65, 144)).astype(np.float32)
    k = rng.standard_normal((1, 90, 144)).astype(np.float32)
    v = rng.standard_normal((1, 90, 144)).astype(np.float32)
    m = rng.random((1, 50)) < 0.6
    (out,), launches = se.run(text, 'masked', [q, k, v, m])
    ok &= check('masked (65 rows, 90 keys, key mask over 50, d 72)', out,
                reference(q, k, v, 2, 2, 72, 0.12, key_mask=m), tol)

    for rows, position in ((70, 20), (1, 100), (3, 157)):
        q = rng.standard_normal((rows, 32)).astype(np.float32)
        k = rng.standard_normal((rows, 16)).astype(np.float32)
        v = rng.standard_normal((rows, 16)).astype(np.float32)
        kc = rng.standard_normal((160, 16)).astype(np.float32)
        vc = rng.standard_normal((160, 16)).astype(np.float32)
        kc_want, vc_want = kc.copy(), vc.copy()
        kc_want[position:position + rows] = k
        vc_want[position:position + rows] = v
        (out, kn, vn), _ = se.run(text, 'causal', [q, k, v, kc, vc, position])
        n = position + rows
        want = reference(q[None], kc_want[None, :n], vc_want[None, :n], 2, 1, 16, 0.25,
                         offset=position, causal=True, window=50)[0]
        ok &= check(f'causal ({rows} rows at position {position}, window 50)', out, want, tol)
        ok &= np.array_equal(kn, kc_want) and np.array_equal(vn, vc_want)
    # One static row (the model's decode; keys split over 16 blocks): 1, 2,
    # 3 and 18 key tiles (2 per block, most masked by the window).
    for position in (63, 64, 150, 1100):
        q = rng.standard_normal((1, 44)).astype(np.float32)
        k = rng.standard_normal((1, 44)).astype(np.float32)
        v = rng.standard_normal((1, 44)).astype(np.float32)
        kc = rng.standard_normal((1200, 44)).astype(np.float32)
        vc = rng.standard_normal((1200, 44)).astype(np.float32)
        kc_want, vc_want = kc.copy(), vc.copy()
        kc_want[position], vc_want[position] = k[0], v[0]
        (out, _, _), _ = se.run(text, 'decode_static', [q, k, v, kc, vc, position])
        n = position + 1
        want = reference(q[None], kc_want[None, :n], vc_want[None, :n], 2, 2, 22, 0.213200718,
                         offset=position, causal=True, window=100)[0]
        ok &= check(f'decode, one static row at position {position}', out, want, tol)

    q = rng.standard_normal((130, 32)).astype(np.float32)
    k = rng.standard_normal((130, 32)).astype(np.float32)
    v = rng.standard_normal((130, 32)).astype(np.float32)
    (out,), _ = se.run(text, 'causal_no_cache', [q, k, v])
    want = reference(q[None], k[None], v[None], 2, 2, 16, 0.25, causal=True)[0]
    ok &= check('causal without a cache (130 rows: 3 row blocks)', out, want, tol)
    print('all ok' if ok else 'FAILED')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
