#!/usr/bin/env python3
"""Kernel launches per call of each entry point of a GPU-pipeline module
printed right after xgenmm-gpu-map-loops (generic or pretty form): every
gpu.launch counted once per iteration of the host loops around it (scf.for
with constant bounds, e.g. the layer stacks; a loop with other bounds
counts once).

usage: count_launches.py IR [FUNC=MAX ...]
Prints `FUNC: N launches (kind=n ...)` per entry point, then fails if a
function's count exceeds its MAX (the launch budget a test sets)."""
import collections
import re
import sys


def count(path):
    consts = {}
    func = None
    depth = 0
    loops = []  # (depth at which the loop's body closes, trip count)
    launch = None  # (depth, multiplier) while inside a gpu.launch
    totals = collections.Counter()
    kinds = collections.Counter()
    for line in open(path):
        m = re.search(r'func\.func @(\w+)', line)
        if m:
            func = m.group(1)
        m = re.match(r'\s*(%[\w]+) = arith\.constant (-?\d+) : index', line)
        if m:
            consts[m.group(1)] = int(m.group(2))
        if launch is None:
            if 'gpu.launch ' in line or 'gpu.launch"' in line:
                mult = 1
                for _, trips in loops:
                    mult *= trips
                launch = (depth, mult)
            else:
                m = re.search(r'scf\.for %\w+ = (%\w+) to (%\w+) step (%\w+) ', line)
                if m and line.rstrip().endswith('{'):
                    lo, hi, step = (consts.get(v) for v in m.groups())
                    trips = 1
                    if None not in (lo, hi, step) and step > 0:
                        trips = max(0, (hi - lo + step - 1) // step)
                    loops.append((depth, trips))
        depth += line.count('{') - line.count('}')
        if launch is not None and depth <= launch[0] and 'xgenmm.kernel' in line:
            kind = re.search(r'xgenmm\.kernel = "(\w+)"', line).group(1)
            totals[func] += launch[1]
            kinds[(func, kind)] += launch[1]
            launch = None
        while loops and depth <= loops[-1][0]:
            loops.pop()
    return totals, kinds


def main():
    totals, kinds = count(sys.argv[1])
    ok = True
    budgets = dict(a.split('=') for a in sys.argv[2:])
    for func in sorted(totals):
        detail = ' '.join(f'{k}={n}' for (f, k), n in sorted(kinds.items()) if f == func)
        line = f'{func}: {totals[func]} launches ({detail})'
        if func in budgets:
            within = totals[func] <= int(budgets[func])
            ok &= within
            line += f', budget {budgets[func]}: {"ok" if within else "OVER"}'
        print(line)
    missing = set(budgets) - set(totals)
    if missing:
        print('no launches found for', ' '.join(sorted(missing)))
        ok = False
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
