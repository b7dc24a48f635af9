#!/usr/bin/env bash
# Set up everything the tests need (apt + pip + the Asterisk chroot) and run them.
# Usage: bash scripts/test.sh [pytest args...]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"

apt_packages=(python3-venv debootstrap espeak-ng libespeak-ng1 sox graphviz chromium sip-tester)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "==> apt-get install ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$python" -m venv .venv
fi
echo "==> pip install -e .[test]"
.venv/bin/pip install -q --upgrade pip >/dev/null
.venv/bin/pip install -q -e ".[test]"

echo "==> Asterisk chroot (built once, cached under var/)"
bash asterisk-config/chroot.sh build

echo "==> ruff"
.venv/bin/ruff check .

echo "==> pytest"
exec .venv/bin/pytest "$@"
