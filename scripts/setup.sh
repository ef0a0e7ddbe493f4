#!/usr/bin/env bash
# Idempotent set-up: system packages, virtual environment, Python packages, htmx, ECharts, CJK font subset.
# Safe to run again; each step checks what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

HTMX_VERSION="2.0.11"
ECHARTS_VERSION="6.1.0"
APT_PACKAGES=(fonts-noto-cjk poppler-utils chromium redis-server wrk)
VENV=".venv"

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "需要 root 权限安装系统软件包：$*" >&2; exit 1; fi
}

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing system packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  log "creating virtual environment in $VENV"
  "$PYTHON" -m venv "$VENV"
fi

# constraints.txt pins the whole resolved set (regenerate with scripts/lock.sh after changing
# pyproject.toml); the install is redone only when either file changes.
stamp="$VENV/.installed-$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  log "installing Python packages"
  "$VENV/bin/python" -m pip install -q --upgrade pip 2>/dev/null
  "$VENV/bin/python" -m pip install -q -c constraints.txt -e '.[dev]' 2>&1 | grep -v -E "^WARNING: Location|BuildBackendWarning|^\s*!!|^\s*\*+|Please be careful|name as your package|take precedence|with strategy|^\s*$" || true
  "$VENV/bin/python" -c "import portal, flask, weasyprint, pyhanko, playwright" 
  rm -f "$VENV"/.installed-*
  touch "$stamp"
fi

# htmx comes from the npm registry by package name at a pinned version, never from a CDN.
if ! grep -q "version:\"$HTMX_VERSION\"" static/vendor/htmx.min.js 2>/dev/null; then
  log "fetching htmx $HTMX_VERSION"
  workdir=".cache/npm"
  mkdir -p "$workdir" static/vendor
  npm install --prefix "$workdir" --no-save --no-package-lock --no-audit --no-fund --silent "htmx.org@$HTMX_VERSION"
  cp "$workdir/node_modules/htmx.org/dist/htmx.min.js" static/vendor/htmx.min.js
fi
# Apache ECharts draws the statistics charts; same rule: npm by package name, pinned.
if ! grep -q "version=\"$ECHARTS_VERSION\"" static/vendor/echarts.min.js 2>/dev/null; then
  log "fetching echarts $ECHARTS_VERSION"
  workdir=".cache/npm"
  mkdir -p "$workdir" static/vendor
  npm install --prefix "$workdir" --no-save --no-package-lock --no-audit --no-fund --silent "echarts@$ECHARTS_VERSION"
  cp "$workdir/node_modules/echarts/dist/echarts.min.js" static/vendor/echarts.min.js
fi

"$VENV/bin/python" scripts/build_fonts.py
# The portal's own CA (instance/ca, outside the database) signs letters for units without a seal.
"$VENV/bin/flask" --app wsgi signing-ca >/dev/null
log "ready"
