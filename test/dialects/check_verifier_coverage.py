#!/usr/bin/env python3
"""Fails if a diagnostic of the dialect's C++ verifiers has no test.

Every string literal that starts a diagnostic in dialects/*.cpp
(emitOpError("..."), emitError() << "...", emitOpError() << x << "...")
must occur in an expected-error of test/dialects/invalid.mlir.
"""
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parents[2]
tests = (root / "test/dialects/invalid.mlir").read_text()
expected = " ".join(re.findall(r"expected-error[^{]*\{\{(.*?)\}\}", tests))

missing = []
for src in sorted((root / "dialects").glob("*.cpp")):
    text = src.read_text()
    # A diagnostic call, then everything up to the end of its statement.
    for m in re.finditer(r"(emitOpError|emitError)\s*\((.*?);", text, re.S):
        literals = re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(2))
        # The first literal with letters is the message's fixed head; pieces
        # around streamed values are checked one by one.
        for lit in literals:
            piece = lit.strip(" '")
            if len(piece) < 4 or not re.search(r"[a-z]", piece):
                continue
            if piece not in expected:
                line = text.count("\n", 0, m.start()) + 1
                missing.append(f"{src.relative_to(root)}:{line}: {piece!r}")

if missing:
    print("diagnostics without a test in test/dialects/invalid.mlir:")
    print("\n".join(missing))
    sys.exit(1)
print("every verifier diagnostic is tested")
