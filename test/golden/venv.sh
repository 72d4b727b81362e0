#!/usr/bin/env bash
# Creates (once) the project's Python virtual environment in .venv with the oracle's pinned
# packages (test/golden/requirements.txt); reinstalls when the requirements change.
# Needs Python 3.11+ with the venv module (on Debian: apt-get install python3-venv).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
PY="${PYTHON:-python3}"
req=test/golden/requirements.txt
stamp=.venv/.requirements.sha256
want=$(sha256sum "$req" | cut -d' ' -f1)
if [[ -x .venv/bin/python && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then exit 0; fi
"$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$req"
echo "$want" > "$stamp"
