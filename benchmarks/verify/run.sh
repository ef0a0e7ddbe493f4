#!/usr/bin/env bash
# Lookups per second through the verification API and the public page, as a ratio to /healthz
# measured in the same round, with gunicorn, Redis and PostgreSQL on this machine (loopback only).
# See docs/benchmarks.md.
#
#   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/verify_bench benchmarks/verify/run.sh
#
# Build the data set first (a database of your own):
#   createdb -h 127.0.0.1 -U postgres verify_bench
#   DATABASE_URL=... .venv/bin/python benchmarks/verify/schema.py
#   DATABASE_URL=... .venv/bin/flask --app wsgi demo --certificates 1000000
#
# A round in which any request failed (connection error, timeout, HTTP status >= 400) stops the
# run with an error and no rate: a failed request is not throughput.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
# The scripts below import this checkout's portal, not whichever one the virtualenv has installed.
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
: "${DATABASE_URL:?set DATABASE_URL to the benchmark database}"
WORKERS="${WORKERS:-4}"
THREADS="${THREADS:-1}"
WORKER_CLASS="${WORKER_CLASS:-gthread}"
CONNECTIONS="${CONNECTIONS:-16}"
DURATION="${DURATION:-15s}"
ROUNDS="${ROUNDS:-3}"
PORT="${PORT:-8077}"
REDIS_PORT="${REDIS_PORT:-6391}"
DATA_DIR="$(mktemp -d)"
GUNICORN_PID=""
REDIS_PID=""

fail() { echo "benchmark FAILED: $*" >&2; exit 1; }

for tool in wrk redis-server redis-cli psql curl; do
  command -v "$tool" > /dev/null || fail "$tool is missing (bash scripts/setup.sh installs wrk and redis-server)"
done

stop() {  # stop a process we started and wait until it is gone (at most 10 s, then kill it)
  local pid="$1"
  kill "$pid" 2> /dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$pid" 2> /dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2> /dev/null || true
}
cleanup() {
  if [ -n "$GUNICORN_PID" ]; then stop "$GUNICORN_PID"; fi
  if [ -n "$REDIS_PID" ]; then stop "$REDIS_PID"; fi
  rm -rf "$DATA_DIR"
}
trap cleanup EXIT

# Several workers share one rate-limit store, as in production: a private Redis on loopback.
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no > "$DATA_DIR/redis.log" 2>&1 &
REDIS_PID=$!
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
for _ in $(seq 1 50); do
  [ "$(redis-cli -p "$REDIS_PORT" ping 2> /dev/null)" = "PONG" ] && break
  sleep 0.1
done
[ "$(redis-cli -p "$REDIS_PORT" ping 2> /dev/null)" = "PONG" ] || fail "Redis on port $REDIS_PORT does not answer: $(cat "$DATA_DIR/redis.log")"

# The limiter stays on, with limits far above what one benchmark client sends.
export VERIFY_LIMIT_PER_ADDRESS="100000000 per minute"
export VERIFY_LIMIT_PER_IDENTITY="100000000 per minute"
export VERIFY_API_LIMIT_PER_KEY="100000000 per minute"

# Planner statistics after the bulk load (autovacuum may not have got to it yet).
psql "$DATABASE_URL" -qc "ANALYZE persons; ANALYZE certificates;"
API_KEY="$(.venv/bin/python benchmarks/verify/prepare.py "$DATA_DIR" "${LOOKUPS:-20000}")"

.venv/bin/gunicorn "wsgi:app" --bind "127.0.0.1:$PORT" --workers "$WORKERS" --threads "$THREADS" \
  --worker-class "$WORKER_CLASS" --keep-alive 30 --log-level warning 2> "$DATA_DIR/gunicorn.log" &
GUNICORN_PID=$!
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do
  curl -fsS "$BASE/healthz" > /dev/null 2>&1 && break
  kill -0 "$GUNICORN_PID" 2> /dev/null || break
  sleep 0.2
done
# Before measuring: every kind of request answers 200, and Redis is the store in use.
status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
[ "$(status "$BASE/healthz")" = 200 ] || fail "gunicorn does not answer /healthz: $(tail -20 "$DATA_DIR/gunicorn.log")"
curl -s "$BASE/healthz" | grep -q '"ok"' || fail "/healthz reports: $(curl -s "$BASE/healthz")"
[ "$(status -X POST -H 'Content-Type: application/json' -H "X-API-Key: $API_KEY" --data-binary "$(head -1 "$DATA_DIR/api.txt")" "$BASE/api/v1/verify")" = 200 ] \
  || fail "an API lookup does not answer 200: $(tail -20 "$DATA_DIR/gunicorn.log")"
