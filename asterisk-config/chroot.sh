#!/usr/bin/env bash
# A real Asterisk (Debian sid) in a debootstrap chroot, for tests and local runs.
#
#   chroot.sh build [DIR]           debootstrap sid with packages.txt (cached, atomic)
#   chroot.sh install-config [DIR]  install-config.sh DIR: asterisk-config/etc/* and sound links
#   chroot.sh start [DIR]           run Asterisk in the background, wait until fully booted
#   chroot.sh stop [DIR]            stop it (gracefully, then by its pid)
#   chroot.sh status [DIR]          exit 0 when Asterisk in DIR answers the CLI
#
# DIR defaults to ${OMNIVOX_ASTERISK_CHROOT:-<repo>/var/asterisk-chroot}. The chroot shares
# the host's network namespace: AMI is 127.0.0.1:5038, SIP 127.0.0.1:5060.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
SUITE="${OMNIVOX_ASTERISK_SUITE:-sid}"

die() { echo "chroot.sh: $*" >&2; exit 1; }

packages() { grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$HERE/packages.txt" | tr -d ' \t'; }

# The cache key: a chroot built from another package list is rebuilt.
packages_key() { { echo "$SUITE"; packages; } | sha256sum | cut -c1-16; }

# Delete a (possibly half-built) tree without ever following a mount out of it.
remove_tree() {
    local tree="$1" m
    for m in proc sys dev/pts; do
        mountpoint -q "$tree/$m" 2>/dev/null && umount -l "$tree/$m"
    done
    rm -rf --one-file-system "$tree"
}

is_built() {
    local dir="$1"
    [[ -x "$dir/usr/sbin/asterisk" ]] || return 1
    [[ "$(cat "$dir/.omnivox-packages" 2>/dev/null)" == "$(packages_key)" ]] || return 1
    chroot "$dir" /usr/sbin/asterisk -V >/dev/null 2>&1
}

cmd_build() {
    local dir="$1"
    if is_built "$dir"; then
        echo "chroot.sh: $dir is built ($(chroot "$dir" /usr/sbin/asterisk -V))"
        return 0
    fi
    command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
    [[ $EUID -eq 0 ]] || die "building a chroot needs root"
    local parent tmp old include stale
    parent="$(dirname "$dir")"
    mkdir -p "$parent"
    # One build at a time per parent; whoever waited finds the chroot built.
    exec 9>"$parent/.asterisk-chroot.lock"
    flock 9
    if is_built "$dir"; then
        echo "chroot.sh: $dir was built meanwhile"
        return 0
    fi
    # Leftovers of an interrupted build (never renamed into place, so never used).
    rm -f "$parent"/.asterisk-chroot.build.*.log
    for stale in "$parent"/.asterisk-chroot.build.* "$parent"/.asterisk-chroot.old.*; do
        if [[ -d "$stale" ]]; then remove_tree "$stale"; fi
    done
    # Built beside DIR and renamed into place: an interrupted build never looks complete.
    tmp="$(mktemp -d "$parent/.asterisk-chroot.build.XXXXXX")"
    chmod 755 "$tmp"  # the chroot's "/": mktemp made it 0700
    trap 'remove_tree "$tmp"' EXIT
    include="$(packages | paste -sd, -)"
    echo "chroot.sh: debootstrap --variant=minbase --include=$include $SUITE $dir"
    local start=$SECONDS
    debootstrap --variant=minbase --include="$include" "$SUITE" "$tmp" >"$tmp.log" 2>&1 \
        || { tail -n 30 "$tmp.log" >&2; rm -f "$tmp.log"; die "debootstrap failed (log above)"; }
    rm -f "$tmp.log"
    # Drop the package caches: the chroot is a runtime, not a build host.
    rm -rf "$tmp/var/cache/apt/archives/"*.deb "$tmp/var/lib/apt/lists/"* 2>/dev/null || true
    packages_key >"$tmp/.omnivox-packages"
    if [[ -e "$dir" ]]; then
        old="$(mktemp -d "$parent/.asterisk-chroot.old.XXXXXX")"
        mv "$dir" "$old/"
        remove_tree "$old"
    fi
    mv "$tmp" "$dir"
    trap - EXIT
    echo "chroot.sh: built $dir in $((SECONDS - start)) s ($(chroot "$dir" /usr/sbin/asterisk -V))"
}

cmd_install_config() {
    local dir="$1"
    [[ -x "$dir/usr/sbin/asterisk" ]] || die "$dir has no Asterisk: run '$0 build $dir' first"
    # The same step as docker/asterisk.Dockerfile: configs, directories, sound links.
    bash "$HERE/install-config.sh" "$dir"
}

cli() { chroot "$1" /usr/sbin/asterisk -C /etc/asterisk/asterisk.conf -rx "$2"; }

cmd_status() { cli "$1" "core show version" >/dev/null 2>&1; }

cmd_start() {
    local dir="$1"
    [[ -f "$dir/etc/asterisk/asterisk.conf" ]] || die "no config in $dir: run '$0 install-config $dir'"
    if cmd_status "$dir"; then
        echo "chroot.sh: Asterisk already runs in $dir"
        return 0
    fi
    setsid chroot "$dir" /usr/sbin/asterisk -f -C /etc/asterisk/asterisk.conf \
        </dev/null >>"$dir/var/log/asterisk/stdout.log" 2>&1 &
    local pid=$! i
    for i in $(seq 1 100); do
        if cli "$dir" "core waitfullybooted" >/dev/null 2>&1; then
            echo "chroot.sh: Asterisk (pid $pid) fully booted in $dir"
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    tail -n 30 "$dir/var/log/asterisk/messages.log" "$dir/var/log/asterisk/stdout.log" >&2 || true
    die "Asterisk did not boot in $dir"
}

cmd_stop() {
    local dir="$1" pidfile pid i
    pidfile="$dir/run/asterisk/asterisk.pid"
    cli "$dir" "core stop now" >/dev/null 2>&1 || true
    pid="$(cat "$pidfile" 2>/dev/null || true)"
    # Only a process whose root is this chroot: a stale pid file must not kill anything else.
    if [[ -n "$pid" ]] && [[ "$(readlink "/proc/$pid/root" 2>/dev/null)" != "$(realpath "$dir")" ]]; then
        pid=""
    fi
    for i in $(seq 1 50); do
        [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        kill -9 "$pid" || true
    fi
    rm -f "$pidfile" "$dir/run/asterisk/asterisk.ctl"
    echo "chroot.sh: Asterisk stopped in $dir"
}

main() {
    local cmd="${1:-}" dir="${2:-${OMNIVOX_ASTERISK_CHROOT:-$REPO/var/asterisk-chroot}}"
    case "$cmd" in
        build) cmd_build "$dir" ;;
        install-config) cmd_install_config "$dir" ;;
        start) cmd_start "$dir" ;;
        stop) cmd_stop "$dir" ;;
        status) cmd_status "$dir" ;;
        *) die "usage: $0 build|install-config|start|stop|status [DIR]" ;;
    esac
}

main "$@"
