"""The app of the PostgreSQL benchmarks (DATABASE_URL), and their `schema` step."""
from __future__ import annotations

import os
import sys

from portal import create_app
from portal.extensions import db


def benchmark_app():
    url = os.environ.get("DATABASE_URL")
    if not url or not url.startswith("postgresql"):
        sys.exit("Set DATABASE_URL to the PostgreSQL benchmark database (see the module docstring).")
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})


def schema() -> None:
    """Create the tables from the models and load the reference data."""
    app = benchmark_app()
    with app.app_context():
        db.create_all()
        from portal.reference import seed

        seed()
    print("schema and reference data ready")
