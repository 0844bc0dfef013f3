#!/usr/bin/env python3
"""Runs dense-layer kernels of xgenmm-gpu-mma-matmul (tensor-core tiles,
matrix-vector) in the SIMT emulator and compares them with the layer in
float64 on the same inputs (a rounded to bf16 for the tensor-core kernel,
which rounds it; w in its storage type).

  check_dense_kernels.py <generic-form module> NAME:M:K:N [NAME:M:K:N ...]

Each NAME is a function (a [M, K] f32, w [K, N], c [M, N] f32) -> c + a w;
NAME:M:K:N:COLS:COL0 one whose a is [M, COLS] and that takes the K columns
from COL0 on (a view at an offset); the NAME `epilogue` is (a, w, res [M, N],
bias [N]) -> tanh(res + bias + a w) (init and epilogue in the kernel).
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simt_emulator as se  # noqa: E402


def main():
    text = open(sys.argv[1]).read()
    rng = np.random.default_rng(3)
    ok = True
    for spec in sys.argv[2:]:
        name, *dims = spec.split(':')
        m, k, n = (int(x) for x in dims[:3])
        cols, col0 = (int(dims[3]), int(dims[4])) if len(dims) > 3 else (k, 0)
        a_full = rng.standard_normal((m, cols)).astype(np.float32)
        w = rng.standard_normal((k, n)).astype(np.float32)
        c = rng.standard_normal((m, n)).astype(np.float32)
        c0 = c.copy()
        if name == 'epilogue':
            bias = rng.standard_normal(n).astype(np.float32)
            (out,), launches = se.run(text, name, [a_full, w, c, bias])
            c0 = c0.astype(np.float64) + bias
        else:
            (out,), launches = se.run(text, name, [a_full, w, c])  # w rounded if bf16
        a = a_full[:, col0:col0 + k]
        # Tensor cores take bf16 activations and weights.
        a_used, w_used = (se.bf16(a), se.bf16(w)) if m > 1 else (a, w)
        want = a_used.astype(np.float64) @ w_used.astype(np.float64) + c0
        if name == 'epilogue':
            want = np.tanh(want)
        err = np.abs(out - want).max()
        # f32 accumulation over K terms.
        tol = 1e-6 * k * max(np.abs(want).max(), 1.0)
        good = launches == 1 and np.isfinite(out).all() and err <= tol
        print(f'{name} ({m} x {k} x {n}): max |error| {err:.3g}, bound {tol:.3g}: '
              f'{"ok" if good else "FAIL"}')
        ok &= good
    print('all ok' if ok else 'FAILED')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
