#!/usr/bin/env bash
# Install Omnivox's Asterisk configuration into ROOT, where the packages of packages.txt are
# installed: the test chroot (chroot.sh install-config) or "/" in docker/asterisk.Dockerfile.
#
#   install-config.sh ROOT
#
# Replaces ROOT/etc/asterisk with etc/*.conf, makes the directories Asterisk writes to and the
# sound links Omnivox relies on. Safe to run again.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

die() { echo "install-config.sh: $*" >&2; exit 1; }

[[ $# -eq 1 && -n "$1" ]] || die "usage: $0 ROOT"
root="${1%/}"  # "/" becomes "", so "$root/etc" is "/etc"
[[ -x "$root/usr/sbin/asterisk" ]] || die "no Asterisk in ${root:-/} (install packages.txt first)"
sounds="$root/usr/share/asterisk/sounds"
[[ -d "$sounds" ]] || die "no $sounds: the sound packages of packages.txt are missing"

# The package's sample configs autoload every module: the project's set replaces them all.
rm -rf "$root/etc/asterisk"
mkdir -p "$root/etc/asterisk"
confs=("$HERE"/etc/*.conf)
cp "${confs[@]}" "$root/etc/asterisk/"
mkdir -p "$root/var/lib/asterisk/sounds/omnivox" "$root/var/log/asterisk" \
    "$root/run/asterisk" "$root/var/spool/asterisk"
# Omnivox writes prompts to /var/lib/asterisk/sounds/omnivox; Asterisk looks under its data dir
# (/usr/share/asterisk/sounds), so "omnivox/<name>" resolves through this link.
ln -sfn /var/lib/asterisk/sounds/omnivox "$sounds/omnivox"
# Debian links only en and en_US to a voice; language "ru" needs its own link.
for voice in "$sounds"/ru_RU_*; do
    if [[ -d "$voice" ]]; then
        ln -sfn "${voice##*/}" "$sounds/ru"
        break
    fi
done
echo "install-config.sh: installed ${#confs[@]} config files into $root/etc/asterisk"
