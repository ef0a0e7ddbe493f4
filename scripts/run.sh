#!/usr/bin/env bash
# Set up (if needed) and start the portal on http://127.0.0.1:5000 with an embedded SQLite
# database, reference data and demo data, and the worker that runs imports and batch checks
# (stopped with the server). Safe to run again: nothing is duplicated.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export FLASK_APP=wsgi
.venv/bin/flask db upgrade
.venv/bin/flask seed
.venv/bin/flask demo --certificates "${DEMO_CERTIFICATES:-300}"
echo "职称信息管理服务平台： http://${HOST:-127.0.0.1}:${PORT:-5000}  （演示账户密码：Demo@2026）"
.venv/bin/flask worker &
worker=$!
# Background jobs of a script ignore Ctrl-C: the worker is stopped when the server stops.
trap 'kill "$worker" 2>/dev/null; wait "$worker" 2>/dev/null || true' EXIT
.venv/bin/flask run --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
