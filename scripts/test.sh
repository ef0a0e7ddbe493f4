#!/usr/bin/env bash
# Set up (if needed) and run the whole test suite, first on SQLite, then on PostgreSQL.
# PostgreSQL: PG_ADMIN_URL (default postgresql://postgres@127.0.0.1:5432/postgres); each run
# creates a throw-away database and drops it afterwards. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

export PG_ADMIN_URL="${PG_ADMIN_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
status=0

echo "== SQLite =="
TEST_DATABASE=sqlite .venv/bin/python -m pytest -p no:cacheprovider "$@" || status=$?

echo "== PostgreSQL =="
if .venv/bin/python -c "import psycopg, os; psycopg.connect(os.environ['PG_ADMIN_URL'], connect_timeout=5).close()" 2>/dev/null; then
  TEST_DATABASE=postgres .venv/bin/python -m pytest -p no:cacheprovider "$@" || status=$?
else
  echo "PostgreSQL is not reachable at $PG_ADMIN_URL: the suite must also pass there." >&2
  status=1
fi
exit $status
