"""The code tables and region codes an import checks cells against, loaded once per run."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select

from portal.domain.text import clean
from portal.extensions import db
from portal.models import CodeItem, Region

CODED_KINDS = ("id_type", "unit_nature", "education", "degree", "affiliation", "obtain_method")
_LEADING_CODE = re.compile(r"([0-9]+)\s*(.*)", re.ASCII | re.DOTALL)


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", clean(text))


@dataclass
class CodeBook:
    """One code table: cell text (name, former name, official code or "code name") -> key."""

    kind: str
    by_text: dict[str, str] = field(default_factory=dict)
    by_code: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # key -> current name

    def add(self, key: str, name: str, former: tuple[str, ...], official: str | None) -> None:
        self.names[key] = name
        for text in (name, *former):
            self.by_text.setdefault(_squeeze(text), key)
        if official:
            self.by_code.setdefault(official.lstrip("0") or "0", key)

    def lookup(self, raw) -> str | None:
        text = _squeeze(raw)
        if not text:
            return None
        if text in self.by_text:
            return self.by_text[text]
        leading = _LEADING_CODE.fullmatch(text)
        if leading:
            code, rest = leading.group(1), leading.group(2)
            if rest and rest in self.by_text:
                return self.by_text[rest]
            return self.by_code.get(code.lstrip("0") or "0")
        return None


@dataclass
class Reference:
    books: dict[str, CodeBook]
    series: list[tuple[str, str | None, str, tuple[str, ...]]]
    series_names: dict[str, str]
    title_levels: dict[tuple[str, str], set[str]]  # (series key, title name) -> levels
    regions: frozenset[str]

    @classmethod
    def load(cls) -> "Reference":
        books = {kind: CodeBook(kind) for kind in CODED_KINDS}
        series, series_names, title_levels = [], {}, {}
        for item in db.session.scalars(select(CodeItem).where(CodeItem.active.is_(True)).order_by(CodeItem.sort)):
            former = item.former_name_list
            if item.kind in books:
                books[item.kind].add(item.key, item.name, former, item.official_code)
            elif item.kind == "title_series":
                series.append((item.key, item.official_code, item.name, former))
                series_names[item.key] = item.name
            elif item.kind == "title_name" and item.series and item.level:
                for name in (item.name, *former):
                    title_levels.setdefault((item.series, _squeeze(name)), set()).add(item.level)
        regions = frozenset(db.session.scalars(select(Region.code)))
        return cls(books, series, series_names, title_levels, regions)

    def title_levels_of(self, series: str, title_name: str) -> set[str]:
        return self.title_levels.get((series, _squeeze(title_name)), set())
