"""Template globals and filters shared by every page."""
from datetime import datetime, timedelta, timezone

from portal import labels
from portal.domain.idnumber import mask_id
from portal.domain.workflow import status_label
from portal.models.org import ORG_TYPES
from portal.models.user import ROLES


BEIJING = timezone(timedelta(hours=8))


def beijing_time(moment: datetime | None) -> str:
    """Stored times are UTC (SQLite hands them back naive); people read Beijing time."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def init_app(app) -> None:
    app.jinja_env.filters["beijing_time"] = beijing_time
    labels.init_app(app)
    app.jinja_env.filters["mask_id"] = mask_id
    app.jinja_env.filters["status_label"] = status_label
    app.jinja_env.globals.update(ROLES=ROLES, ORG_TYPES=ORG_TYPES)

    @app.template_filter("ymd")
    def ymd(value):
        return value.strftime("%Y-%m-%d") if value else ""
