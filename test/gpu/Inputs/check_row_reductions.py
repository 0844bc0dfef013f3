#!/usr/bin/env python3
"""Runs the row-reduction kernels of test/gpu/xgenmm-gpu-row-reductions.mlir
(generic form, right after xgenmm-gpu-row-reductions) in the SIMT emulator
and compares them with the reductions in float64."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simt_emulator as se  # noqa: E402


def check(name, got, want, launches):
    err = np.abs(got - want).max()
    bound = 1e-5 * max(np.abs(want).max(), 1.0)
    ok = launches == 1 and np.isfinite(got).all() and err <= bound
    print(f'{name}: max |error| {err:.3g}, bound {bound:.3g}, {launches} launch(es): '
          f'{"ok" if ok else "FAIL"}')
    return ok


def main():
    text = open(sys.argv[1]).read()
    rng = np.random.default_rng(11)
    f32 = np.float32
    ok = True

    x = rng.standard_normal((2, 70, 300)).astype(f32)
    init = rng.standard_normal((2, 70)).astype(f32)
    want = init.astype(np.float64) + x.astype(np.float64).sum(axis=2)
    (got,), n = se.run(text, 'row_sum', [x, init.copy()])
    ok &= check('row_sum (2 x 70 rows of 300)', got, want, n)

    x = rng.standard_normal((1, 5, 1152)).astype(f32)
    mean = x.mean(axis=2).astype(f32)
    init = np.zeros((1, 5), f32)
    want = ((x.astype(np.float64) - mean[..., None]) ** 2).sum(axis=2)
    (got,), n = se.run(text, 'squared_deviations', [x, mean, init])
    ok &= check('squared_deviations (5 rows of 1152)', got, want, n)

    x = rng.standard_normal((1, 3072)).astype(f32)
    init = np.zeros((1,), f32)
    want = (x.astype(np.float64) ** 2).sum(axis=1)
    (got,), n = se.run(text, 'decode_sum_of_squares', [x, init])
    ok &= check('decode_sum_of_squares (1 row of 3072)', got, want, n)

    x = rng.standard_normal((3, 45)).astype(f32)
    m0 = np.array([-np.inf, 5.0, -np.inf], f32)  # the second row's init wins
    s0 = np.array([0.0, 1.0, -2.0], f32)
    (gm, gs), n = se.run(text, 'max_and_sum', [x, m0.copy(), s0.copy()])
    ok &= check('max_and_sum: max (3 rows of 45)', gm, np.maximum(m0, x.max(axis=1)), n)
    ok &= check('max_and_sum: sum', gs, s0 + x.astype(np.float64).sum(axis=1), n)

    # Fill, reduction and apply step in one kernel.
    x = rng.standard_normal((3, 3072)).astype(f32)
    w = rng.standard_normal(3072).astype(f32)
    x64 = x.astype(np.float64)
    ms = (x64 ** 2).sum(axis=1, keepdims=True) * np.float64(f32(3.25520833e-04))
    want = x64 / np.sqrt(ms + 1e-5) * w
    (got,), n = se.run(text, 'rms_norm', [x, w])
    ok &= check('rms_norm (3 rows of 3072, fill and apply fused)', got, want, n)

    x = rng.standard_normal((3, 45)).astype(f32)
    mx = x.max(axis=1, keepdims=True)
    want = np.exp(x.astype(np.float64) - mx) + np.arange(45)
    (got, gm), n = se.run(text, 'shifted_exp', [x])
    ok &= check('shifted_exp (3 rows of 45, -inf fill, index)', got, want, n)
    ok &= check('shifted_exp: broadcast max', gm, np.broadcast_to(mx, (3, 45)), n)

    x = rng.standard_normal((1, 3072)).astype(f32)
    w = rng.standard_normal(3072).astype(f32)
    x64 = x.astype(np.float64)
    ms = (x64 ** 2).sum(axis=1, keepdims=True) * np.float64(f32(3.25520833e-04))
    (got, filled), n = se.run(text, 'trailing_fill', [x, w])
    ok &= check('trailing_fill: norm (1 row of 3072)', got, x64 / np.sqrt(ms + 1e-5) * w, n)
    ok &= check('trailing_fill: the fill of 9216 by the same kernel', filled,
                np.full((1, 9216), 2.5), n)

    print('all ok' if ok else 'FAILED')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
