# Shared by tests/run and bench/run: the real components, the virtualenvs, dockerd.
# Source it with REPO set to the repository root; it defines functions and a few variables.
# shellcheck shell=bash

# dockerd, iptables and firewalld live in sbin, which a CI runner's PATH may lack.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
CACHE="$REPO/.cache"                       # git-ignored: arm64 busybox, dockerd and pip logs

log() { printf '[%s %s] %s\n' "${LOG_NAME:-hostcheck}" "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- system packages
# docker-registry: a real registry on loopback for the image tree's registry path.
# chromium: renders the fleet HTML page headless for its screenshot test.
APT_PACKAGES=(docker.io docker-registry busybox-static qemu-user-static binfmt-support firewalld dbus
              iptables iproute2 chromium)
# shellcheck: the generated --fix-script is linted by the tests (Debian 12: 0.9.0).
APT_PACKAGES+=(shellcheck)
# docker-compose: v1 (1.29.2, Debian 12 has no v2 plugin), the `config` and `up` oracle of preflight.
APT_PACKAGES+=(docker-compose)
# packaging/build-rpm and build-deb: rpmbuild (Debian's rpm), dpkg-buildpackage with debhelper.
APT_PACKAGES+=(rpm dpkg-dev debhelper)
# The packages' own linters (Debian 12: rpmlint 2.4.0, lintian 2.116.3); gnupg signs the
# RPM rpmlint checks; pipx: the README's install line with Debian's own python3 (PEP 668).
APT_PACKAGES+=(rpmlint lintian gnupg pipx)
# `hostcheck completion zsh|fish` is sourced in the real shells.
APT_PACKAGES+=(zsh fish)
# tmux: the text views on a real 80-column terminal (tests/test_terminal_80.py).
APT_PACKAGES+=(tmux)
# strace: the proofs that capture and check write nothing but their output
# (tests/integration/test_proofs_strace.py).
APT_PACKAGES+=(strace)
# Other engineers' tools (and apt's own timers) may hold the dpkg lock: wait, don't fail.
APT=(apt-get -q -y -o DPkg::Lock::Timeout=600 -o APT::Sandbox::User=root)

# Three tries with a pause: a mirror's hiccup should not fail a CI run.
retry() {
    local attempt
    for attempt in 1 2 3; do
        "$@" && return 0
        ((attempt < 3)) && { log "retrying in 10 s: $*"; sleep 10; }
    done
    return 1
}

# apt-get install PKG... unless all are installed already (then no apt call at all).
install_system_packages() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' \
            || missing+=("$pkg")
    done
    if ((${#missing[@]} == 0)); then
        return 0
    fi
    log "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # A mirror caught mid-sync fails one index ("File has unexpected size") and apt-get
    # update exits 100 although the rest is fresh: go on, the install says if it matters.
    mkdir -p "$CACHE"
    "${APT[@]}" update >"$CACHE/apt-update.log" 2>&1 ||
        log "apt-get update partly failed ($CACHE/apt-update.log): installing with the indexes it got"
    # --no-install-recommends: docker.io recommends would pull in git, xz, apparmor, ...
    retry "${APT[@]}" install --no-install-recommends "${missing[@]}" >/dev/null
}

# Static busybox binaries of foreign architectures (Debian names: arm64, i386), for images
# of those platforms built without a registry. A private apt state directory fetches them
# without `dpkg --add-architecture` (the host's apt stays as it was).
# Result: $CACHE/busybox-ARCH/bin/busybox
fetch_foreign_busybox() {
    local arch=$1 target="$CACHE/busybox-$1/bin/busybox"
    [[ -x $target ]] && return 0
    local apt_dir="$CACHE/apt-$arch"
    local opts=(-o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
                -o "APT::Architecture=$arch" -o "APT::Architectures::=$arch")
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
    log "fetching busybox-static:$arch"
    download() {
        "${APT[@]}" "${opts[@]}" update >"$CACHE/apt-update-$arch.log" 2>&1 ||
            log "apt-get update ($arch) partly failed ($CACHE/apt-update-$arch.log): downloading with the indexes it got"
        (cd "$apt_dir" && rm -f ./*.deb && "${APT[@]}" "${opts[@]}" download "busybox-static:$arch" >/dev/null)
    }
    retry download
    rm -rf "$CACHE/busybox-$arch.tmp"
    dpkg-deb -x "$apt_dir"/busybox-static_*_"$arch".deb "$CACHE/busybox-$arch.tmp"
    mkdir -p "$(dirname "$target")"
    mv "$CACHE/busybox-$arch.tmp/bin/busybox" "$target"
    rm -rf "$CACHE/busybox-$arch.tmp" "$apt_dir"
}

# ---------------------------------------------------------------- Python environments
pyenv_root() {
    if [[ -n ${PYENV_ROOT:-} ]]; then echo "$PYENV_ROOT"
    elif command -v pyenv >/dev/null; then pyenv root
    else echo "${HOME:-/root}/.pyenv"; fi
}

# The newest pyenv interpreter of a minor version, e.g. 3.9 -> .../versions/3.9.18/bin/python3
find_python() {
    local minor=$1 candidate found=""
    for candidate in "$(pyenv_root)"/versions/"$minor".*/bin/python3; do
        [[ -x $candidate ]] && found=$candidate
    done
    [[ -n $found ]] || die "no Python $minor under $(pyenv_root)/versions (pyenv install $minor)"
    echo "$found"
}

# .venv-X.Y with the project installed editable. Made once per interpreter; pip runs again
# only when pyproject.toml changed (in place: a failed install keeps the old environment).
prepare_venv() {
    local minor=$1 venv="$REPO/.venv-$1" python stamp want_python want_deps
    python=$(find_python "$minor")
    stamp="$venv/.hostcheck-installed"       # "<sha256 of pyproject.toml> <interpreter>"
    want_deps=$(sha256sum pyproject.toml | cut -d' ' -f1)
    want_python=$python
    if [[ ! -x $venv/bin/python || ! -f $stamp || $(cut -d' ' -f2 "$stamp") != "$want_python" ]]; then
        log "virtualenv $venv ($python)"
        rm -rf "$venv"
        "$python" -m venv "$venv"
    elif [[ $(cut -d' ' -f1 "$stamp") == "$want_deps" ]]; then
        return 0
    fi
    # pip's output goes to a log (this machine's pip.conf names absent index directories,
    # one warning per package); shown only when the install fails.
    local pip_log="$CACHE/pip-$minor.log"
    mkdir -p "$CACHE"
    log "pip install -e '.[test]' on Python $minor"
    if ! { "$venv/bin/python" -m pip install --upgrade pip &&
           "$venv/bin/python" -m pip install -e '.[test]'; } >"$pip_log" 2>&1; then
        tail -n 40 "$pip_log" >&2
        die "pip install failed on Python $minor (log: $pip_log)"
    fi
    echo "$want_deps $want_python" >"$stamp"
}

# ---------------------------------------------------------------- dockerd
DOCKERD_PID=""

docker_answers() { timeout 10 docker info >/dev/null 2>&1; }

start_dockerd() {
    if docker_answers; then
        log "dockerd already running: using it, leaving it running"
        return 0
    fi
    mkdir -p "$CACHE"
    # The Debian package does not start the daemon and there is no systemd here.
    dockerd </dev/null >"$CACHE/dockerd.log" 2>&1 &
    DOCKERD_PID=$!
    local tries
    for tries in $(seq 1 150); do
        docker_answers && { log "dockerd started (pid $DOCKERD_PID)"; return 0; }
        kill -0 "$DOCKERD_PID" 2>/dev/null || break
        sleep 0.2
    done
    tail -n 20 "$CACHE/dockerd.log" >&2 || true
    die "dockerd did not answer (log: $CACHE/dockerd.log)"
}

# Containers whose name starts with PREFIX (default hc-test-, the test fixtures' prefix).
remove_test_containers() {
    local ids prefix=${1:-hc-test-}
    ids=$(docker ps -aq --filter "name=^$prefix" 2>/dev/null) || return 0
    # In batches of 100: one `docker rm -f` of a thousand ids once wedged dockerd (bench/run).
    [[ -n $ids ]] && printf '%s\n' $ids | xargs -r -n 100 docker rm -f >/dev/null 2>&1
    return 0
}

stop_dockerd() {
    [[ -n $DOCKERD_PID ]] || return 0
    remove_test_containers
    local pid=$DOCKERD_PID tries
    DOCKERD_PID=""
    kill "$pid" 2>/dev/null || return 0
    for tries in $(seq 1 150); do
        kill -0 "$pid" 2>/dev/null || { log "dockerd stopped"; return 0; }
        sleep 0.2
    done
    log "dockerd did not stop in 30 s: killing it"
    kill -9 "$pid" 2>/dev/null || true
}

