"""What each role's home page shows: the records in its scope, counted by status."""
from sqlalchemy import func, select

from portal.access import visibility
from portal.domain.workflow import STATUSES
from portal.extensions import db
from portal.models import Certificate


def status_counts(user) -> list[tuple[str, str, int]]:
    rows = db.session.execute(
        select(Certificate.status, func.count()).where(visibility(Certificate, user)).group_by(Certificate.status)
    ).all()
    counts = dict(rows)
    return [(status, label, counts.get(status, 0)) for status, label in STATUSES.items()]
