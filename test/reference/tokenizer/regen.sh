#!/usr/bin/env bash
# Regenerates the tokenizer reference: model/ (a trained stand-in for Phi-3's
# tokenizer.model plus the xGen-MM tokenizer files) and goldens.json (what the
# Hugging Face slow LlamaTokenizer makes of the test corpus). Bit-identical on
# every run with the pinned versions.
#
#   test/reference/tokenizer/regen.sh                  # model (~3 min, 1 core) + goldens
#   test/reference/tokenizer/regen.sh --goldens-only   # keep model/, rewrite goldens.json
#   test/reference/tokenizer/regen.sh --compare-transformers5
#                                                      # also rewrite transformers5.json
#
# The scripts run in virtual environments with requirements.txt (and
# requirements-transformers5.txt), made once under $XGENMM_TOKENIZER_VENVS
# (default ~/.cache/xgenmm/tokenizer-venvs). Set PYTHON to pick the
# interpreter the environments are made from (Python 3.11 was used).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venvs="${XGENMM_TOKENIZER_VENVS:-$HOME/.cache/xgenmm/tokenizer-venvs}"
py="${PYTHON:-python3}"

goldens_only=0
compare5=0
for arg in "$@"; do
  case "$arg" in
    --goldens-only) goldens_only=1 ;;
    --compare-transformers5) compare5=1 ;;
    *) echo "regen.sh: unknown argument '$arg'" >&2; exit 2 ;;
  esac
done

# venv <name> <requirements file>: prints the environment's python, creating
# the environment or reinstalling when an installed version differs.
venv() {
  local dir="$venvs/$1" req="$2"
  if [ ! -x "$dir/bin/python" ]; then
    "$py" -m venv "$dir" >&2
  fi
  if ! "$dir/bin/python" - "$req" <<'PYEOF'
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
    print("regen.sh: installing:", "; ".join(bad), file=sys.stderr)
    sys.exit(1)
PYEOF
  then
    "$dir/bin/python" -m pip install -q -r "$req" >&2
  fi
  echo "$dir/bin/python"
}

py41="$(venv transformers-4.41.1 "$here/requirements.txt")"
if [ "$goldens_only" = 0 ]; then
  nice -n 10 "$py41" "$here/make_tokenizer.py" --out "$here/model"
fi
"$py41" "$here/make_goldens.py" --model "$here/model" --out "$here/goldens.json"
if [ "$compare5" = 1 ]; then
  py5="$(venv transformers-5.24.0 "$here/requirements-transformers5.txt")"
  "$py5" "$here/compare_transformers5.py" --model "$here/model" \
    --goldens "$here/goldens.json" --out "$here/transformers5.json"
fi
