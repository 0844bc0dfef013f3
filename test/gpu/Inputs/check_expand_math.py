"""Checks the output of xgenmm-gpu-expand-math.mlir's execution: each line
the function's values (MLIR's polynomial approximations, f32) on the inputs
below, against double-precision math on the same f32 inputs."""
import math
import re
import struct
import sys


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def erf(x):
    return math.erf(x)


CASES = [
    # name, function, inputs, relative tolerance, absolute tolerance
    ("exp", math.exp, [-20.0, -1.0, -0.5, 0.0, 0.3, 1.0, 5.0, 20.0], 2e-6, 0),
    ("tanh", math.tanh, [-10.0, -1.0, -0.1, 0.0, 0.01, 0.5, 3.0, 10.0], 2e-6, 1e-7),
    ("erf", erf, [-3.0, -1.0, -0.2, 0.0, 0.1, 0.7, 2.0, 4.0], 2e-6, 1e-7),
    # Up to the arguments of RoPE at the context length.
    ("cos", math.cos, [0.0, 0.5, 1.0, 3.14159274, 10.0, 100.0, 1000.0, 4095.5], 0, 2e-6),
    ("sin", math.sin, [0.0, 0.5, 1.0, 3.14159274, 10.0, 100.0, 1000.0, 4095.5], 0, 2e-6),
    ("pow", lambda y: 10000.0 ** y,
     [0.0, 0.0208333, 0.125, 0.333333, 0.5, 0.75, 0.9375, 0.979167], 1e-5, 0),
    ("rsqrt", lambda x: 1 / math.sqrt(x),
     [1.0e-6, 1.0e-3, 0.5, 1.0, 2.0, 3.0, 100.0, 10000.0], 2e-6, 0),
    ("log", math.log, [1.0e-6, 1.0e-3, 0.5, 1.0, 2.0, 3.0, 100.0, 10000.0], 2e-6, 1e-7),
]

lines = [l for l in open(sys.argv[1]).read().splitlines() if l.strip()]
if len(lines) != len(CASES) + 1:
    sys.exit(f"expected {len(CASES) + 1} lines of output, got {len(lines)}:\n" + "\n".join(lines))
failed = 0
for (name, fn, inputs, rtol, atol), line in zip(CASES, lines):
    values = [float(v) for v in re.findall(r"[-+0-9.eEinfa]+", line)]
    if len(values) != len(inputs):
        sys.exit(f"{name}: expected {len(inputs)} values, got '{line}'")
    for x, got in zip(inputs, values):
        want = fn(f32(x))
        # The printed values have 6 significant digits.
        tol = atol + rtol * abs(want) + 5e-6 * abs(want)
        ok = abs(got - want) <= tol
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}({x}) = {got} (double: {want:.7g}, tolerance {tol:.2g})")
scalar = float(lines[-1])
if abs(scalar - 0.5) > 1e-6:
    failed += 1
    print(f"FAIL scalar rsqrt(4) = {scalar}")
sys.exit(1 if failed else 0)
