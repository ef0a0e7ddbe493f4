#!/usr/bin/env bash
# Lookups per second through the verification API and the public page, against /healthz in the
# same run, with gunicorn and PostgreSQL on this machine. See docs/benchmarks.md.
#
#   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/verify_bench benchmarks/verify/run.sh
#
# Build the data set first (a database of your own):
#   createdb -h 127.0.0.1 -U postgres verify_bench
#   DATABASE_URL=... .venv/bin/python benchmarks/verify/schema.py
#   DATABASE_URL=... .venv/bin/flask --app wsgi demo --certificates 1000000
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
: "${DATABASE_URL:?set DATABASE_URL to the benchmark database}"
WORKERS="${WORKERS:-4}"
THREADS="${THREADS:-1}"
WORKER_CLASS="${WORKER_CLASS:-gthread}"
CONNECTIONS="${CONNECTIONS:-16}"
DURATION="${DURATION:-20s}"
ROUNDS="${ROUNDS:-3}"
PORT="${PORT:-8077}"
DATA_DIR="$(mktemp -d)"
GUNICORN_PID=""
REDIS_PID=""
cleanup() {
  if [ -n "$GUNICORN_PID" ]; then kill "$GUNICORN_PID" 2>/dev/null || true; wait "$GUNICORN_PID" 2>/dev/null || true; fi
  if [ -n "$REDIS_PID" ]; then kill "$REDIS_PID" 2>/dev/null || true; fi
  rm -rf "$DATA_DIR"
}
trap cleanup EXIT

# Several workers share one rate-limit store, as in production: a private Redis unless given one.
if [ -z "${REDIS_URL:-}" ]; then
  REDIS_PORT="${REDIS_PORT:-6391}"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no > /dev/null &
  REDIS_PID=$!
  export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
  sleep 0.5
fi

# The limiter stays on, with limits far above what one benchmark client sends.
export VERIFY_LIMIT_PER_ADDRESS="100000000 per minute"
export VERIFY_LIMIT_PER_IDENTITY="100000000 per minute"
export VERIFY_API_LIMIT_PER_KEY="100000000 per minute"

# Planner statistics after the bulk load (autovacuum may not have got to it yet).
psql "$DATABASE_URL" -qc "ANALYZE persons; ANALYZE certificates;"
API_KEY="$(.venv/bin/python benchmarks/verify/prepare.py "$DATA_DIR" "${LOOKUPS:-20000}")"

.venv/bin/gunicorn "wsgi:app" --bind "127.0.0.1:$PORT" --workers "$WORKERS" --threads "$THREADS" \
  --worker-class "$WORKER_CLASS" --keep-alive 30 --log-level warning &
GUNICORN_PID=$!
for _ in $(seq 1 50); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" > /dev/null 2>&1 && break
  sleep 0.2
done
# Warm-up: each worker opens its connections and fills its caches before anything is measured.
for mode in health api page; do
  MODE=$mode DATA_DIR="$DATA_DIR" API_KEY="$API_KEY" wrk -t2 -c"$CONNECTIONS" -d5s -s benchmarks/verify/verify.lua \
    "http://127.0.0.1:$PORT" > /dev/null
done

echo "machine: $(nproc) cores, $(free -h | awk '/Mem:/ {print $2}') memory, load before run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "gunicorn -w $WORKERS --threads $THREADS -k $WORKER_CLASS; wrk -t2 -c$CONNECTIONS -d$DURATION; rate limits in $REDIS_URL"
echo "certificates: $(psql "$DATABASE_URL" -Atc 'select count(*) from certificates')"
# Other work on the machine comes and goes: several short rounds, each measuring all three
# endpoints back to back, and each lookup rate compared with /healthz of the same round.
for round in $(seq 1 "$ROUNDS"); do
  for mode in health api page; do
    MODE=$mode DATA_DIR="$DATA_DIR" API_KEY="$API_KEY" wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency \
      -s benchmarks/verify/verify.lua "http://127.0.0.1:$PORT" | grep '^RESULT' | sed "s/^RESULT/round=$round/"
  done
done | tee "$DATA_DIR/results.txt"
awk '{for (i = 1; i <= NF; i++) {split($i, kv, "="); v[kv[1]] = kv[2]}
      if (v["mode"] == "health") h = v["rps"]; else printf "round %s %-4s %.0f/s = %.0f%% of /healthz (%s/s), p99 %s ms\n", v["round"], v["mode"], v["rps"], 100 * v["rps"] / h, h, v["p99_ms"]}' \
  "$DATA_DIR/results.txt"
