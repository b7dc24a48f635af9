#!/usr/bin/env bash
# Set up omnivox in .venv and run the demo on the embedded default (SQLite, in-process state).
# Usage: bash scripts/demo.sh [omnivox demo args...]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
if ! command -v espeak-ng >/dev/null || ! command -v sox >/dev/null; then
  echo "==> apt-get install espeak-ng sox (prompt synthesis)"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq python3-venv espeak-ng libespeak-ng1 sox >/dev/null
fi
[ -x .venv/bin/python ] || "${PYTHON:-python3}" -m venv .venv
.venv/bin/pip install -q --upgrade pip >/dev/null
.venv/bin/pip install -q .
exec .venv/bin/omnivox demo "$@"
