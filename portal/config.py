"""Configuration from the environment, with defaults that are safe for a single machine.

The only module that reads the environment: every other one reads `current_app.config`, and a
test or a wrapper overrides any value through `create_app(test_config)`.
"""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path


def _instance_secret(name: str, instance_path: Path) -> str:
    """A key from the environment variable `name`, else a random one kept in the instance folder.

    Keeping it on disk means sessions (SECRET_KEY) and the trail (AUDIT_KEY) survive a restart
    of the demo server without anyone having to invent a key; production sets both explicitly.
    """
    if os.environ.get(name):
        return os.environ[name]
    key_file = instance_path / name.lower()
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _database_url(instance_path: Path) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{instance_path / 'portal.sqlite3'}"
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants the driver named.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


# Verification limits use Flask-Limiter's notation; several are separated by ";". The
# environment overrides each (the benchmark raises the limits this way).
VERIFY_DEFAULTS = {
    # Public page and QR links, per client address.
    "VERIFY_LIMIT_PER_ADDRESS": "30 per minute;300 per day",
    # Public page, per queried 证件号码 / 证书编号, counting misses only: stops guessing the name of an ID.
    "VERIFY_LIMIT_PER_IDENTITY": "10 per minute;50 per day",
    # Signed verification reports (PDF, about half a second of work each), per client address.
    "VERIFY_REPORT_LIMIT": "10 per minute;60 per day",
    # API, per key.
    "VERIFY_API_LIMIT_PER_KEY": "600 per minute;100000 per day",
    # How long a worker process trusts a key it has checked (a revocation reaches it that late).
    "VERIFY_API_KEY_CACHE_SECONDS": 10.0,
    # Employer batch uploads, per account.
    "VERIFY_BATCH_LIMIT": "20 per hour;100 per day",
    "VERIFY_BATCH_MAX_ROWS": 5000,
    "VERIFY_BATCH_MAX_MB": 5,
    # Lookup records are written in batches every this many seconds; 0 writes each one inline.
    "VERIFY_LOG_FLUSH_SECONDS": 1.0,
}


def _typed(default, raw: str):
    if isinstance(default, bool):
        return raw.lower() in ("1", "true", "yes")
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw


def font_dir(instance_path: Path) -> str:
    """PORTAL_FONT_DIR, else instance/fonts; also asked by the font build script, outside any app."""
    return os.environ.get("PORTAL_FONT_DIR") or str(instance_path / "fonts")


