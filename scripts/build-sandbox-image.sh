#!/usr/bin/env bash
# Build the sandbox image (default triloop-sandbox:py3) without Docker Hub: a Debian rootfs from
# `debootstrap --variant=minbase` + python3 and pytest (+ numpy/pandas/scikit-learn from Debian packages
# unless TRILOOP_SANDBOX_ML=0), loaded with `docker import`. The mirror and suite are the ones apt uses on this
# machine, so it works wherever apt works. The rootfs tarball is cached (TRILOOP_CACHE_DIR) so a
# rebuild of the image (e.g. after docker-down --purge) takes seconds.
# Usage: bash scripts/build-sandbox-image.sh [IMAGE]   (needs root and a running engine / DOCKER_HOST)
set -euo pipefail
IMAGE="${1:-${TRILOOP_SANDBOX_IMAGE:-triloop-sandbox:py3}}"
ML="${TRILOOP_SANDBOX_ML:-1}"
CACHE="${TRILOOP_CACHE_DIR:-/var/cache/triloop}"
log() { echo "build-sandbox-image: $*" >&2; }

# Suite: this machine's release codename. Mirror: the first Debian (non-security) URI apt uses.
. /etc/os-release
SUITE="${TRILOOP_DEBIAN_SUITE:-${VERSION_CODENAME:-bookworm}}"
MIRROR="${TRILOOP_DEBIAN_MIRROR:-}"
if [ -z "$MIRROR" ]; then
    MIRROR="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | grep -v '^[[:space:]]*#' | grep -Eo '(https?|file)://[^ ]+' | grep -v -e security -e updates | grep -i -m1 debian || true)"
fi
MIRROR="${MIRROR:-http://deb.debian.org/debian}"

# What the image holds; docker-up.sh rebuilds an image whose org.triloop.sandbox label differs.
VERSION="$(cat "$(dirname "${BASH_SOURCE[0]}")/sandbox-image.version")"
PKGS="python3,python3-pytest"
[ "$ML" = 1 ] && PKGS="$PKGS,python3-numpy,python3-pandas,python3-sklearn"
KEY="$(echo "$SUITE $MIRROR $PKGS" | sha256sum | cut -c1-12)"
TARBALL="$CACHE/sandbox-rootfs-$SUITE-$KEY.tar"
mkdir -p "$CACHE/debs"

if [ ! -s "$TARBALL" ]; then
    ROOT="$(mktemp -d /var/tmp/triloop-rootfs.XXXXXX)"
    trap 'rm -rf "$ROOT"' EXIT
    log "debootstrap $SUITE from $MIRROR with $PKGS (this takes a few minutes)"
    debootstrap --variant=minbase --include="$PKGS" --cache-dir="$CACHE/debs" \
        "$SUITE" "$ROOT" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
        || { tail -n 30 "$CACHE/debootstrap.log" >&2; exit 1; }
    # Slim it down: no apt state, docs or caches are needed to run python.
    rm -rf "$ROOT"/var/cache/apt/* "$ROOT"/var/lib/apt/lists/* "$ROOT"/usr/share/doc/* \
        "$ROOT"/usr/share/man/* "$ROOT"/usr/share/info/* "$ROOT"/var/log/*
    # A world-writable (sticky) mount point for the task workspace.
    mkdir -p "$ROOT/workspace" && chmod 1777 "$ROOT/workspace"
    tar -C "$ROOT" --numeric-owner -cf "$TARBALL.tmp" . && mv "$TARBALL.tmp" "$TARBALL"
    rm -rf "$ROOT"; trap - EXIT
else
    log "using cached rootfs $TARBALL"
fi

log "docker import -> $IMAGE"
docker import \
    --change 'USER 65534:65534' \
    --change 'WORKDIR /workspace' \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PYTHONDONTWRITEBYTECODE=1' \
    --change "LABEL org.triloop.sandbox=$VERSION" \
    --change 'CMD ["python3"]' \
    "$TARBALL" "$IMAGE" >/dev/null
docker run --rm --network none "$IMAGE" python3 -c 'import sys; print("image ok: python", sys.version.split()[0])' >&2
