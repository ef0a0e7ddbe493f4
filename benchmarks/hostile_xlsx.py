"""Peak memory of the web process while hostile workbooks are uploaded.

    .venv/bin/python benchmarks/hostile_xlsx.py [--megabytes 390] [--at-once 3]

Builds a small .xlsx whose shared-strings part inflates to --megabytes MB (once declared
honestly in the zip, once declared as 4 KB), then posts it --at-once times in parallel to the
Excel import and to the employer batch check of an app on a throw-away SQLite database, with
the task queue in a temporary file and no worker running: what the web process itself does
with such a file. Then the worker's part: the queued import run in a fresh process under the
worker's memory cap. Prints the resident-set peak (VmHWM) of each process before and after.
"""
from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
import tempfile
import threading
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def peak_mb() -> float:
    return int(re.search(r"VmHWM:\s+(\d+)", Path("/proc/self/status").read_text()).group(1)) / 1024


def bomb(path: Path, megabytes: int, declare: int | None) -> bytes:
    from tests.fixtures.workbooks import RIZHAO_HEADERS, rizhao_row, shared_strings_xlsx
    from tests.unit.test_imports_hostile import _huge_strings, _with_part

    source = path.with_suffix(".source.xlsx")
    shared_strings_xlsx(source, "职称证书信息", [RIZHAO_HEADERS, rizhao_row(1)])
    _with_part(source, path, "xl/sharedStrings.xml", _huge_strings(megabytes), declare=declare)
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("xl/sharedStrings.xml").file_size == (declare or archive.getinfo(
            "xl/sharedStrings.xml").file_size)
    return path.read_bytes()


def web(workdir: Path, data: bytes, at_once: int) -> dict:
    from portal import create_app
    from portal.extensions import db

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'web.sqlite3'}", "UPLOAD_DIR": str(workdir / "uploads"),
        "TASK_QUEUE_PATH": str(workdir / "tasks.sqlite3"), "TASKS_IMMEDIATE": False, "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    })
    with app.app_context():
        from portal import demo
        from portal.reference import seed

        db.create_all()
        seed()
        demo.run(certificates=0)
    before = peak_mb()
    answers = []

    def post(path: str, field: str) -> None:
        client = app.test_client()
        client.post("/login", data={"username": "unit_demo", "password": "Demo@2026"})
        response = client.post(path, data={field: (io.BytesIO(data), "bomb.xlsx")}, content_type="multipart/form-data")
        answers.append((path, response.status_code, "共享字符串部分过大" in response.get_data(as_text=True)))

    threads = [threading.Thread(target=post, args=target) for target in
               [("/excel/import", "workbook"), ("/verify/batch", "file")] * at_once]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"process": "web", "peak_before_mb": round(before, 1), "peak_after_mb": round(peak_mb(), 1),
            "answers": sorted(answers)}


def worker(path: Path) -> dict:
    from portal.imports.reader import WorkbookError, find_data_sheet
    from portal.tasks import limit_memory

    limit_memory(2048)
    before = peak_mb()
    try:
        find_data_sheet(path, "xlsx")
        outcome = "read"
    except WorkbookError as exc:
        outcome = exc.code
    return {"process": "worker", "peak_before_mb": round(before, 1), "peak_after_mb": round(peak_mb(), 1),
            "outcome": outcome}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=int, default=390)
    parser.add_argument("--at-once", type=int, default=3)
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        path = Path(args.file)
        result = web(path.parent, path.read_bytes(), args.at_once) if args.phase == "web" else worker(path)
        print(json.dumps(result, ensure_ascii=False))
        return
    workdir = Path(tempfile.mkdtemp(prefix="hostile-xlsx-"))
    for declare in (None, 4096):
        path = workdir / f"bomb-{declare or 'honest'}.xlsx"
        data = bomb(path, args.megabytes, declare)
        label = "declared honestly" if declare is None else "declared as 4 KB"
        print(f"# {len(data) // 1024} KB file, sharedStrings {args.megabytes} MB {label}", flush=True)
        for phase in ("web", "worker"):
            # A fresh process each: Linux's VmHWM is per process, never inherited across exec.
            output = subprocess.run([sys.executable, __file__, "--phase", phase, "--file", str(path),
                                     "--at-once", str(args.at_once)], capture_output=True, text=True,
                                    cwd=workdir, check=False)
            if output.returncode:
                raise SystemExit(output.stdout + output.stderr)
            print(output.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
