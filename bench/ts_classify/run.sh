#!/usr/bin/env bash
# Series classification benchmark: Elman against the same model in PyTorch and 1-NN DTW (aeon).
#   bench/ts_classify/run.sh [--quick]      (extra arguments go to ts_classify.py)
# VENV (default /tmp/venv-tsbench) is made with aeon and torch when it lacks them; ELMAN (default
# .build/release/elman) is built when absent. The full run writes bench/results/ts-classify-DATE.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${VENV:-/tmp/venv-tsbench}
ELMAN=${ELMAN:-.build/release/elman}
if ! "$VENV/bin/python" -c "import aeon, torch" 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet aeon torch
fi
if [ ! -x "$ELMAN" ]; then
    nice swift build -c release --product elman
fi
out=()
case " $* " in *" --quick "*) ;; *) out=(--out "bench/results/ts-classify-$(date -u +%Y-%m-%d).md") ;; esac
ELMAN="$ELMAN" nice "$VENV/bin/python" -u bench/ts_classify/ts_classify.py "${out[@]}" "$@"
