"""The one search box of the certificate lists (/certificates, the review queue): 姓名 by prefix,
the last four characters of the 证件号码, a whole 证件号码, or 证书编号 by prefix."""
from __future__ import annotations

import re

from sqlalchemy import ColumnElement, select

from portal.models import Certificate, Person

_ID_TAIL = re.compile(r"[0-9]{3}[0-9X]")
_ID_NUMBER = re.compile(r"[0-9]{14}[0-9X]|[0-9]{17}[0-9X]")
_HAS_DIGIT = re.compile(r"[0-9]")


def certificate_condition(q: str) -> ColumnElement[bool]:
    text = q.strip().upper()
    if _ID_TAIL.fullmatch(text):
        return Certificate.person_id.in_(select(Person.id).where(Person.id_tail == text))
    if _ID_NUMBER.fullmatch(text):
        return Certificate.person_id.in_(select(Person.id).where(Person.id_number == text))
    if _HAS_DIGIT.search(text):
        return Certificate.cert_no.startswith(q.strip(), autoescape=True)
    return Certificate.person_id.in_(select(Person.id).where(Person.name.startswith(q.strip(), autoescape=True)))
