#!/usr/bin/env bash
# Start a private Docker engine for triloop's sandbox and build the sandbox image if it is missing.
#
# Why a private engine: CI machines and dev boxes have docker.io installed but no daemon running, and
# we must never touch the host firewall or disturb another engine. So this dockerd gets its own
# data-root, exec-root, unix socket and pidfile, and runs with no bridge, no iptables, no ip-forward
# (sandbox containers use network_mode=none anyway).
#
# Idempotent: if an engine already answers (on $DOCKER_HOST, on our socket, or on the default socket),
# no second dockerd is started. Usage:
#     sudo bash scripts/docker-up.sh            # then: export DOCKER_HOST=unix:///run/triloop-docker.sock
# Environment (all optional):
#     TRILOOP_DOCKER_SOCK   socket path            (default /run/triloop-docker.sock)
#     TRILOOP_DOCKER_ROOT   data-root              (default /var/lib/triloop-docker)
#     TRILOOP_SANDBOX_IMAGE image to build         (default triloop-sandbox:py3)
#     TRILOOP_SANDBOX_ML    1 = add numpy/pandas/scikit-learn to the image (default 1)
#     TRILOOP_SKIP_APT      1 = do not apt-get install missing tools
set -euo pipefail

SOCK="${TRILOOP_DOCKER_SOCK:-/run/triloop-docker.sock}"
DATA_ROOT="${TRILOOP_DOCKER_ROOT:-/var/lib/triloop-docker}"
EXEC_ROOT="${TRILOOP_DOCKER_EXEC_ROOT:-/run/triloop-docker}"
PIDFILE="${TRILOOP_DOCKER_PIDFILE:-/run/triloop-docker.pid}"
LOG="${TRILOOP_DOCKER_LOG:-/var/log/triloop-dockerd.log}"
IMAGE="${TRILOOP_SANDBOX_IMAGE:-triloop-sandbox:py3}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
        echo "docker-up: must run as root (or with passwordless sudo)" >&2; exit 1
    fi
fi

log() { echo "docker-up: $*" >&2; }

answers() {  # answers HOST -> 0 when an engine responds there
    timeout 10 docker -H "$1" version --format '{{.Server.Version}}' >/dev/null 2>&1
}

# 1. tools
missing=()
for pair in dockerd:docker.io debootstrap:debootstrap bwrap:bubblewrap; do
    command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "${TRILOOP_SKIP_APT:-0}" = 1 ]; then log "missing ${missing[*]} and TRILOOP_SKIP_APT=1"; exit 1; fi
    log "installing ${missing[*]} via apt"
    export DEBIAN_FRONTEND=noninteractive
    # Keep apt from starting the distro's dockerd service (it would program iptables): a temporary
    # policy-rc.d that denies service starts, removed again afterwards, only if none exists.
    POLICY=/usr/sbin/policy-rc.d
    if [ ! -e "$POLICY" ]; then
        printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null && $SUDO chmod +x "$POLICY"
        trap '$SUDO rm -f "$POLICY"' EXIT
    fi
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    if [ -n "$(trap -p EXIT)" ]; then $SUDO rm -f "$POLICY"; trap - EXIT; fi
fi

# 2. engine: reuse one that answers, else start ours
HOST=""
for candidate in "${DOCKER_HOST:-}" "unix://$SOCK" "unix:///var/run/docker.sock"; do
    [ -n "$candidate" ] || continue
    if answers "$candidate"; then HOST="$candidate"; log "engine already answers at $HOST"; break; fi
done
if [ -z "$HOST" ]; then
    if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
        log "dockerd (pid $(cat "$PIDFILE")) is running but not answering yet; waiting for it"
    else
        $SUDO rm -f "$PIDFILE"
        $SUDO mkdir -p "$DATA_ROOT" "$EXEC_ROOT" "$(dirname "$LOG")"
        log "starting dockerd on unix://$SOCK (log: $LOG)"
        # setsid + nohup: the engine outlives this script; its output goes to the log, not our pipes.
        $SUDO setsid nohup dockerd \
            --data-root="$DATA_ROOT" --exec-root="$EXEC_ROOT" \
            -H "unix://$SOCK" --pidfile="$PIDFILE" \
            --bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
            >>"$LOG" 2>&1 </dev/null &
    fi
    HOST="unix://$SOCK"
    for _ in $(seq 1 120); do
        answers "$HOST" && break
        sleep 0.5
    done
    if ! answers "$HOST"; then
        log "dockerd did not answer within 60 s; last log lines:"; tail -n 20 "$LOG" >&2 || true; exit 1
    fi
    log "engine answers at $HOST"
fi
export DOCKER_HOST="$HOST"

# 3. image
# Built when missing, or rebuilt when it is ours (org.triloop.sandbox label) from an older package
# list; an image of the user's own (no label) is used as it is.
WANT="$(cat "$HERE/sandbox-image.version")"
if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
    $SUDO env DOCKER_HOST="$HOST" bash "$HERE/build-sandbox-image.sh" "$IMAGE"
else
    HAVE="$(docker image inspect -f '{{ index .Config.Labels "org.triloop.sandbox" }}' "$IMAGE" 2>/dev/null || true)"
    if [ -n "$HAVE" ] && [ "$HAVE" != "<no value>" ] && [ "$HAVE" != "$WANT" ]; then
        log "image $IMAGE is version $HAVE, not $WANT: rebuilding"
        $SUDO env DOCKER_HOST="$HOST" bash "$HERE/build-sandbox-image.sh" "$IMAGE"
    else
        log "image $IMAGE present"
    fi
fi
echo "export DOCKER_HOST=$HOST"
