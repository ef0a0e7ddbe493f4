"""通知公告: an office tells the organisations under it something, and sees who has read it.

Recipients are fixed when the notice is published (organisations created later do not receive
it), so "who has not read it" always refers to the same list.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, func, select

from portal.access import scoped, visibility
from portal.extensions import db
from portal.models import InternalNotice, NoticeAttachment, NoticeRecipient, Organization, Region
from portal.models._types import utcnow
from portal.models.org import ORG_TYPES
from portal.uploads import UploadRejected, check_file, store

PUBLISHER_ROLES = ("department", "county_office", "city_office", "province_office")
PAGE_SIZE = 30


class PublishError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Attachment:
    filename: str
    data: bytes


def can_publish(user) -> bool:
    return user.is_authenticated and user.role in PUBLISHER_ROLES and user.org is not None


def candidate_orgs(user):
    """Organisations under the publisher: within its scope, itself excluded."""
    return scoped(Organization, user).where(Organization.id != user.org_id)


def type_choices(user) -> list[tuple[str, str]]:
    present = set(db.session.scalars(candidate_orgs(user).with_only_columns(Organization.type).distinct()))
    return [(key, label) for key, label in ORG_TYPES.items() if key in present]


def region_choices(user) -> list[tuple[str, str]]:
    codes = set(db.session.scalars(candidate_orgs(user).with_only_columns(Organization.region_code).distinct()))
    names = dict(db.session.execute(select(Region.code, Region.name).where(Region.code.in_(codes))).all())
    return [(code, names.get(code, code)) for code in sorted(codes)]


def publish(user, *, title: str, body: str, deadline, org_types: list[str], regions: list[str],
            attachments: list[Attachment]) -> InternalNotice:
    stmt = candidate_orgs(user).with_only_columns(Organization.id)
    if org_types:
        stmt = stmt.where(Organization.type.in_(org_types))
    if regions:
        stmt = stmt.where(Organization.region_code.in_(regions))
    recipient_ids = list(db.session.scalars(stmt))
    if not recipient_ids:
        raise PublishError("按所选单位类型和地区，没有可以接收通知的单位")
    checked = []
    for attachment in attachments:
        try:
            checked.append((attachment, check_file("notice_attachment", attachment.filename, attachment.data)))
        except UploadRejected as error:
            raise PublishError(f"附件“{attachment.filename}”：{error}") from None
    notice = InternalNotice(org_id=user.org_id, region_code=user.org.region_code, title=title.strip(),
                            body=body.strip(), deadline=deadline, target_types=org_types or None,
                            target_regions=regions or None, published_by_id=user.id)
    db.session.add(notice)
    db.session.flush()
    db.session.add_all(NoticeRecipient(notice_id=notice.id, org_id=org_id) for org_id in recipient_ids)
    for attachment, result in checked:
        db.session.add(NoticeAttachment(notice_id=notice.id, filename=attachment.filename[:200],
                                        stored_path=store(attachment.data, result), size=result.size,
                                        sha256=result.sha256))
    db.session.commit()
    return notice


def _received(user):
    return exists().where(NoticeRecipient.notice_id == InternalNotice.id, NoticeRecipient.org_id == user.org_id)


def visible(user, notice_id: int) -> InternalNotice | None:
    """The notice if the user's organisation published it (or supervises its publisher) or received it."""
    if not user.is_authenticated:
        return None
    condition = visibility(InternalNotice, user)
    if user.org_id is not None:
        condition = condition | _received(user)
    return db.session.scalar(select(InternalNotice).where(InternalNotice.id == notice_id, condition))


def published(user) -> list[tuple[InternalNotice, int, int]]:
    """The user's organisation's notices with (recipients, read) counts, newest first."""
    notices = list(db.session.scalars(scoped(InternalNotice, user).where(InternalNotice.org_id == user.org_id)
                                      .order_by(InternalNotice.id.desc()).limit(PAGE_SIZE)))
    counts = {notice_id: (total, read) for notice_id, total, read in db.session.execute(
        select(NoticeRecipient.notice_id, func.count(), func.count(NoticeRecipient.read_at))
        .where(NoticeRecipient.notice_id.in_([n.id for n in notices])).group_by(NoticeRecipient.notice_id))}
    return [(n, *counts.get(n.id, (0, 0))) for n in notices]


def received(user, unread_only: bool = False, open_only: bool = False) -> list[tuple[InternalNotice, NoticeRecipient]]:
    if user.org_id is None:
        return []
    stmt = (select(InternalNotice, NoticeRecipient)
            .join(NoticeRecipient, NoticeRecipient.notice_id == InternalNotice.id)
            .where(NoticeRecipient.org_id == user.org_id).order_by(InternalNotice.id.desc()).limit(PAGE_SIZE))
    if unread_only:
        stmt = stmt.where(NoticeRecipient.read_at.is_(None))
    if open_only:
        stmt = stmt.where(InternalNotice.closed_at.is_(None))
    return [tuple(row) for row in db.session.execute(stmt)]


def home_notices(user) -> list[InternalNotice]:
    """What the home page lists: open notices the user's organisation has not read yet."""
    if not user.is_authenticated or user.org_id is None:
        return []
    return [notice for notice, _ in received(user, unread_only=True, open_only=True)]


def recipient_of(user, notice: InternalNotice) -> NoticeRecipient | None:
    if user.org_id is None:
        return None
    return db.session.scalar(select(NoticeRecipient).where(
        NoticeRecipient.notice_id == notice.id, NoticeRecipient.org_id == user.org_id))


def mark_read(user, notice: InternalNotice) -> bool:
    """The first reader of a recipient organisation signs for it; later readers change nothing."""
    row = recipient_of(user, notice)
    if row is None or row.read_at is not None:
        return False
    row.read_at = utcnow()
    row.read_by_id = user.id
    db.session.commit()
    return True


def recipients(notice: InternalNotice) -> list[NoticeRecipient]:
    return list(db.session.scalars(
        select(NoticeRecipient).join(Organization, Organization.id == NoticeRecipient.org_id)
        .where(NoticeRecipient.notice_id == notice.id)
        .order_by(NoticeRecipient.read_at.is_not(None), Organization.path)))


def can_manage(user, notice: InternalNotice) -> bool:
    """The publisher and the offices above it see the read receipts."""
    return db.session.scalar(select(InternalNotice.id).where(
        InternalNotice.id == notice.id, visibility(InternalNotice, user))) is not None