def from_environment(instance_path: Path) -> dict:
    redis_url = os.environ.get("REDIS_URL") or None
    return {
        "SECRET_KEY": _instance_secret("SECRET_KEY", instance_path),
        # Keys the trail's hashes and checkpoints; never stored in the database.
        "AUDIT_KEY": _instance_secret("AUDIT_KEY", instance_path),
        "AUDIT_CHECKPOINT_DIR": os.environ.get("AUDIT_CHECKPOINT_DIR") or str(instance_path / "audit-checkpoints"),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        # Parameters (ID numbers, names) stay out of database errors and the tracebacks logging them.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        # A store that does not answer must not hold requests up (see portal.ratelimit).
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5} if redis_url else {},
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_RETRY_SECONDS": float(os.environ.get("RATELIMIT_RETRY_SECONDS", "5")),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Checks per account of whether an ID number is registered (inline check, accounts, import).
        "IDENTITY_LOOKUP_LIMIT": os.environ.get("IDENTITY_LOOKUP_LIMIT", "600 per hour;3000 per day"),
        # Retirement age by sex at which an application is refused ("男:60,女:55"); a setting,
        # as the ages rise step by step from 2025.
        "EVALUATION_RETIREMENT_AGES": {
            sex: int(age) for sex, _, age in (
                pair.partition(":") for pair in os.environ.get("EVALUATION_RETIREMENT_AGES", "男:60,女:55").split(","))},
        # The demo issues each submitted applicant's signed truthfulness letter (about a second each);
        # the test suite, which builds the demo for every test, turns it off.
        "DEMO_COMMITMENT_LETTERS": os.environ.get("DEMO_COMMITMENT_LETTERS", "1") == "1",
        # The fewest experts a committee meeting may pick (always an odd number of them).
        "COMMITTEE_MIN_MEMBERS": int(os.environ.get("COMMITTEE_MIN_MEMBERS", "7")),
        # Years a person whose evaluation result is found false stays blacklisted (人社部令第40号: 3).
        "FRAUD_BLACKLIST_YEARS": int(os.environ.get("FRAUD_BLACKLIST_YEARS", "3")),
        "PERMANENT_SESSION_LIFETIME": timedelta(minutes=int(os.environ.get("SESSION_IDLE_MINUTES", "30"))),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        "REMEMBER_COOKIE_DURATION": timedelta(0),
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_MB", "64")) * 1024 * 1024,
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR") or str(instance_path / "uploads"),
        # Absolute session lifetime beside the idle timeout, whatever the activity.
        "SESSION_ABSOLUTE_HOURS": float(os.environ.get("SESSION_ABSOLUTE_HOURS", "12")),
        # Failed logins allowed before delays start (per typed username / per client network),
        # the window they are counted in and the longest delay they grow to.
        "LOGIN_FREE_FAILURES": 3,
        "LOGIN_FREE_FAILURES_PER_ADDRESS": 10,
        "LOGIN_THROTTLE_WINDOW_MINUTES": 15,
        "LOGIN_MAX_DELAY_SECONDS": 300,
        # Uploaded import workbooks and their annotated copies are removed after this many days.
        "IMPORT_FILE_RETENTION_DAYS": int(os.environ.get("IMPORT_FILE_RETENTION_DAYS", "30")),
        # 0: statistics are always exact; more: a cube that young is served although data moved.
        "STATS_MAX_AGE_SECONDS": int(os.environ.get("STATS_MAX_AGE_SECONDS", "0")),
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        # The portal CA's key and certificate, never in the database.
        "CA_DIR": os.environ.get("CA_DIR") or str(instance_path / "ca"),
        # Extra trusted root certificates (PEM/DER) for /documents/verify.
        "TRUSTED_ROOTS_DIR": os.environ.get("TRUSTED_ROOTS_DIR") or None,
        # Protects stored organisation signing keys; SECRET_KEY when unset.
        "SIGNING_KEY": os.environ.get("SIGNING_KEY") or None,
        "PORTAL_FONT_DIR": font_dir(instance_path),
        # The office the public home page tells visitors to contact.
        "OFFICE_NAME": os.environ.get("OFFICE_NAME", "人力资源和社会保障局专业技术人员管理科（职称改革办公室）"),
        "OFFICE_PHONE": os.environ.get("OFFICE_PHONE", "0633-12333"),
        "OFFICE_ADDRESS": os.environ.get("OFFICE_ADDRESS", "人力资源和社会保障局政务服务大厅职称窗口"),
        "OFFICE_HOURS": os.environ.get("OFFICE_HOURS", "工作日 上午 9:00–12:00，下午 13:30–17:00"),
        # The task queue of `flask worker` (portal.tasks): Redis when REDIS_URL is set, else this file.
        "TASK_QUEUE_PATH": os.environ.get("TASK_QUEUE_PATH") or str(instance_path / "tasks.sqlite3"),
        "TASKS_IMMEDIATE": os.environ.get("TASKS_IMMEDIATE", "0") == "1",
        "WORKER_PROCESSES": int(os.environ.get("WORKER_PROCESSES", "2")),
        # Electronic certificates: the issuer's SM2 key (never in the database), the issuing deadline
        # after confirmation, use copies (使用件: longest validity, how many live at once), bulk size.
        "ECERT_KEY_DIR": os.environ.get("ECERT_KEY_DIR") or str(instance_path / "ecert"),
        "ECERT_DUE_WORKDAYS": int(os.environ.get("ECERT_DUE_WORKDAYS", "5")),
        "ECERT_USE_COPY_MAX_DAYS": int(os.environ.get("ECERT_USE_COPY_MAX_DAYS", "90")),
        "ECERT_USE_COPY_MAX_LIVE": int(os.environ.get("ECERT_USE_COPY_MAX_LIVE", "3")),
        "ECERT_BULK_MAX": int(os.environ.get("ECERT_BULK_MAX", "1000")),
        # Address-space cap of each worker process; 0 turns it off.
        "WORKER_MEMORY_MB": int(os.environ.get("WORKER_MEMORY_MB", "2048")),
    } | {name: _typed(default, os.environ[name]) if os.environ.get(name) else default
         for name, default in VERIFY_DEFAULTS.items()}
