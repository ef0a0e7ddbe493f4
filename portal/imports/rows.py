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

from portal.domain.dates import format_iso, parse_date
from portal.domain.idnumber import RESIDENT_ID_TYPES, check_id_document, cross_check
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
        return not has_errors(self.problems)


def _is_blank(value) -> bool:
    if value is None or value == "":
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _cell_text(value) -> str:
    """Text of a cell as the user typed it: whole numbers without ".0", dates as YYYYMMDD."""
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


class RowChecker:
    """Checks rows against the reference data; results of pure lookups are memoised per run,
    since a column of 100 000 rows holds a few dozen distinct series, levels and dates."""

    def __init__(self, reference: Reference, rules: ScopeRules, today: date | None = None):
        self.reference = reference
        self.rules = rules
        self.today = today or date.today()
        self._memo: dict[tuple, object] = {}

    def _cached(self, key: tuple, compute):
        try:
            return self._memo[key]
        except KeyError:
            value = self._memo[key] = compute()
            return value
        except TypeError:  # an unhashable cell value
            return compute()

    def _date(self, value, field_name: str):
        return self._cached(("date", field_name, type(value), value),
                            lambda: parse_date(value, field=field_name, not_after=self.today))

    def check(self, row_number: int, cells: dict, notes: dict | None = None) -> CheckedRow:
        out = CheckedRow(row_number)
        problems = out.problems
        person, cert = out.person, out.cert
        ref = self.reference

        # 证件类型 and 证件号码
        id_type_raw = cells.get("id_type")
        id_type = self._cached(("id_type", id_type_raw), lambda: ref.books["id_type"].lookup(id_type_raw))
        type_name = ref.books["id_type"].names.get(id_type) if id_type else _cell_text(id_type_raw)
        if id_type == "resident_id":
            type_name = RESIDENT_ID_TYPES[0]
        id_result = check_id_document(type_name, cells.get("id_number"), field="id_number",
                                      region_known=ref.regions.__contains__, today=self.today)
        problems.extend(id_result.problems)
        person["id_type"] = id_type
        person["id_number"] = id_result.value

        name_raw = cells.get("name")
        name, name_problems = self._cached(("name", name_raw), lambda: check_person_name(name_raw, field="name"))
        problems.extend(name_problems)
        person["name"] = name

        sex = _cell_text(cells.get("sex")) or None
        if sex is not None and sex not in ("男", "女"):
            problems.append(error("sex", "sex_invalid", f"性别应填写“男”或“女”，实际为“{sex}”"))
            sex = None
        birth = None
        if "birth_date" in cells:
            birth_result = self._date(cells.get("birth_date"), "birth_date")
            problems.extend(birth_result.problems)
            birth = birth_result.value
        if id_result.ok and id_result.birth_date is not None:
            problems.extend(cross_check(id_result, birth, sex))
        person["sex"] = sex or id_result.sex
        person["birth_date"] = birth or id_result.birth_date

        for field_name in ("unit_nature", "education", "degree", "affiliation"):
            person[field_name] = self._code(cells, field_name, problems)
        for field_name in ("employer_name", "phone"):
            person[field_name] = self._text(cells, field_name, problems)

        self._check_certificate(cells, cert, person, problems, notes or {})
        return out

    def _code(self, cells: dict, field_name: str, problems: list) -> str | None:
        raw = cells.get(field_name)
        if raw is None or raw == "":
            return None
        key, problem = self._cached((field_name, raw), lambda: self._read_code(raw, field_name))
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

    def _text(self, cells: dict, field_name: str, problems: list) -> str | None:
        raw = cells.get(field_name)
        if raw is None or raw == "":
            return None
        if field_name in REPEATING_TEXT:
            text, problem = self._cached((field_name, raw), lambda: _read_text(raw, field_name))
        else:
            text, problem = _read_text(raw, field_name)
        if problem is not None:
            problems.append(problem)
        return text

    def _check_certificate(self, cells: dict, cert: dict, person: dict, problems: list, notes: dict) -> None:
        ref = self.reference
        cert_no_raw = cells.get("cert_no")
        if isinstance(cert_no_raw, (int, float)) and not isinstance(cert_no_raw, bool):
            problems.append(error("cert_no", "cert_no_excel_number",
                                  "证书编号被Excel存成了数字，开头的0或后几位可能已丢失：请把该列设置为“文本”格式后重新录入证书编号"))
            cert["cert_no"] = None
        else:
            cert["cert_no"] = self._text(cells, "cert_no", problems)

        series_raw = cells.get("series")
        series, series_problems = self._cached(
            ("series", series_raw), lambda: normalize_series(_cell_text(series_raw), ref.series, field="series"))
        problems.extend(series_problems)
        level_raw = cells.get("level")
        level, level_problems = self._cached(
            ("level", level_raw), lambda: normalize_level(_cell_text(level_raw), field="level"))
        problems.extend(level_problems)
        cert["series"], cert["level"] = series, level

        title_name = self._text(cells, "title_name", problems)
        if _is_blank(cells.get("title_name")):
            problems.append(error("title_name", "title_name_required", "请填写职称名称"))
        cert["title_name"] = title_name
        if title_name and series and level:
            known = ref.title_levels_of(series, title_name)
            if known and level not in known and base_level(level) not in {base_level(k) for k in known}:
                problems.append(warning("title_name", "title_level_mismatch",
                                        f"职称名称“{title_name}”对应的级别为{'、'.join(sorted(known))}，"
                                        f"与填写的职称级别“{level}”不一致，请核对"))

        birth = person.get("birth_date")
        for field_name, label in (("issue_date", "发证日期"), ("grant_date", "授予时间")):
            value = None
            if field_name in cells:
                result = self._date(cells.get(field_name), field_name)
                problems.extend(result.problems)
                value = result.value
                if value is not None and birth is not None and value < birth:
                    problems.append(error(field_name, "date_before_birth",
                                          f"{label}{format_iso(value)}早于出生日期{format_iso(birth)}"))
            cert[field_name] = value
        if cert["issue_date"] is None and cert["grant_date"] is None \
                and not any(p.field in ("issue_date", "grant_date") for p in problems):
            problems.append(error("issue_date", "issue_date_required", "请填写发证日期（格式如20191119）"))
        moment = cert["grant_date"] or cert["issue_date"]
        cert["review_year"] = moment.year if moment else None

        region_raw = cells.get("evaluation_region_code")
        region = None
        if not _is_blank(region_raw):
            region, region_problems = self._cached(
                ("region", region_raw), lambda: parse_region_cell(_cell_text(region_raw), field="evaluation_region_code"))
            problems.extend(region_problems)
            if region and region not in ref.regions:
                problems.append(warning("evaluation_region_code", "region_unknown",
                                        f"行政区划代码{region}不在行政区划代码表中，请核对"))
        elif "evaluation_region_code" in cells:
            problems.append(warning("evaluation_region_code", "region_missing",
                                    "未填写行政区划代码（评审机构所在地），请从下拉菜单中选择"))
        cert["evaluation_region_code"] = region

        flag = _cell_text(cells.get("has_review_specialty"))
        if flag in ("是", "否", ""):
            cert["has_review_specialty"] = {"是": True, "否": False}.get(flag)
        else:
            problems.append(error("has_review_specialty", "flag_invalid",
                                  f"评审活动是否设置评审专业应填写“是”或“否”，实际为“{flag}”"))
            cert["has_review_specialty"] = None

        for field_name in ("review_specialty", "local_review_specialty", "issuing_authority",
                           "review_committee_name", "approval_doc_no", "approval_department", "handling_status"):
            cert[field_name] = self._text(cells, field_name, problems)
        if cert["approval_doc_no"] is None and notes.get("approval_doc_no"):
            cert["approval_doc_no"] = notes["approval_doc_no"][:128]
        cert["obtain_method"] = self._code(cells, "obtain_method", problems) or "review"

        # Without a readable date the scope check would only repeat the date problem.
        if not any(p.field in ("issue_date", "grant_date") for p in problems):
            scope_key = ("scope", cert["grant_date"], cert["issue_date"], cert["handling_status"],
                         cert["obtain_method"], cert["level"], region)
            problems.extend(self._cached(scope_key, lambda: check_scope(cert, self.rules)))
