#!/usr/bin/env bash
# Entrypoint of the Asterisk image (docker/asterisk.Dockerfile).
#
#   asterisk-entrypoint.sh CMD...           render /etc/asterisk, then exec CMD (the image's
#                                           CMD runs Asterisk in the foreground)
#   asterisk-entrypoint.sh render [ETC]     only render ETC (default /etc/asterisk)
#
# The image holds asterisk-config/etc exactly as the test chroot does: AMI and SIP on loopback,
# FastAGI at 127.0.0.1:4573. On a container network those must change, in the container only,
# from the environment (each unset variable keeps the default shown):
#   OMNIVOX_AMI_BIND    AMI bindaddr                                   (0.0.0.0)
#   OMNIVOX_AMI_PERMIT  addr/mask list the omnivox AMI user may come from
#                       (loopback and the private ranges, where container networks live)
#   OMNIVOX_AMI_SECRET  the omnivox AMI user's secret                  (manager.conf's)
#   OMNIVOX_SIP_BIND    the PJSIP UDP transport                        (0.0.0.0:5060)
#   OMNIVOX_RTP_PORTS   START-END, the RTP port range to match what is published
#                       (rtp.conf's)
#   NAME=VALUE          for any NAME in extensions.conf's [globals], e.g. OMNIVOX_AGI=omnivox:4573
# Rendering rewrites those lines in place, so every start renders the same.
# shellcheck disable=SC2016  # the awk programs are single-quoted on purpose
set -euo pipefail

die() { echo "asterisk-entrypoint: $*" >&2; exit 2; }

AMI_BIND="${OMNIVOX_AMI_BIND:-0.0.0.0}"
AMI_PERMIT="${OMNIVOX_AMI_PERMIT:-127.0.0.1/255.255.255.255 10.0.0.0/255.0.0.0 172.16.0.0/255.240.0.0 192.168.0.0/255.255.0.0}"
SIP_BIND="${OMNIVOX_SIP_BIND:-0.0.0.0:5060}"
RTP_START="" RTP_END=""

