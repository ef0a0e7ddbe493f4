"""The one place that decides which internal rows the current user may see.

Every query of internal data goes through `scoped()` or `get_scoped_or_404()`; views never
build their own access filter. A model declares in ``__scope__`` which of its columns hold the
owning organisation, the owning unit's region, the person and the evaluating committee.
"""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import ColumnElement, false, select, true

from portal.domain.regions import SUBTREE_DIGITS
from portal import models
from portal.extensions import db
from portal.models import Organization


def permitted(allowed):
    """A view decorator: signed in, and ``allowed(current_user)``, else 403."""
    def decorate(view):
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if not allowed(current_user):
                abort(403)
            return view(*args, **kwargs)
        return wrapper
    return decorate


def _column(model, name: str | None):
    column_name = model.__scope__.get(name)
    return getattr(model, column_name) if column_name else None


def visibility(model, user) -> ColumnElement[bool]:
    """SQL condition limiting `model` rows to what `user` may see."""
    if user is None or not user.is_authenticated:
        return false()
    via = model.__scope__.get("via")
    if via:
        # Rows owned through another scoped row (evidence through its person) follow that row.
        column_name, target_name = via
        target = getattr(models, target_name)
        pk = target.__mapper__.primary_key[0]
        return getattr(model, column_name).in_(select(pk).where(visibility(target, user)))
    role, org = user.role, user.org
    if role == "admin" and org is None:
        return true()
    if role == "person":
        column = _column(model, "person")
        return column == user.person_id if column is not None and user.person_id else false()
    if org is None:
        return false()
    if role in SUBTREE_DIGITS or role == "admin":
        office_type = role if role in SUBTREE_DIGITS else org.type
        digits = SUBTREE_DIGITS.get(office_type, 6)
        column = _column(model, "region")
        return column.startswith(org.region_code[:digits], autoescape=True) if column is not None else false()
    if role == "department":
        column = _column(model, "org")
        if column is None:
            return false()
        subtree = select(Organization.id).where(Organization.path.startswith(org.path, autoescape=True))
        return column.in_(subtree)
    if role == "committee":
        column = _column(model, "committee")
        if column is None:
            column = _column(model, "org")
        return column == org.id if column is not None else false()
    if role == "unit":
        column = _column(model, "org")
        return column == org.id if column is not None else false()
    return false()


def scoped(model, user=None):
    """`select(model)` limited to the rows the user (default: current user) may see."""
    return select(model).where(visibility(model, user if user is not None else current_user))


def get_scoped_or_404(model, ident, user=None):
    """The row with primary key `ident` if the user may see it, else 404 (not 403: no oracle)."""
    user = user if user is not None else current_user
    pk = model.__mapper__.primary_key[0]
    row = db.session.scalar(select(model).where(pk == ident, visibility(model, user)))
    if row is None:
        abort(404)
    return row


def can_see(model, ident, user=None) -> bool:
    """Whether the row `ident` of `model` lies within the user's scope (for links and drill-downs)."""
    user = user if user is not None else current_user
    pk = model.__mapper__.primary_key[0]
    return db.session.scalar(select(pk).where(pk == ident, visibility(model, user))) is not None