# The page lookup is a form POST with a CSRF token: one session's cookie and token serve every
# request of the run, as one browser tab would send them.
curl -s -c "$DATA_DIR/cookies" "$BASE/verify" > "$DATA_DIR/form.html"
CSRF_TOKEN="$(grep -o 'name="csrf_token" type="hidden" value="[^"]*"' "$DATA_DIR/form.html" | head -1 | sed 's/.*value="//; s/"$//')"
SESSION_COOKIE="session=$(awk '$6 == "session" {print $7}' "$DATA_DIR/cookies")"
[ -n "$CSRF_TOKEN" ] && [ "$SESSION_COOKIE" != "session=" ] || fail "the lookup form gave no CSRF token or session cookie"
export CSRF_TOKEN SESSION_COOKIE
curl -s -o "$DATA_DIR/page-check.html" -w '%{http_code}' -H "Cookie: $SESSION_COOKIE" \
  --data-binary "$(head -1 "$DATA_DIR/page.txt")&csrf_token=$CSRF_TOKEN" "$BASE/verify" > "$DATA_DIR/page-status"
[ "$(cat "$DATA_DIR/page-status")" = 200 ] && grep -q 'id="verify-result"' "$DATA_DIR/page-check.html" \
  || fail "a page lookup does not answer 200 with a result (status $(cat "$DATA_DIR/page-status")): $(tail -20 "$DATA_DIR/gunicorn.log")"
[ "$(redis-cli -p "$REDIS_PORT" --scan --pattern 'LIMITS:*' | wc -l)" -gt 0 ] || fail "the lookups were not counted in Redis"

measure() {  # measure MODE DURATION ROUND: one wrk run; exits the script if any request failed
  local line
  line="$(MODE=$1 DATA_DIR="$DATA_DIR" API_KEY="$API_KEY" wrk -t2 -c"$CONNECTIONS" -d"$2" --latency \
    -s benchmarks/verify/verify.lua "$BASE" | grep '^RESULT')" || fail "wrk gave no result for $1"
  case "$line" in
    *" errors=0 http_errors=0"*) ;;
    *) fail "round $3, $1: requests failed ($line); no rate reported. gunicorn log: $(tail -5 "$DATA_DIR/gunicorn.log")" ;;
  esac
  echo "round=$3 ${line#RESULT }"
}

# Warm-up: each worker opens its connections and fills its caches before anything is measured.
for mode in health api page; do measure "$mode" 5s 0 > /dev/null; done

echo "machine: $(nproc) cores, $(free -h | awk '/Mem:/ {print $2}') memory, load before run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "gunicorn -w $WORKERS --threads $THREADS -k $WORKER_CLASS; wrk -t2 -c$CONNECTIONS -d$DURATION; rate limits in $REDIS_URL"
echo "certificates: $(psql "$DATABASE_URL" -Atc 'select count(*) from certificates')"
# Other work on the machine comes and goes: several short rounds, the order of the three
# endpoints alternating between rounds, each lookup rate divided by /healthz of its own round.
for round in $(seq 1 "$ROUNDS"); do
  if [ $((round % 2)) = 1 ]; then order="health api page"; else order="page api health"; fi
  for mode in $order; do measure "$mode" "$DURATION" "$round"; done
done > "$DATA_DIR/results.txt"
cat "$DATA_DIR/results.txt"
echo "load after run: $(cut -d' ' -f1-3 /proc/loadavg)"
awk '{delete v; for (i = 1; i <= NF; i++) {split($i, kv, "="); v[kv[1]] = kv[2]}
      r = v["round"] + 0; rps[r, v["mode"]] = v["rps"]; p99[r, v["mode"]] = v["p99_ms"]; if (r > n) n = r}
     END {
       for (r = 1; r <= n; r++) for (k = 1; k <= 2; k++) {
         m = (k == 1) ? "api" : "page"
         printf "round %d %-4s %5.0f/s = %3.0f%% of /healthz (%.0f/s), p99 %s ms (/healthz p99 %s ms)\n",
           r, m, rps[r, m], 100 * rps[r, m] / rps[r, "health"], rps[r, "health"], p99[r, m], p99[r, "health"]
       }
     }' "$DATA_DIR/results.txt"
