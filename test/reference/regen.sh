#!/usr/bin/env bash
# Regenerate every committed fixture under test/fixtures/ (and nothing else).
#
#   test/reference/regen.sh                    # self-test, then all tiny fixtures + goldens
#   test/reference/regen.sh --only tiny_text_fp32   # the fixture with a tokenizer and image files
#   test/reference/regen.sh --only tiny_fp32_single
#   test/reference/regen.sh --full-size /tmp/fullsize   # real-shape random bf16 checkpoint (~8.7 GB)
#
# Extra arguments are passed to make_fixtures.py. Set PYTHON to pick the interpreter.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
py="${PYTHON:-python3}"

# Install the pinned requirements only when an installed version differs.
if ! "$py" - "$here/requirements.txt" <<'PYEOF'
import sys
from importlib.metadata import version, PackageNotFoundError
bad = []
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if not line:
        continue
    name, want = line.split("==")
    try:
        have = version(name).split("+")[0]  # torch reports e.g. 2.15.0+cu132
    except PackageNotFoundError:
        have = None
    if have != want:
        bad.append(f"{name} {have} != {want}")
if bad:
    print("requirements mismatch:", "; ".join(bad), file=sys.stderr)
    sys.exit(1)
PYEOF
then
    "$py" -m pip install -r "$here/requirements.txt"
fi

# The text fixture (tiny_text_fp32) also needs the released-era stack,
# transformers 4.41.1 + sentencepiece + Pillow 10.4.0, in a virtual
# environment of its own (made once, reinstalled when a version differs).
venv="${XGENMM_REFERENCE_VENV:-$HOME/.cache/xgenmm/reference-venvs/released-4.41.1}"
if [ ! -x "$venv/bin/python" ]; then
    "$py" -m venv "$venv"
fi
if ! "$venv/bin/python" - "$here/requirements-text-fixture.txt" <<'PYEOF'
import sys
from importlib.metadata import version, PackageNotFoundError
bad = []
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if not line:
        continue
    name, want = line.split("==")
    try:
        have = version(name)
    except PackageNotFoundError:
        have = None
    if have != want:
        bad.append(f"{name} {have} != {want}")
if bad:
    print("released-era venv:", "; ".join(bad), file=sys.stderr)
    sys.exit(1)
PYEOF
then
    "$venv/bin/python" -m pip install -q -r "$here/requirements-text-fixture.txt"
fi
export XGENMM_REFERENCE_VENV_PYTHON="$venv/bin/python"

nice -n 10 "$py" "$here/selftest.py"
exec nice -n 10 "$py" "$here/make_fixtures.py" "$@"
