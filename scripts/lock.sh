#!/usr/bin/env bash
# Pin the resolved set of Python packages into constraints.txt, which scripts/setup.sh installs
# with. Run after changing pyproject.toml: it resolves in a throw-away environment, so packages
# installed by hand in .venv never leak into the pins.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --upgrade pip
"$work/venv/bin/python" -m pip install -q -e '.[dev]'
{
  echo "# Resolved set of the project's Python packages; made by scripts/lock.sh from pyproject.toml."
  "$work/venv/bin/python" -m pip freeze --exclude-editable | LC_ALL=C sort -f
} > constraints.txt
echo "constraints.txt: $(grep -vc '^#' constraints.txt) packages pinned"
