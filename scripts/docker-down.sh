#!/usr/bin/env bash
# Stop the private Docker engine started by scripts/docker-up.sh (and only that one: found by its
# pidfile). Sandbox containers are labelled triloop.sandbox=1 and removed first so none are orphaned.
# Data (images, the rootfs cache) is kept; pass --purge to also delete the engine's data-root.
set -euo pipefail
SOCK="${TRILOOP_DOCKER_SOCK:-/run/triloop-docker.sock}"
DATA_ROOT="${TRILOOP_DOCKER_ROOT:-/var/lib/triloop-docker}"
EXEC_ROOT="${TRILOOP_DOCKER_EXEC_ROOT:-/run/triloop-docker}"
PIDFILE="${TRILOOP_DOCKER_PIDFILE:-/run/triloop-docker.pid}"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo -n"

if [ ! -f "$PIDFILE" ] || ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    echo "docker-down: no triloop dockerd running (pidfile $PIDFILE)" >&2
else
    ids="$(timeout 20 docker -H "unix://$SOCK" ps -aq --filter label=triloop.sandbox=1 2>/dev/null || true)"
    [ -z "$ids" ] || timeout 60 docker -H "unix://$SOCK" rm -f $ids >/dev/null 2>&1 || true
    pid="$(cat "$PIDFILE")"
    $SUDO kill -TERM "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then echo "docker-down: dockerd $pid ignored SIGTERM; sending SIGKILL" >&2; $SUDO kill -KILL "$pid"; fi
    echo "docker-down: stopped dockerd $pid" >&2
fi
if [ "${1:-}" = "--purge" ]; then
    $SUDO rm -rf "$DATA_ROOT" "$EXEC_ROOT"
    echo "docker-down: purged $DATA_ROOT" >&2
fi
