"""A rate-limit store (Redis) that stops answering does not take verification down.

A gunicorn worker counts lookups in a private redis-server; the store is killed mid-run and
started again. While it is down lookups keep answering, limited per process; /healthz says
"degraded" (still 200); the outage is logged once; then shared counting resumes.
"""
import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import redis

ROOT = Path(__file__).resolve().parents[2]

PREPARE = """
import json
from sqlalchemy import select
from portal import create_app, demo
from portal.extensions import db
from portal.models import Certificate, Person
from portal.reference import seed
from portal.verify.keys import ensure_demo_api_key

app = create_app()
with app.app_context():
    db.create_all()
    seed()
    demo.run(30)
    name, id_number = db.session.execute(
        select(Person.name, Person.id_number).join(Certificate, Certificate.person_id == Person.id)
        .where(Certificate.status == "approved").limit(1)).one()
    print(json.dumps({"key": ensure_demo_api_key(), "name": name, "id_number": id_number}))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_redis(port: int) -> subprocess.Popen:
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no"], stdout=subprocess.DEVNULL)
    client = redis.Redis(port=port, socket_connect_timeout=0.2)
    for _ in range(100):
        try:
            client.ping()
            return process
        except redis.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("redis-server did not start")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Portal:
    def __init__(self, base: str, key: str, name: str, id_number: str):
        self.base, self.key, self.name, self.id_number = base, key, name, id_number
        self.cookies = http.cookiejar.CookieJar()

    def api(self) -> int:
        body = json.dumps({"name": self.name, "id_number": self.id_number}).encode()
        request = urllib.request.Request(self.base + "/api/v1/verify", data=body, method="POST",
                                         headers={"Content-Type": "application/json", "X-API-Key": self.key})
        return self._status(request)

    def page(self, name: str | None = None) -> int:
        """A lookup through the form: a POST with the CSRF token of this client's session."""
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        with opener.open(self.base + "/verify", timeout=10) as response:
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.read().decode()).group(1)
        body = urllib.parse.urlencode({"name": name or self.name, "id_number": self.id_number,
                                       "csrf_token": token}).encode()
        return self._status(urllib.request.Request(f"{self.base}/verify", data=body, method="POST"), opener)

    def health(self) -> tuple[int, dict]:
        with urllib.request.urlopen(self.base + "/healthz", timeout=10) as response:
            return response.status, json.loads(response.read())

    @staticmethod
    def _status(request, opener=None) -> int:
        try:
            with (opener.open if opener else urllib.request.urlopen)(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code


@pytest.fixture
def portal_with_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is missing: run scripts/setup.sh")
    redis_port, web_port = _free_port(), _free_port()
    env = {"PATH": os.environ["PATH"], "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
           "SECRET_KEY": "outage-test", "UPLOAD_DIR": str(tmp_path / "uploads"),
           "VERIFY_API_LIMIT_PER_KEY": "6 per minute", "VERIFY_LIMIT_PER_IDENTITY": "2 per minute",
           "VERIFY_LOG_FLUSH_SECONDS": "0"}
    prepared = subprocess.run([sys.executable, "-c", PREPARE], cwd=ROOT, env=env, capture_output=True, text=True,
                              check=True, timeout=300)
    data = json.loads(prepared.stdout.strip().splitlines()[-1])
    store = _start_redis(redis_port)
    log = (tmp_path / "gunicorn.log").open("w+")
    env |= {"REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", "RATELIMIT_RETRY_SECONDS": "0"}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{web_port}",
                               "--workers", "1", "--worker-class", "gthread", "--threads", "1"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    portal = Portal(f"http://127.0.0.1:{web_port}", data["key"], data["name"], data["id_number"])
    state = {"store": store}
    try:
        for _ in range(200):
            try:
                portal.health()
                break
            except OSError:
                time.sleep(0.1)
        yield portal, state, redis_port, log
    finally:
        _stop(server)
        if state["store"].poll() is None:
            _stop(state["store"])
        log.close()


def _log_text(log) -> str:
    log.flush()
    log.seek(0)
    return log.read()


def test_lookups_survive_the_store_going_away_and_coming_back(portal_with_redis):
    portal, state, redis_port, log = portal_with_redis
    store = redis.Redis(port=redis_port)

    assert portal.api() == 200 and portal.page() == 200
    assert portal.health() == (200, {"status": "ok"})
    assert store.keys("LIMITS:*"), "lookups are counted in the shared store"

    _stop(state["store"])
    # Per-process limits: the key's 6 per minute start afresh in memory, and still hold.
    assert [portal.api() for _ in range(7)] == [200] * 6 + [429]
    assert [portal.page() for _ in range(3)] == [200] * 3
    assert portal.health() == (200, {"status": "degraded"})
    assert _log_text(log).count("rate-limit store unreachable") == 1

    state["store"] = _start_redis(redis_port)
    assert portal.api() == 200 and portal.page() == 200
    assert portal.health() == (200, {"status": "ok"})
    assert store.keys("LIMITS:*"), "counting is shared again"
    assert _log_text(log).count("rate-limit store answers again") == 1


def test_a_spent_identity_is_read_with_the_address_count_and_not_counted(portal_with_redis):
    """The page asks Redis for the address count and the queried number's budget in one round
    trip; only misses spend the number's budget, and a refused lookup spends nothing more."""
    portal, _, redis_port, _ = portal_with_redis
    store = redis.Redis(port=redis_port)
    assert [portal.page() for _ in range(3)] == [200] * 3, "correct lookups do not spend the number's budget"
    assert [portal.page(name="错误姓名") for _ in range(2)] == [200, 200]
    identity = [key for key in store.keys("LIMITS:*") if b"identity" in key]
    assert len(identity) == 1 and int(store.get(identity[0])) == 2
    assert portal.page() == 429, "the number's budget is used up, even for the right name"
    assert int(store.get(identity[0])) == 2
    address = [key for key in store.keys("LIMITS:*") if b"address" in key]
    assert address and all(int(store.get(key)) == 6 for key in address), "every lookup counted for the address"
