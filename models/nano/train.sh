#!/bin/sh
# Retrains xgenmm-nano bit-for-bit from its seeds and re-evaluates it:
#   models/nano/xgenmm-nano/   the checkpoint (released layout)
#   models/nano/train_log.json loss curve, times, versions, sha256 of every file
#   models/nano/eval_results.json, models/nano/eval/   accuracy and the committed eval set
# One CPU thread (torch.set_num_threads(1)); about 29 minutes of CPU time.
set -eu
cd "$(dirname "$0")/../.."
python3 -m pip install -q -r models/nano/requirements.txt 2>/dev/null || \
  echo "train.sh: could not install models/nano/requirements.txt; using what is installed" >&2
python3 models/nano/train.py "$@"
python3 models/nano/evaluate.py
