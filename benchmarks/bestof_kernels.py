#!/usr/bin/env python3
"""Best-of-N kernel comparison of several xgenmm-bench-matmul binaries.

On a small, shared machine one run of a kernel benchmark swings by 10-20%
(other tenants, memory bandwidth). To compare schedule variants, build each
variant's `xgenmm-bench-matmul`, copy it aside, and run them alternately:
every round runs every binary once (`--benchmark_min_time=0.5`); per
benchmark and binary the best GFLOP/s over the rounds and the median are
printed, the best as a fraction of the highest fp32 FMA peak any run
measured at its start (MachineLimits). bf16 products come out above 1 (the
AVX512-BF16 dot peak is about twice the fp32 one).

    python3 benchmarks/bestof_kernels.py --rounds 4 --filter 'mm_f32.*M:(729|1024)' \\
        /tmp/bench-before /tmp/bench-after
"""
import argparse
import collections
import re
import subprocess


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--filter", default="mm_f32", help="--benchmark_filter regex")
    ap.add_argument("binaries", nargs="+")
    args = ap.parse_args()

    values = collections.defaultdict(list)
    peak = 0.0
    for _ in range(args.rounds):
        for binary in args.binaries:
            out = subprocess.run(
                [binary, f"--benchmark_filter={args.filter}", "--benchmark_min_time=0.5"],
                capture_output=True, text=True, check=True).stdout
            m = re.search(r"fp32 FMA peak: ([\d.]+)", out)
            if m:
                peak = max(peak, float(m.group(1)))
            for line in out.splitlines():
                m = re.match(r"(BM_\S+)\s.*GFLOPs=([\d.]+)", line)
                if m:
                    values[(m.group(1), binary)].append(float(m.group(2)))
    print(f"highest fp32 FMA peak measured: {peak:.1f} GFLOP/s; {args.rounds} rounds")
    for (bench, binary), vals in sorted(values.items()):
        vals.sort()
        best = vals[-1]
        print(f"{bench:34s} {binary:28s} best {best:7.1f} GFLOP/s ({best / peak:.3f} of peak)"
              f"  median {vals[len(vals) // 2]:7.1f}")


if __name__ == "__main__":
    main()
