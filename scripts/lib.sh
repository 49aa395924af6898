# Shared helpers for the setup, demo, test and bench scripts. Sourced, not run.
# Everything here is idempotent: on a machine that already has it all, it only checks.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$PATH:/opt/swift/usr/bin"
DOCKER_SOCKET="${DOCKER_SOCKET:-/var/run/docker.sock}"
DOCKERD_LOG="${DOCKERD_LOG:-/var/log/sandcastle-dockerd.log}"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Runs a build quietly; on failure shows the end of its log, where the errors are.
quiet_build() {
    local output
    output=$(mktemp)
    if ! "$@" >"$output" 2>&1; then
        tail -n 80 "$output" >&2
        rm -f "$output"
        die "build failed: $*"
    fi
    tail -n 1 "$output"
    rm -f "$output"
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs the named Debian packages that are not installed yet (nothing when all are); fails
# naming them when apt cannot.
ensure_debian_packages() {
    local missing=()
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        log "installing ${missing[*]}"
        as_root apt-get update -qq || die "apt-get update failed (needed to install ${missing[*]})"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
            || die "apt-get install ${missing[*]} failed"
    fi
}

# System packages a fresh Debian bookworm machine lacks. ripgrep: the agent tests copy the host's
# rg into a sandbox to run Glob and Grep on their ripgrep path (the sandbox images lack it).
# libre2-dev: the Guardrails module's linear-time regexes (Sources/CRE2 links libre2).
ensure_packages() {
    ensure_debian_packages libcurl4-openssl-dev libseccomp-dev libsqlite3-dev libre2-dev docker.io debootstrap iptables ca-certificates ripgrep
    command -v swift >/dev/null || die "swift is not on PATH (expected /opt/swift/usr/bin)"
}

# What the dashboard's browser tests need besides the server (scripts/test-browser): Debian's
# Chromium, driven headless, and the packages scripts/ui-assets bundles xterm.js from.
BROWSER_TEST_PACKAGES=(chromium node-xterm esbuild)

engine_answers() {
    curl -fsS --max-time 3 --unix-socket "$DOCKER_SOCKET" http://localhost/_ping >/dev/null 2>&1
}

# Starts dockerd in the background when no engine answers on the socket.
ensure_docker() {
    if engine_answers; then return; fi
    log "no Docker engine answers on $DOCKER_SOCKET; starting dockerd (log: $DOCKERD_LOG)"
    as_root sh -c "nohup dockerd >>'$DOCKERD_LOG' 2>&1 &"
    for _ in $(seq 1 60); do
        engine_answers && return
        sleep 1
    done
    tail -n 20 "$DOCKERD_LOG" >&2 || true
    die "dockerd did not answer on $DOCKER_SOCKET within 60 s"
}

# The runner is a static binary (no Swift runtime needed in the images).
build_runner() {
    log "building the runner (release, static Swift stdlib)"
    (cd "$ROOT" && quiet_build swift build -c release --static-swift-stdlib -Xlinker --strip-all --product sandcastle-runner)
    export SANDCASTLE_RUNNER="$ROOT/.build/release/sandcastle-runner"
}

build_cli() {
    log "building the sandcastle CLI (release)"
    (cd "$ROOT" && quiet_build swift build -c release --product sandcastle)
    SANDCASTLE="$ROOT/.build/release/sandcastle"
}

build_images() {
    log "building sandbox images (skipped when their content is unchanged)"
    "$SANDCASTLE" images build --runner "$SANDCASTLE_RUNNER"
}

# A Python >= 3.12 (what sandcastle-ai 0.47 needs), or nothing: the first of python3.12,
# python3.13, python3 and pyenv's 3.12+ that is new enough and has venv.
python_312() {
    local candidate resolved
    local candidates=(python3.12 python3.13 python3)
    for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3; do candidates+=("$candidate"); done
    for candidate in "${candidates[@]}"; do
        resolved=$(command -v "$candidate" 2>/dev/null) || continue
        # pyenv's shims exist for versions that are not active and fail when run: ask each one.
        if "$resolved" -c 'import sys, venv; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then
            echo "$resolved"
            return 0
        fi
    done
    return 1
}
