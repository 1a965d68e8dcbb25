#!/usr/bin/env bash
# The main job on the embedded default: a Flowtly sandbox with the bundled sample, no Redis, no account.
# Outputs land in ./out/. Extra arguments go to `enricher run`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/enricher run "$@"
