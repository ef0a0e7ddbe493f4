"""One answer to "page or fragment?" for every route that serves both.

htmx 2 restores history after a cache miss by fetching the URL again with HX-Request *and*
HX-History-Restore-Request; that request needs the whole page, or Back shows bare table rows.
"""
from __future__ import annotations

from flask import request


def wants_fragment(target: str | None = None) -> bool:
    """An htmx request for part of the page (for `target`'s id when given), not a history restore."""
    if not request.headers.get("HX-Request") or request.headers.get("HX-History-Restore-Request"):
        return False
    return target is None or request.headers.get("HX-Target") == target
