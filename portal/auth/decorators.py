"""Role checks for views: log in first, then 403 unless the user's role is allowed."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from portal.models.user import ROLES

STAFF_ROLES = tuple(role for role in ROLES if role != "person")


def roles_required(*roles):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapper
    return decorator


admin_required = roles_required("admin")
staff_required = roles_required(*STAFF_ROLES)
