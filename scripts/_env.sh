# Sourced by the scripts: finds the repository, uv and a Python >= 3.14.2.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export UV_PROJECT_ENVIRONMENT="$ROOT/.venv"
PYTHON_REQUEST="${PYTHON_REQUEST:-3.14}"

# uv from PyPI when the machine has none: installed into .tools/, never globally.
if command -v uv >/dev/null 2>&1; then
  UV="$(command -v uv)"
elif [ -x "$ROOT/.tools/bin/uv" ]; then
  UV="$ROOT/.tools/bin/uv"
else
  echo "scripts: installing uv into .tools/" >&2
  python3 -m venv "$ROOT/.tools"
  "$ROOT/.tools/bin/pip" install --quiet --disable-pip-version-check uv
  UV="$ROOT/.tools/bin/uv"
fi
export UV