validate() {
    local ip='^[0-9A-Fa-f:.]+$' mask='^[0-9A-Fa-f:.]+/[0-9.]+$' secret='^[^[:space:];]+$'
    local hostport='^(\[[0-9A-Fa-f:]+\]|[0-9.]+):[0-9]+$'
    [[ "$AMI_BIND" =~ $ip ]] \
        || die "OMNIVOX_AMI_BIND: expected an IP address, got '$AMI_BIND'"
    local permit permits
    read -r -a permits <<<"$AMI_PERMIT"
    for permit in "${permits[@]}"; do
        [[ "$permit" =~ $mask ]] \
            || die "OMNIVOX_AMI_PERMIT: expected space-separated address/mask, got '$permit'"
    done
    [[ ${#permits[@]} -gt 0 ]] || die "OMNIVOX_AMI_PERMIT: empty (nobody could log in to AMI)"
    if [[ -v OMNIVOX_AMI_SECRET ]]; then
        [[ "$OMNIVOX_AMI_SECRET" =~ $secret ]] \
            || die "OMNIVOX_AMI_SECRET: must be non-empty, without spaces or ';'"
    fi
    [[ "$SIP_BIND" =~ $hostport ]] \
        || die "OMNIVOX_SIP_BIND: expected address:port, got '$SIP_BIND'"
    if [[ -v OMNIVOX_RTP_PORTS ]]; then
        local range='^([0-9]+)-([0-9]+)$'
        if ! [[ "$OMNIVOX_RTP_PORTS" =~ $range ]] \
            || ((BASH_REMATCH[1] < 1024 || BASH_REMATCH[1] >= BASH_REMATCH[2])) \
            || ((BASH_REMATCH[2] > 65535)); then
            die "OMNIVOX_RTP_PORTS: expected START-END within 1024-65535, got '$OMNIVOX_RTP_PORTS'"
        fi
        RTP_START="${BASH_REMATCH[1]}" RTP_END="${BASH_REMATCH[2]}"
    fi
}

# rewrite FILE AWK-PROGRAM: run the program over FILE (values come through ENVIRON, verbatim)
# into the staging directory. The program exits 3 when a line it must rewrite is missing: the
# config changed and this script has to follow.
rewrite() {
    local file="$1" program="$2" status=0
    [[ -f "$file" ]] || die "$file is missing"
    awk "$program" "$file" >"$STAGE/${file##*/}" || status=$?
    [[ $status -ne 3 ]] || die "$file: a line this script rewrites is missing"
    [[ $status -eq 0 ]] || die "$file: cannot render (awk exit $status)"
}

# render ETC: all files or none are rewritten, in place (keeping their owner and mode).
render() {
    local etc="${1%/}" staged
    validate
    STAGE="$(mktemp -d)"
    trap 'rm -rf "$STAGE"' EXIT
    export AMI_BIND AMI_PERMIT SIP_BIND
    # AMI: bindaddr in [general]; the omnivox user's permit lines (one per entry) and secret.
    rewrite "$etc/manager.conf" '
        /^[ \t]*\[/ { section = $0; sub(/\].*/, "]", section); gsub(/[ \t]/, "", section) }
        section == "[general]" && /^[ \t]*bindaddr[ \t]*=/ {
            print "bindaddr = " ENVIRON["AMI_BIND"]; bind++; next }
        section == "[omnivox]" && /^[ \t]*permit[ \t]*=/ {
            if (!permit++) {
                n = split(ENVIRON["AMI_PERMIT"], entries, " ")
                for (i = 1; i <= n; i++) print "permit = " entries[i]
            }
            next }
        section == "[omnivox]" && /^[ \t]*secret[ \t]*=/ && ("OMNIVOX_AMI_SECRET" in ENVIRON) {
            print "secret = " ENVIRON["OMNIVOX_AMI_SECRET"]; next }
        { print }
        END { if (!bind || !permit) exit 3 }'
    # SIP: the UDP transport's bind.
    rewrite "$etc/pjsip.conf" '
        /^[ \t]*\[/ { section = $0; sub(/\].*/, "]", section); gsub(/[ \t]/, "", section) }
        section == "[transport-udp]" && /^[ \t]*bind[ \t]*=/ {
            print "bind = " ENVIRON["SIP_BIND"]; bind++; next }
        { print }
        END { if (!bind) exit 3 }'
    # RTP: the port range, when given.
    if [[ -n "$RTP_START" ]]; then
        export RTP_START RTP_END
        rewrite "$etc/rtp.conf" '
            /^[ \t]*\[/ { section = $0; sub(/\].*/, "]", section); gsub(/[ \t]/, "", section) }
            section == "[general]" && /^[ \t]*rtpstart[ \t]*=/ {
                print "rtpstart = " ENVIRON["RTP_START"]; start++; next }
            section == "[general]" && /^[ \t]*rtpend[ \t]*=/ {
                print "rtpend = " ENVIRON["RTP_END"]; end++; next }
            { print }
            END { if (!start || !end) exit 3 }'
    fi
    # Dialplan globals named in the environment.
    rewrite "$etc/extensions.conf" '
        /^[ \t]*\[/ { section = $0; sub(/\].*/, "]", section); gsub(/[ \t]/, "", section) }
        section == "[globals]" && /^[ \t]*[A-Za-z_][A-Za-z0-9_]*[ \t]*=/ {
            name = $0; sub(/^[ \t]*/, "", name); sub(/[ \t]*=.*/, "", name)
            if (name in ENVIRON) {
                value = ENVIRON[name]
                if (value ~ /[\n;]/) {
                    print "asterisk-entrypoint: " name ": a newline or ; cannot be in a global" \
                        > "/dev/stderr"
                    exit 4
                }
                print name " = " value
                print "asterisk-entrypoint: global " name " = " value > "/dev/stderr"
                next
            }
        }
        { print }'
    for staged in "$STAGE"/*; do
        cat "$staged" >"$etc/${staged##*/}"
    done
    rm -rf "$STAGE"
    trap - EXIT
}

if [[ "${1:-}" == "render" ]]; then
    render "${2:-/etc/asterisk}"
    exit 0
fi
render /etc/asterisk
# A recordings volume first mounted by another container may belong to someone else.
if [[ -d /var/spool/asterisk/monitor ]] && id asterisk >/dev/null 2>&1; then
    chown asterisk:asterisk /var/spool/asterisk/monitor
fi
[[ $# -gt 0 ]] || die "usage: $0 CMD... | render [ETC]"
exec "$@"
