#!/usr/bin/env bash
# Make the offline root image the sandcastle Dockerfiles build FROM.
#
# Usage: scripts/bootstrap-base-image.sh [NAME]    (default NAME: sandcastle/bootstrap:bookworm)
#        scripts/bootstrap-base-image.sh --tar FILE   (write the rootfs tarball only; `sandcastle
#                                                      images build` uses this and imports it
#                                                      through the Engine API itself)
#
# No container registry is reachable from our machines, so `FROM debian:bookworm-slim`
# can't be pulled. Instead: debootstrap a minimal Debian bookworm from the Debian
# mirror into a temporary directory and `docker import` it as NAME. If NAME already
# exists in the engine, nothing is done (idempotent). Needs root (debootstrap) and a
# running Docker engine. Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian),
# SUITE (default bookworm).
set -euo pipefail

TAR_OUT=""
if [ "${1:-}" = "--tar" ]; then
    TAR_OUT="${2:?--tar needs an output file}"
    NAME=""
else
    NAME="${1:-sandcastle/bootstrap:bookworm}"
fi
SUITE="${SUITE:-bookworm}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

log() { printf 'bootstrap-base-image: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [ -z "$TAR_OUT" ]; then
    command -v docker >/dev/null 2>&1 || die "the docker CLI is not installed"
    docker version --format '{{.Server.Version}}' >/dev/null 2>&1 \
        || die "cannot reach the Docker engine (is dockerd running and /var/run/docker.sock readable?)"

    if docker image inspect "$NAME" >/dev/null 2>&1; then
        log "$NAME already exists ($(docker image inspect --format '{{.Id}}' "$NAME" | cut -c1-19)); nothing to do"
        exit 0
    fi
fi

[ "$(id -u)" -eq 0 ] || die "debootstrap needs root; run this script as root"

if ! command -v debootstrap >/dev/null 2>&1; then
    log "installing debootstrap with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

# Under /var/tmp rather than /tmp: /tmp may be a small tmpfs or mounted nodev, and
# debootstrap needs room and device nodes.
WORK="$(mktemp -d /var/tmp/sandcastle-bootstrap.XXXXXX)"
ROOTFS="$WORK/rootfs"
cleanup() {
    # A failed debootstrap can leave /proc or /sys mounted inside the target.
    for m in "$ROOTFS/proc" "$ROOTFS/sys"; do
        if mountpoint -q "$m" 2>/dev/null; then umount -l "$m" || true; fi
    done
    rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT

started=$SECONDS
log "debootstrap --variant=minbase $SUITE from $MIRROR (about a minute)"
if ! debootstrap --variant=minbase "$SUITE" "$ROOTFS" "$MIRROR" >"$WORK/debootstrap.log" 2>&1; then
    tail -n 20 "$WORK/debootstrap.log" >&2
    die "debootstrap failed (last lines of its log above)"
fi

# The apt lists and caches debootstrap leaves behind are tens of MB the images don't
# need: every Dockerfile runs apt-get update before installing anyway.
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin "$ROOTFS"/var/cache/apt/archives/*.deb

if [ -n "$TAR_OUT" ]; then
    tar --numeric-owner -C "$ROOTFS" -cf "$TAR_OUT" .
    log "rootfs written to $TAR_OUT in $((SECONDS - started))s"
    exit 0
fi

log "importing as $NAME"
tar --numeric-owner -C "$ROOTFS" -c . \
    | docker import \
        --change 'LABEL sandcastle.managed=true' \
        --change 'LABEL org.opencontainers.image.title=sandcastle/bootstrap' \
        --change 'CMD ["/bin/bash"]' \
        --message "debootstrap --variant=minbase $SUITE $MIRROR" \
        - "$NAME" >/dev/null

log "done: $NAME ($(docker image inspect --format '{{.Size}}' "$NAME" | awk '{printf "%.0f MB", $1/1e6}')) in $((SECONDS - started))s"
