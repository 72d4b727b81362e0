#!/usr/bin/env bash
# install.sh [--check] PREFIX
# An MLflow tracking server in its own virtual environment at PREFIX (pip install -r
# requirements.txt beside this script). With --check: exit 0 when PREFIX already holds the
# pinned version. The marker PREFIX/.requirements (a hash of requirements.txt) is written last,
# so an interrupted install is never taken for a finished one: it is removed and redone.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
check=0
[[ "${1:-}" == "--check" ]] && { check=1; shift; }
prefix="${1:?usage: install.sh [--check] PREFIX}"
want=$(sha256sum "$here/requirements.txt" | cut -c1-16)
if [[ -x "$prefix/bin/mlflow" && "$(cat "$prefix/.requirements" 2>/dev/null)" == "$want" ]]; then exit 0; fi
((check)) && exit 1
python=$(command -v python3.11 || command -v python3) || { echo "python3 not found (MLflow needs Python >= 3.10)" >&2; exit 1; }
rm -rf "$prefix"
"$python" -m venv "$prefix"
"$prefix/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
echo "$want" >"$prefix/.requirements"
"$prefix/bin/mlflow" --version
