"""Checking one spreadsheet row with the shared domain rules.

The checker turns raw cell values into the Person and Certificate columns they stand for,
collecting every problem on the way. Rules come from portal.domain; what is added here is
only what needs several cells at once (birth date before the issue date, title name against
level) and the reading of cell types (numbers in text columns, date cells).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial

from portal.domain.dates import format_iso, parse_date
from portal.domain.idnumber import RESIDENT_ID_TYPES, check_id_document, check_resident_id, cross_check
from portal.domain.names import check_person_name
from portal.domain.problems import Problem, error, has_errors, warning
from portal.domain.regions import parse_region_cell
from portal.domain.scope import ScopeRules, check_scope
from portal.domain.text import clean
from portal.domain.titles import base_level, normalize_level, normalize_series
from portal.imports.reference import Reference

# Column widths of the tables the values go to: longer text is an error, never cut silently.
TEXT_LIMITS = {
    "employer_name": 128, "title_name": 128, "review_specialty": 128, "local_review_specialty": 128,
    "issuing_authority": 128, "review_committee_name": 128, "approval_doc_no": 128,
    "approval_department": 128, "handling_status": 32, "phone": 32, "cert_no": 64,
}
TEXT_LABELS = {
    "employer_name": "现工作单位", "title_name": "职称名称", "review_specialty": "评审专业名称",
    "local_review_specialty": "本地评审专业名称", "issuing_authority": "发证机构",
    "review_committee_name": "评审机构", "approval_doc_no": "证书批文号", "approval_department": "审批部门",
    "handling_status": "证书办理状态", "phone": "联系电话", "cert_no": "证书编号",
}
PERSON_FIELDS = ("name", "sex", "id_type", "id_number", "birth_date", "employer_name", "unit_nature",
                 "education", "degree", "affiliation", "phone")
CERT_FIELDS = ("cert_no", "issue_date", "grant_date", "review_year", "series", "level", "title_name",
               "has_review_specialty", "review_specialty", "local_review_specialty", "issuing_authority",
               "review_committee_name", "evaluation_region_code", "approval_doc_no", "approval_department",
               "handling_status", "obtain_method")
# Columns whose values repeat down the sheet (authorities, committees): their checks are memoised.
REPEATING_TEXT = frozenset({"employer_name", "title_name", "review_specialty", "local_review_specialty",
                            "issuing_authority", "review_committee_name", "approval_doc_no",
                            "approval_department", "handling_status"})
CODE_LABELS = {"unit_nature": "单位性质", "education": "最高学历", "degree": "最高学位",
               "affiliation": "隶属关系", "obtain_method": "取得方式"}


@dataclass
class CheckedRow:
    row: int  # the row number as Excel shows it
    person: dict = field(default_factory=dict)
    cert: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems or not has_errors(self.problems)


def _is_blank(value) -> bool:
    if value is None or value == "":
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _cell_text(value) -> str:
    """Text of a cell as the user typed it: whole numbers without ".0", dates as YYYYMMDD."""
    if value.__class__ is str:
        return clean(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return f"{value.year:04d}{value.month:02d}{value.day:02d}"
    return clean(value)


def _read_text(raw, field_name: str) -> tuple[str | None, Problem | None]:
    text = _cell_text(raw)
    if not text:
        return None, None
    limit = TEXT_LIMITS[field_name]
    if len(text) > limit:
        return None, error(field_name, "text_too_long",
                           f"{TEXT_LABELS[field_name]}不能超过{limit}个字符，实际为{len(text)}个字符")
    return text, None


def _read_sex(raw) -> tuple[str | None, Problem | None]:
    sex = _cell_text(raw) or None
    if sex is not None and sex not in ("男", "女"):
        return None, error("sex", "sex_invalid", f"性别应填写“男”或“女”，实际为“{sex}”")
    return sex, None


def _read_flag(raw) -> tuple[bool | None, Problem | None]:
    flag = _cell_text(raw)
    if flag in ("是", "否", ""):
        return {"是": True, "否": False}.get(flag), None
    return None, error("has_review_specialty", "flag_invalid",
                       f"评审活动是否设置评审专业应填写“是”或“否”，实际为“{flag}”")


def _memoised(table: dict, raw, compute):
    """compute(raw), once per distinct cell value of a column. The type is part of the key of
    any value but text: 1, 1.0 and True are equal dict keys, yet different cells."""
    key = raw if raw.__class__ is str else (raw.__class__, raw)
    try:
        return table[key]
    except KeyError:
        value = table[key] = compute(raw)
        return value
    except TypeError:  # an unhashable cell value
        return compute(raw)


class RowChecker:
    """Checks rows against the reference data; results of pure lookups are memoised per run,
    since a column of 100 000 rows holds a few dozen distinct series, levels and dates."""

    def __init__(self, reference: Reference, rules: ScopeRules, today: date | None = None):
        self.reference = reference
        self.rules = rules
        self.today = today or date.today()
        self._region_known = reference.regions.__contains__
        # One table per column or rule: distinct input -> its outcome.
        self._memo: dict[str, dict] = {name: {} for name in (
            "id_type", "name", "sex", "birth_date", "issue_date", "grant_date", "series", "level",
            "title_level", "region", "flag", "scope", *CODE_LABELS, *REPEATING_TEXT)}
        self._readers = {
            "id_type": self._read_id_type,
            "name": partial(check_person_name, field="name"),
            "series": self._read_series,
            "level": self._read_level,
            "region": self._read_region,
            **{f: partial(self._read_date, field_name=f) for f in ("birth_date", "issue_date", "grant_date")},
            **{f: partial(self._read_code, field_name=f) for f in CODE_LABELS},
            **{f: partial(_read_text, field_name=f) for f in REPEATING_TEXT},
        }

    def _read_id_type(self, raw) -> tuple[str | None, str]:
        book = self.reference.books["id_type"]
        key = book.lookup(raw)
        if key == "resident_id":
            return key, RESIDENT_ID_TYPES[0]
        return key, (book.names.get(key) if key else _cell_text(raw))

    def _read_date(self, value, field_name: str):
        return parse_date(value, field=field_name, not_after=self.today)

    def _read_series(self, raw):
        return normalize_series(_cell_text(raw), self.reference.series, field="series")

    @staticmethod
    def _read_level(raw):
        return normalize_level(_cell_text(raw), field="level")

    def _read_region(self, raw) -> tuple[str | None, list[Problem]]:
        region, problems = parse_region_cell(_cell_text(raw), field="evaluation_region_code")
        if region and region not in self.reference.regions:
            problems = [*problems, warning("evaluation_region_code", "region_unknown",
                                           f"行政区划代码{region}不在行政区划代码表中，请核对")]
        return region, problems

    def check(self, row_number: int, cells: dict, notes: dict | None = None) -> CheckedRow:
        problems: list[Problem] = []
        memo, readers = self._memo, self._readers
        get = cells.get

        # 证件类型 and 证件号码
        id_type, type_name = _memoised(memo["id_type"], get("id_type"), readers["id_type"])
        if id_type == "resident_id":  # what check_id_document does for this type, one call less
            id_result = check_resident_id(get("id_number"), field="id_number",
                                          region_known=self._region_known, today=self.today)
        else:
            id_result = check_id_document(type_name, get("id_number"), field="id_number",
                                          region_known=self._region_known, today=self.today)
        if id_result.problems:
            problems.extend(id_result.problems)
        person = {"id_type": id_type, "id_number": id_result.value}

        name, name_problems = _memoised(memo["name"], get("name"), readers["name"])
        if name_problems:
            problems.extend(name_problems)
        person["name"] = name

        sex, sex_problem = _memoised(memo["sex"], get("sex"), _read_sex)
        if sex_problem is not None:
            problems.append(sex_problem)
        birth = None
        if "birth_date" in cells:
            birth_result = _memoised(memo["birth_date"], get("birth_date"), readers["birth_date"])
            if birth_result.problems:
                problems.extend(birth_result.problems)
            birth = birth_result.value
        # cross_check reports nothing when the entered date and sex agree with the number (or are empty).
        if id_result.birth_date is not None and id_result.ok and (
                (birth is not None and birth != id_result.birth_date) or (sex is not None and sex != id_result.sex)):
            problems.extend(cross_check(id_result, birth, sex))
        person["sex"] = sex or id_result.sex
        person["birth_date"] = birth or id_result.birth_date

        self._columns(get, ("unit_nature", "education", "degree", "affiliation", "employer_name"), person, problems)
        person["phone"] = self._text(get("phone"), "phone", problems)

        cert: dict = {}
        self._check_certificate(cells, cert, person, problems, notes or {})
        return CheckedRow(row_number, person, cert, problems)

    def _columns(self, get, fields: tuple[str, ...], into: dict, problems: list) -> None:
        """Code and repeating text cells: each distinct value checked once, empty ones skipped."""
        memo, readers = self._memo, self._readers
        for field_name in fields:
            raw = get(field_name)
            if raw is None or raw == "":
                into[field_name] = None
                continue
            table = memo[field_name]
            hit = table.get(raw) if raw.__class__ is str else None
            if hit is None:
                hit = _memoised(table, raw, readers[field_name])
            into[field_name] = hit[0]
            if hit[1] is not None:
                problems.append(hit[1])

    def _code(self, raw, field_name: str, problems: list) -> str | None:
        if raw is None or raw == "":
            return None
        table = self._memo[field_name]
        hit = table.get(raw) if raw.__class__ is str else None
        key, problem = hit if hit is not None else _memoised(table, raw, self._readers[field_name])
        if problem is not None:
            problems.append(problem)
        return key

    def _read_code(self, raw, field_name: str) -> tuple[str | None, Problem | None]:
        if _is_blank(raw):
            return None, None
        book = self.reference.books[field_name]
        key = book.lookup(raw)
        if key is None:
            choices = "、".join(list(book.names.values())[:12])
            return None, error(field_name, f"{field_name}_unknown",
                               f"{CODE_LABELS[field_name]}“{_cell_text(raw)}”不在代码表中，应为{choices}之一")
        return key, None

    def _text(self, raw, field_name: str, problems: list) -> str | None:
        if raw is None or raw == "":
            return None
        if field_name in REPEATING_TEXT:
            table = self._memo[field_name]
            hit = table.get(raw) if raw.__class__ is str else None
            text, problem = hit if hit is not None else _memoised(table, raw, self._readers[field_name])
        else:
            text, problem = _read_text(raw, field_name)
        if problem is not None:
            problems.append(problem)
        return text

    def _title_level_problem(self, series: str, title_name: str, level: str) -> Problem | None:
        known = self.reference.title_levels_of(series, title_name)
        if known and level not in known and base_level(level) not in {base_level(k) for k in known}:
            return warning("title_name", "title_level_mismatch",
                           f"职称名称“{title_name}”对应的级别为{'、'.join(sorted(known))}，"
                           f"与填写的职称级别“{level}”不一致，请核对")
        return None

    def _check_certificate(self, cells: dict, cert: dict, person: dict, problems: list, notes: dict) -> None:
        memo, readers = self._memo, self._readers
        get = cells.get
        cert_no_raw = get("cert_no")
        if isinstance(cert_no_raw, (int, float)) and not isinstance(cert_no_raw, bool):
            problems.append(error("cert_no", "cert_no_excel_number",
                                  "证书编号被Excel存成了数字，开头的0或后几位可能已丢失：请把该列设置为“文本”格式后重新录入证书编号"))
            cert["cert_no"] = None
        else:
            cert["cert_no"] = self._text(cert_no_raw, "cert_no", problems)

        series, series_problems = _memoised(memo["series"], get("series"), readers["series"])
        if series_problems:
            problems.extend(series_problems)
        level, level_problems = _memoised(memo["level"], get("level"), readers["level"])
        if level_problems:
            problems.extend(level_problems)
        cert["series"], cert["level"] = series, level

        title_raw = get("title_name")
        title_name = self._text(title_raw, "title_name", problems)
        if _is_blank(title_raw):
            problems.append(error("title_name", "title_name_required", "请填写职称名称"))
        cert["title_name"] = title_name
        if title_name and series and level:
            key = (series, title_name, level)
            table = memo["title_level"]
            if key in table:
                mismatch = table[key]
            else:
                mismatch = table[key] = self._title_level_problem(series, title_name, level)
            if mismatch is not None:
                problems.append(mismatch)

        birth = person.get("birth_date")
        for field_name, label in (("issue_date", "发证日期"), ("grant_date", "授予时间")):
            value = None
            if field_name in cells:
                result = _memoised(memo[field_name], get(field_name), readers[field_name])
                if result.problems:
                    problems.extend(result.problems)
                value = result.value
                if value is not None and birth is not None and value < birth:
                    problems.append(error(field_name, "date_before_birth",
                                          f"{label}{format_iso(value)}早于出生日期{format_iso(birth)}"))
            cert[field_name] = value
        issue_date, grant_date = cert["issue_date"], cert["grant_date"]
        if issue_date is None and grant_date is None \
                and not (problems and any(p.field in ("issue_date", "grant_date") for p in problems)):
            problems.append(error("issue_date", "issue_date_required", "请填写发证日期（格式如20191119）"))
        moment = grant_date or issue_date
        cert["review_year"] = moment.year if moment else None

        region_raw = get("evaluation_region_code")
        region = None
        if not _is_blank(region_raw):
            region, region_problems = _memoised(memo["region"], region_raw, readers["region"])
            if region_problems:
                problems.extend(region_problems)
        elif "evaluation_region_code" in cells:
            problems.append(warning("evaluation_region_code", "region_missing",
                                    "未填写行政区划代码（评审机构所在地），请从下拉菜单中选择"))
        cert["evaluation_region_code"] = region

        flag, flag_problem = _memoised(memo["flag"], get("has_review_specialty"), _read_flag)
        if flag_problem is not None:
            problems.append(flag_problem)
        cert["has_review_specialty"] = flag

        self._columns(get, ("review_specialty", "local_review_specialty", "issuing_authority", "review_committee_name",
                            "approval_doc_no", "approval_department", "handling_status"), cert, problems)
        if cert["approval_doc_no"] is None and notes.get("approval_doc_no"):
            cert["approval_doc_no"] = notes["approval_doc_no"][:128]
        cert["obtain_method"] = self._code(get("obtain_method"), "obtain_method", problems) or "review"

        # Without a readable date the scope check would only repeat the date problem.
        if not (problems and any(p.field in ("issue_date", "grant_date") for p in problems)):
            scope_key = (grant_date, issue_date, cert["handling_status"], cert["obtain_method"], level, region)
            table = memo["scope"]
            try:
                scope_problems = table[scope_key]
            except KeyError:
                scope_problems = table[scope_key] = check_scope(cert, self.rules)
            if scope_problems:
                problems.extend(scope_problems)
