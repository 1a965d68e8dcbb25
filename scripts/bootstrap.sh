#!/usr/bin/env bash
# Creates ./.venv and installs the project with its dev group; re-runs only when pyproject.toml changed.
# Needs only python3 (3.11+) with venv; on Debian without venv it installs python3-venv via apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "enricher needs Python 3.11 or newer; $PY is $("$PY" --version 2>&1)" >&2; exit 2
fi
if [ ! -x .venv/bin/python ]; then
  if ! "$PY" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
      apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
      "$PY" -m venv .venv
    else
      echo "cannot create a virtualenv: install python3-venv" >&2; exit 2
    fi
  fi
fi
stamp=.venv/.enricher-installed
want=$(cat pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "installing enricher and its dependencies into .venv ..." >&2
  .venv/bin/python -m pip install -q --upgrade "pip>=25.1"
  .venv/bin/python -m pip install -q -e . --group dev
  echo "$want" > "$stamp"
fi
