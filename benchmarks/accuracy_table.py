#!/usr/bin/env python3
"""Accuracy per precision on every end-to-end fixture, as a table (issue 9, item 4).

    python3 benchmarks/accuracy_table.py [--build build] [--markdown]

Runs build/bin/xgenmm-e2e-tests' TeacherForcedLogitsStayWithinTheBound cases (the artifacts
that ctest's e2e/compile tests build under build/e2e-artifacts must exist: run ctest once, or
`ctest -R e2e/compile`), and collects their `[accuracy]` lines: per fixture and precision, the
largest logit error against the unquantized Hugging Face reference over the prompt's last
position and 32 teacher-forced greedy steps (max |x - ref| / max |ref| per step), and how many
of the 32 greedy choices equal the reference's. Each case also asserts its bound there, so the
figures printed are the ones the test suite checks. Not part of the tests.
"""
import argparse
import os
import re
import subprocess
import sys

LINE = re.compile(r"^\[accuracy\] (\S+) (\S+) max_logit_error (\S+) greedy_agreement (\d+)/(\d+)$")

# What each case's artifact is compiled with (test/e2e/CMakeLists.txt).
FLAGS = {
    "f32": "--dtype f32",
    "bf16": "--dtype bf16 (bf16 KV cache)",
    "bf16kvf32": "--dtype bf16 --kv-cache f32",
    "bf16dot": "--dtype bf16 --matmul-precision bf16",
    "chunk5": "--dtype f32 --prefill-chunk 5",
    "int8kv": "--dtype f32 --kv-cache int8",
    "int8": "--weights language=int8,head=int8 --group-size 8",
    "int4": "--weights language=int4,head=int8 --group-size 8",
    "int8sim": "int8 rounding stored as f32",
    "int4sim": "int4 rounding stored as f32",
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--markdown", action="store_true", help="print a markdown table")
    args = ap.parse_args()
    exe = os.path.join(args.build, "bin", "xgenmm-e2e-tests")
    if not os.path.exists(exe):
        sys.exit(f"accuracy_table.py: {exe} not found (build first: scripts/build.sh)")
    run = subprocess.run([exe, "--gtest_filter=*TeacherForcedLogitsStayWithinTheBound*"],
                         capture_output=True, text=True)
    rows = [m.groups() for m in map(LINE.match, run.stdout.splitlines()) if m]
    if run.returncode != 0 or not rows:
        sys.stdout.write(run.stdout[-4000:])
        sys.stderr.write(run.stderr[-2000:])
        sys.exit(f"accuracy_table.py: {exe} failed (exit {run.returncode}); "
                 "are the e2e artifacts built (ctest -R e2e/compile)?")
    if args.markdown:
        print("| fixture | precision | compiled with | max logit error | greedy agreement |")
        print("|---|---|---|---|---|")
        for fixture, dtype, err, agree, total in rows:
            print(f"| {fixture} | {dtype} | `{FLAGS.get(dtype, '?')}` | {float(err):.2e} "
                  f"| {agree}/{total} |")
    else:
        for fixture, dtype, err, agree, total in rows:
            print(f"{fixture:24} {dtype:10} max logit error {float(err):.2e}  "
                  f"greedy agreement {agree}/{total}")


if __name__ == "__main__":
    main()
