"""Starting the app loads no PDF engine, signature library or migration tool.

Every web worker and every command pays for what importing the app imports (WeasyPrint alone
took about a second); the heavy libraries are imported by the functions that use them.
"""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("weasyprint", "pyhanko", "aiohttp", "alembic", "flask_migrate", "fontTools.subset")


def _loaded_after(code: str, tmp_path) -> set[str]:
    probe = f"import json, sys\n{code}\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path / 'startup.sqlite3'}",
           "SECRET_KEY": "startup-test", "UPLOAD_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True,
                            text=True, check=True, timeout=120)
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def test_importing_the_app_loads_no_heavy_library(tmp_path):
    assert _loaded_after("import wsgi", tmp_path) == set()


def test_a_command_other_than_migrations_loads_no_heavy_library(tmp_path):
    code = ("import wsgi\n"
            "result = wsgi.app.test_cli_runner().invoke(args=['import-xlsx', '--help'])\n"
            "assert result.exit_code == 0, result.output")
    assert _loaded_after(code, tmp_path) == set()


def test_migration_commands_load_when_asked_for(tmp_path):
    code = ("import wsgi\n"
            "result = wsgi.app.test_cli_runner().invoke(args=['db', 'heads'])\n"
            "assert result.exit_code == 0 and '(head)' in result.output, result.output")
    assert {"alembic", "flask_migrate"} <= _loaded_after(code, tmp_path)
