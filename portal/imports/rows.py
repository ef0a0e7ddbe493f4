"""Checking one spreadsheet row with the record rules of portal.domain.records.

The rules are the form's; what is added here is only speed. A column of 100 000 rows holds a few
dozen distinct series, levels, authorities and dates, so each field reader runs once per
distinct cell value of its column and the answer is remembered for the run.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from portal.domain import records
from portal.domain.problems import Problem, has_errors

# The certificate columns an import writes (the form-only ones stay empty).
CERT_FIELDS = ("cert_no", "issue_date", "grant_date", "review_year", "series", "level", "title_name",
               "has_review_specialty", "review_specialty", "local_review_specialty", "issuing_authority",
               "review_committee_name", "evaluation_region_code", "approval_doc_no", "approval_department",
               "handling_status", "obtain_method")


@dataclass(slots=True)
class CheckedRow:
    row: int  # the row number as Excel shows it
    person: dict = field(default_factory=dict)
    cert: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # (id_type, id_number) once both are known, else None; the run looks rows up by it again and again.
    key: tuple | None = None

    @property
    def ok(self) -> bool:
        return not self.problems or not has_errors(self.problems)


class _Memo(dict):
    """raw -> compute(raw), once per distinct value. Text and dates are their own keys, so a hit
    is a plain dict lookup; numbers and booleans are kept apart by type, since 1, 1.0 and True
    are equal dict keys, yet different cells."""

    __slots__ = ("compute", "typed")

    def __init__(self, compute):
        super().__init__()
        self.compute = compute
        self.typed = {}

    def __missing__(self, raw):
        if isinstance(raw, (bool, int, float)):
            key = (raw.__class__, raw)
            try:
                return self.typed[key]
            except KeyError:
                value = self.typed[key] = self.compute(raw)
                return value
        value = self[raw] = self.compute(raw)
        return value


def _memoised(compute):
    return _Memo(compute).__getitem__


class MemoReaders(records.FieldReaders):
    """The domain's field readers, each remembered per distinct input for one run."""

    def __init__(self, ctx: records.RecordContext):
        super().__init__(ctx)
        self.read = {name: _memoised(reader) for name, reader in self.read.items()}
        self.id_type = _memoised(self.id_type)
        self.title_level = _memoised(self.title_level)
        self.scope = _memoised(self.scope)


class RowChecker:
    def __init__(self, ctx: records.RecordContext):
        self.ctx = ctx
        self.readers = MemoReaders(ctx)

    def check(self, row_number: int, cells: dict, notes: dict | None = None) -> CheckedRow:
        person, problems = records.check_person(cells, self.ctx, self.readers)
        if notes and notes.get("approval_doc_no") and records.is_blank(cells.get("approval_doc_no")):
            # A Shaanxi sheet states the 批准文号 once, in a line above the header.
            cells = dict(cells, approval_doc_no=notes["approval_doc_no"][:128])
        cert, cert_problems = records.check_certificate(cells, self.ctx, self.readers,
                                                        birth_date=person.get("birth_date"))
        problems += cert_problems
        id_type, number = person["id_type"], person["id_number"]
        return CheckedRow(row_number, person, cert, problems, (id_type, number) if id_type and number else None)
