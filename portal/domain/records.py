"""The one validator per record kind: a person (基本信息) and a certificate (职称信息).

Every door calls these: the entry form and its inline check, the Excel importer, the accounts
list. Input is raw: form strings (code keys, "1"/"0", ISO dates) or spreadsheet cells (names,
是/否, floats, date cells). The answer is the model values and every Problem found.

Each field has one reader (raw value -> value, problems); `FieldReaders.read` holds them by
field. A caller that sees the same cell values again and again (the importer: a few dozen
distinct series in 100 000 rows) wraps them with a memo; the rules stay here.

What needs the database (is the ID number taken, is the identity locked) is decided by the
caller with the values returned, the same way on every door.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field as dc_field
from datetime import date, datetime

from .dates import format_compact, format_iso, parse_date
from .idnumber import (OTHER_ID_TYPES, RESIDENT_ID_TYPES, IdNumberResult, check_id_document,
                       check_resident_id, cross_check)
from .names import check_person_name
from .problems import Problem, error, has_errors, warning
from .regions import parse_region_cell
from .scope import HANDLING_STATUSES, ScopeRules, check_scope
from .text import clean
from .titles import base_level, normalize_level, normalize_series

CODED_KINDS = ("id_type", "unit_nature", "education", "degree", "affiliation", "obtain_method")

# Column widths of the tables the values go to: longer text is an error, never cut silently.
TEXT_LIMITS = {
    "employer_name": 128, "title_name": 128, "review_specialty": 128, "local_review_specialty": 128,
    "issuing_authority": 128, "review_committee_name": 128, "approval_doc_no": 128,
    "approval_department": 128, "handling_status": 32, "cert_no": 64, "employer_at_grant": 128,
    "social_security_no": 32, "phone": 32, "email": 128,
}
LABELS = {
    "name": "姓名", "sex": "性别", "id_type": "证件类型", "id_number": "证件号码", "birth_date": "出生日期",
    "employer_name": "现工作单位", "unit_nature": "单位性质", "education": "最高学历", "degree": "最高学位",
    "affiliation": "隶属关系", "social_security_no": "社保卡号", "phone": "联系电话", "email": "邮箱",
    "cert_no": "证书编号", "issue_date": "发证日期", "grant_date": "授予时间", "review_year": "评审年度",
    "first_appointment_date": "首次聘任时间", "series": "职称系列", "level": "职称级别", "title_name": "职称名称",
    "review_specialty": "评审专业名称", "local_review_specialty": "本地评审专业名称",
    "issuing_authority": "发证机构", "review_committee_name": "评审机构", "approval_doc_no": "证书批文号",
    "approval_department": "审批部门", "handling_status": "证书办理状态", "obtain_method": "取得方式",
    "employer_at_grant": "取得职称时工作单位", "evaluation_region_code": "行政区划代码",
    "issuing_region_code": "发证单位行政区",
}
DATE_FIELDS = ("birth_date", "issue_date", "grant_date", "first_appointment_date")
# How each layout (and the form) wants dates written; anything else read is said back.
DATE_STYLES = {"compact": ("YYYYMMDD", format_compact), "iso": ("YYYY-MM-DD", format_iso)}
MIN_TITLE_AGE = 16
REVIEW_YEAR_SPREAD = 2  # a review precedes its certificate by a year or two, never follows it

# A mobile number, or a landline with its area code (and perhaps an extension).
_PHONE = re.compile(r"1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}(-[0-9]{1,6})?")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_SOCIAL_SECURITY = re.compile(r"[0-9A-Z]{6,32}")
_RESIDENT_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_LATIN = re.compile(r"[A-Za-z]")
_LEADING_CODE = re.compile(r"([0-9]+)\s*(.*)", re.ASCII | re.DOTALL)
_DATE_SHAPES = {"compact": re.compile(r"[0-9]{8}"), "iso": re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")}


def squeeze(text) -> str:
    return re.sub(r"\s+", "", clean(text))


@dataclass
class CodeBook:
    """One code table: its key, name, former name, official code or "code name" -> key."""

    kind: str
    by_text: dict[str, str] = dc_field(default_factory=dict)
    by_code: dict[str, str] = dc_field(default_factory=dict)
    names: dict[str, str] = dc_field(default_factory=dict)  # key -> current name

    def add(self, key: str, name: str, former: tuple[str, ...] = (), official: str | None = None) -> None:
        self.names[key] = name
        for text in (key, name, *former):
            self.by_text.setdefault(squeeze(text), key)
        if official:
            self.by_code.setdefault(official.lstrip("0") or "0", key)

    def lookup(self, raw) -> str | None:
        text = squeeze(raw)
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
class RecordContext:
    """What the rules look values up in; built from the database by the caller."""

    books: dict[str, CodeBook]
    series: list[tuple[str, str | None, str, tuple[str, ...]]]  # key, official code, name, former names
    title_levels: dict[tuple[str, str], set[str]]  # (series key, squeezed title name) -> levels
    region_known: Callable[[str], bool]
    today: date
    scope: ScopeRules = dc_field(default_factory=ScopeRules)
    # A 职称系列 outside the list: an error (national template) or a warning kept as typed (Rizhao).
    series_strict: bool = True
    date_style: str = "iso"
    # What a blank 取得方式 means; None makes it required (the form asks for it).
    default_obtain_method: str | None = None

    def __post_init__(self):
        self.title_series = {}  # squeezed title name -> series keys it belongs to
        for series, name in self.title_levels:
            self.title_series.setdefault(name, set()).add(series)


def _as_tuple(problems) -> tuple[Problem, ...]:
    return tuple(problems) if problems else ()


def cell_text(value) -> str:
    """Text of a value as the user typed it: whole numbers without ".0", dates as YYYYMMDD."""
    if value.__class__ is str:
        return clean(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return format_compact(value)
    return clean(value)


def is_blank(value) -> bool:
    if value.__class__ is str:  # the usual cell; str.strip() removes exactly what isspace() sees
        return not value or value.isspace()
    if value is None:
        return True
    if isinstance(value, float) and value != value:
        return True
    return isinstance(value, str) and not value.strip()


# --- the readers of single fields ---------------------------------------------------------------

class FieldReaders:
    """One reader per field: raw -> (value, tuple of problems). Pure; safe to memoise per value."""

    def __init__(self, ctx: RecordContext):
        self.ctx = ctx
        self.series_keys = frozenset(key for key, *_ in ctx.series)
        self.read: dict[str, Callable] = {
            "name": self.name, "sex": self.sex, "series": self.series,
            "level": self.level, "has_review_specialty": self.flag, "handling_status": self.handling_status,
            "evaluation_region_code": self.region_reader("evaluation_region_code"),
            "issuing_region_code": self.region_reader("issuing_region_code"),
            **{f: self.date_reader(f) for f in DATE_FIELDS},
            **{f: self.code_reader(f) for f in CODED_KINDS if f != "id_type"},
            **{f: self.text_reader(f) for f in ("employer_name", "title_name", "review_specialty",
                                                 "local_review_specialty", "issuing_authority",
                                                 "review_committee_name", "approval_doc_no",
                                                 "approval_department", "employer_at_grant")},
        }
        # The document type, and the rules on several values at once (keyed by a tuple of them).
        self.id_type = self.id_type_of
        self.title_level = self.title_level_problems
        self.scope = self.scope_problems

    def id_type_of(self, raw) -> tuple[tuple[str | None, str], tuple]:
        """(key, the name check_id_document knows it by); an unknown type is reported there."""
        book = self.ctx.books["id_type"]
        key = book.lookup(raw)
        if key == "resident_id":
            return (key, RESIDENT_ID_TYPES[0]), ()
        return (key, book.names.get(key) if key else cell_text(raw)), ()

    def name(self, raw):
        value, problems = check_person_name(raw, field="name")
        return value, _as_tuple(problems)

    @staticmethod
    def sex(raw):
        sex = cell_text(raw) or None
        if sex is not None and sex not in ("男", "女"):
            return None, (error("sex", "sex_invalid", f"性别应填写“男”或“女”，实际为“{sex}”"),)
        return sex, ()

    def series(self, raw):
        if raw.__class__ is str and raw in self.series_keys:  # the form posts the key
            return raw, ()
        key, problems = normalize_series(cell_text(raw), self.ctx.series, field="series")
        if key is None and not self.ctx.series_strict and problems and problems[0].code == "series_unknown":
            text = cell_text(raw)
            if len(text) <= 64:
                return text, (warning("series", "series_unlisted",
                                      f"职称系列“{text}”不在职称系列目录中，已按证书所显示的系列如实记录，请核对"),)
        return key, _as_tuple(problems)

    @staticmethod
    def level(raw):
        value, problems = normalize_level(cell_text(raw), field="level")
        return value, _as_tuple(problems)

    @staticmethod
    def flag(raw):
        text = cell_text(raw)
        value = {"是": True, "否": False, "1": True, "0": False, "": None}.get(text, "?")
        if value == "?":
            return None, (error("has_review_specialty", "flag_invalid",
                                f"评审活动是否设置评审专业应填写“是”或“否”，实际为“{text}”"),)
        return value, ()

    @staticmethod
    def handling_status(raw):
        """A status key (form) or the sheet's free text, which the scope rules read by keyword."""
        text = cell_text(raw)
        if not text:
            return None, ()
        for key, name in HANDLING_STATUSES.items():
            if text in (key, name):
                return key, ()
        return _text("handling_status", text)

    def region_reader(self, field: str):
        def read(raw):
            region, problems = parse_region_cell(cell_text(raw), field=field)
            if region and not self.ctx.region_known(region):
                problems = [*problems, warning(field, "region_unknown",
                                               f"行政区划代码{region}不在行政区划代码表中，请核对")]
            return region, _as_tuple(problems)
        return read

    def date_reader(self, field: str):
        label, shown = DATE_STYLES[self.ctx.date_style]
        shape = _DATE_SHAPES[self.ctx.date_style]

        def read(raw):
            result = parse_date(raw, field=field, not_after=self.ctx.today)
            problems = result.problems
            value = result.value
            if value is not None and not isinstance(raw, date):
                typed = cell_text(raw)
                if not shape.fullmatch(typed):
                    problems = [*problems, warning(
                        field, "date_reformatted",
                        f"{LABELS[field]}“{typed}”已识别为{shown(value)}，请按{label}格式填写，例如{shown(value)}")]
            return value, _as_tuple(problems)
        return read

    def code_reader(self, field: str):
        def read(raw):
            if is_blank(raw):
                return None, ()
            book = self.ctx.books[field]
            key = book.lookup(raw)
            if key is None:
                choices = "、".join(list(book.names.values())[:12])
                return None, (error(field, f"{field}_unknown",
                                    f"{LABELS[field]}“{cell_text(raw)}”不在代码表中，应为{choices}之一"),)
            return key, ()
        return read

    @staticmethod
    def text_reader(field: str):
        def read(raw):
            return _text(field, cell_text(raw))
        return read

    def title_level_problems(self, key: tuple[str, str, str]) -> tuple:
        """职称名称 against the chosen series and level (the title-name code table)."""
        series, title_name, level = key
        name = squeeze(title_name)
        in_series = self.ctx.title_levels.get((series, name))
        if in_series is None:
            if name in self.ctx.title_series:  # a known title, but of another series
                return (warning("title_name", "title_mismatch",
                                f"职称名称“{title_name}”不属于所填的职称系列，请核对职称系列和职称名称"),)
            return ()
        if level in in_series or base_level(level) in {base_level(k) for k in in_series}:
            return ()
        return (warning("title_name", "title_mismatch",
                        f"职称名称“{title_name}”对应的级别为{'、'.join(sorted(in_series))}，"
                        f"与填写的职称级别“{level}”不一致，请核对"),)

    def scope_problems(self, key: tuple) -> tuple:
        grant, issue, handling, method, level, region, issuing_region = key
        return _as_tuple(check_scope({
            "grant_date": grant, "issue_date": issue, "handling_status": handling, "obtain_method": method,
            "level": level, "evaluation_region_code": region, "issuing_region_code": issuing_region,
        }, self.ctx.scope))


def _text(field: str, text: str):
    if not text:
        return None, ()
    limit = TEXT_LIMITS[field]
    if len(text) > limit:
        return None, (error(field, "text_too_long",
                            f"{LABELS[field]}不能超过{limit}个字符，实际为{len(text)}个字符"),)
    return text, ()


def _pattern(field: str, text: str, pattern, message: str) -> tuple[str | None, list[Problem]]:
    if not text:
        return None, []
    if len(text) > TEXT_LIMITS[field]:
        return None, [error(field, "text_too_long",
                            f"{LABELS[field]}不能超过{TEXT_LIMITS[field]}个字符，实际为{len(text)}个字符")]
    if not pattern.fullmatch(text):
        return text, [error(field, f"{field}_format", message)]
    return text, []


def check_phone(raw, field: str = "phone") -> tuple[str | None, list[Problem]]:
    """Any phone number the platform keeps (a person's, an objector's, a unit's contact)."""
    phone = cell_text(raw).replace(" ", "")
    if phone and not _PHONE.fullmatch(phone):
        return phone, [error(field, "phone_format",
                             f"请填写有效的手机号码（11位）或带区号的固定电话（如0633-8000000），实际为“{phone}”")]
    return phone or None, []


def _social_security(raw):
    return _pattern("social_security_no", cell_text(raw).upper(), _SOCIAL_SECURITY, "社保卡号应为6–32位数字或字母")


def _email(raw):
    return _pattern("email", cell_text(raw), _EMAIL, "邮箱格式不正确，例如 zhang@example.com")


# --- the person ---------------------------------------------------------------------------------

_CONTACT_READERS = {"phone": check_phone, "social_security_no": _social_security, "email": _email}
_CONTACT_FIELDS = tuple(_CONTACT_READERS)


def _read_filled(get, readers, fields: tuple[str, ...], into: dict, problems: list) -> None:
    """Each filled field through its reader; an empty one is None, and its rules say nothing."""
    for field in fields:
        value = get(field)
        if value is None or value == "":
            into[field] = None
            continue
        into[field], found = readers[field](value)
        if found:
            problems.extend(found)


def check_person(raw: Mapping, ctx: RecordContext, readers: FieldReaders | None = None
                 ) -> tuple[dict, list[Problem]]:
    """Validate the basic-information fields of one person; returns model values and problems."""
    readers = readers or FieldReaders(ctx)
    read = readers.read
    get = raw.get
    problems: list[Problem] = []

    (id_type, type_name), _ = readers.id_type(get("id_type"))
    number_raw = get("id_number")
    if id_type == "resident_id":
        id_result = check_resident_id(number_raw, field="id_number", region_known=ctx.region_known,
                                      today=ctx.today)
    else:
        id_result = check_id_document(type_name, number_raw, field="id_number",
                                      region_known=ctx.region_known, today=ctx.today)
        if id_result.value and type_name in OTHER_ID_TYPES:
            problems += _resident_id_as_other(id_result, type_name, ctx)
    if id_result.problems:
        problems.extend(id_result.problems)
    values = {"id_type": id_type, "id_number": id_result.value}

    name, found = read["name"](get("name"))
    if found:
        problems.extend(found)
    values["name"] = name
    if name and id_type == "resident_id" and _LATIN.search(name):
        problems.append(error("name", "name_latin_resident",
                              f"居民身份证持有人的姓名应与身份证一致，不能含有拉丁字母，实际为“{name}”"))

    sex, found = read["sex"](get("sex"))
    if found:
        problems.extend(found)
    birth, found = read["birth_date"](get("birth_date"))
    if found:
        problems.extend(found)
    _identity_agrees(id_result, birth, sex, problems)
    values["sex"] = sex or id_result.sex
    values["birth_date"] = birth or id_result.birth_date

    _read_filled(get, read, ("unit_nature", "education", "degree", "affiliation", "employer_name"), values, problems)
    _read_filled(get, _CONTACT_READERS, _CONTACT_FIELDS, values, problems)
    return values, problems


def _identity_agrees(id_result: IdNumberResult, birth, sex, problems: list) -> None:
    # cross_check reports nothing when the entered date and sex agree with the number (or are empty).
    if id_result.birth_date is not None and (
            (birth is not None and birth != id_result.birth_date) or (sex is not None and sex != id_result.sex)) \
            and id_result.ok:
        problems.extend(cross_check(id_result, birth, sex))


def _resident_id_as_other(result: IdNumberResult, type_name: str, ctx: RecordContext) -> list[Problem]:
    """A passport or permit "number" that is a valid 18-digit resident ID: the type is wrong."""
    if not _RESIDENT_SHAPE.fullmatch(result.value):
        return []
    if not check_resident_id(result.value, today=ctx.today).ok:
        return []
    return [error("id_type", "id_type_resident_number",
                  f"证件号码是18位居民身份证号码，证件类型却为“{type_name}”：持居民身份证的请选择“居民身份证”")]


# --- the certificate ----------------------------------------------------------------------------

def check_certificate(raw: Mapping, ctx: RecordContext, readers: FieldReaders | None = None, *,
                      birth_date: date | None = None) -> tuple[dict, list[Problem]]:
    """Validate one certificate, then its dates against the holder's birth date and the campaign
    scope; returns model values and every problem."""
    readers = readers or FieldReaders(ctx)
    read = readers.read
    get = raw.get
    problems: list[Problem] = []
    cert: dict = {}

    cert["cert_no"] = _cert_no(get("cert_no"), problems)

    series, found = read["series"](get("series"))
    if found:
        problems.extend(found)
    level, found = read["level"](get("level"))
    if found:
        problems.extend(found)
    cert["series"], cert["level"] = series, level

    title_raw = get("title_name")
    if is_blank(title_raw):
        problems.append(error("title_name", "title_name_required", "请填写职称名称"))
        title_name = None
    else:
        title_name, found = read["title_name"](title_raw)
        if found:
            problems.extend(found)
    cert["title_name"] = title_name
    if title_name and level and series in readers.series_keys:  # an unlisted series has no titles to compare
        problems.extend(readers.title_level((series, title_name, level)))

    _read_filled(get, read, ("issue_date", "grant_date", "first_appointment_date"), cert, problems)
    issue, grant = cert["issue_date"], cert["grant_date"]
    date_trouble = bool(problems) and any(p.field in ("issue_date", "grant_date") for p in problems)
    if issue is None and grant is None and not date_trouble:
        problems.append(error("issue_date", "issue_date_required", "请填写发证日期（格式如20191119）"))
    problems += _date_order(issue, grant, birth_date)
    cert["review_year"] = _review_year(get("review_year"), issue, grant, ctx, problems)

    for field in ("evaluation_region_code", "issuing_region_code"):
        value = get(field)
        if is_blank(value):
            cert[field] = None
            if field == "evaluation_region_code" and field in raw:
                problems.append(warning(field, "region_missing",
                                        "未填写行政区划代码（评审机构所在地），请从下拉菜单中选择"))
            continue
        cert[field], found = read[field](value)
        if found:
            problems.extend(found)

    flag, found = read["has_review_specialty"](get("has_review_specialty"))
    if found:
        problems.extend(found)
    cert["has_review_specialty"] = flag
    _read_filled(get, read, ("review_specialty", "local_review_specialty", "issuing_authority", "review_committee_name",
                             "approval_doc_no", "approval_department", "employer_at_grant", "handling_status"),
                 cert, problems)
    if flag and not cert["review_specialty"]:
        problems.append(error("review_specialty", "review_specialty_required",
                              "评审活动设置了评审专业时，请填写评审专业名称"))
    if cert["issuing_authority"] is None and is_blank(get("issuing_authority")):
        problems.append(error("issuing_authority", "issuing_authority_required", "请填写发证机构"))

    method_raw = get("obtain_method")
    if is_blank(method_raw):
        cert["obtain_method"] = ctx.default_obtain_method
        if ctx.default_obtain_method is None:
            problems.append(error("obtain_method", "obtain_method_required", "请选择取得方式"))
    else:
        cert["obtain_method"], found = read["obtain_method"](method_raw)
        if found:
            problems.extend(found)

    # Without a readable date the scope check would only repeat the date problem.
    if not problems or not any(p.field in ("issue_date", "grant_date") and p.severity == "error" for p in problems):
        problems.extend(readers.scope((grant, issue, cert["handling_status"], cert["obtain_method"], level,
                                       cert["evaluation_region_code"], cert["issuing_region_code"])))
    return cert, problems


def _cert_no(raw, problems: list) -> str | None:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        problems.append(error("cert_no", "cert_no_excel_number",
                              "证书编号被Excel存成了数字，开头的0或后几位可能已丢失：请把该列设置为“文本”格式后重新录入证书编号"))
        return None
    text = cell_text(raw)
    if " " in text:
        text = text.replace(" ", "")
    if not text:
        problems.append(warning("cert_no", "cert_no_missing", "未填写证书编号：网上核验时需要证书编号，请尽量填写"))
        return None
    value, found = _text("cert_no", text)
    if found:
        problems.extend(found)
    return value


def _years_before(later: date, years: int) -> date:
    try:
        return later.replace(year=later.year - years)
    except ValueError:  # 29 February
        return later.replace(year=later.year - years, day=28)


def _date_order(issue: date | None, grant: date | None, birth: date | None) -> list[Problem]:
    problems: list[Problem] = []
    if birth is not None:
        for field, value in (("issue_date", issue), ("grant_date", grant)):
            if value is not None and value < birth:
                problems.append(error(field, "date_before_birth",
                                      f"{LABELS[field]}{format_iso(value)}早于出生日期{format_iso(birth)}"))
        moment = grant or issue
        # Only a difference of MIN_TITLE_AGE calendar years or fewer needs the exact date.
        if not problems and moment is not None and moment.year - birth.year <= MIN_TITLE_AGE \
                and _years_before(moment, MIN_TITLE_AGE) < birth:
            field = "grant_date" if grant else "issue_date"
            problems.append(error(field, "title_too_young",
                                  f"{LABELS[field]}{format_iso(moment)}时持证人未满{MIN_TITLE_AGE}周岁"
                                  f"（出生日期{format_iso(birth)}），请核对日期"))
    if grant is not None and issue is not None and grant > issue:
        problems.append(warning("grant_date", "grant_after_issue",
                                f"授予时间{format_iso(grant)}晚于发证日期{format_iso(issue)}：证书应在取得职称之后颁发，请核对"))
    return problems


def _review_year(raw, issue: date | None, grant: date | None, ctx: RecordContext, problems: list) -> int | None:
    text = "" if raw is None else cell_text(raw)
    if not text:
        moment = grant or issue
        return moment.year if moment else None
    if not (text.isascii() and text.isdigit() and 1950 <= int(text) <= ctx.today.year):
        problems.append(error("review_year", "review_year_format",
                              f"评审年度应为1950至{ctx.today.year}之间的四位年份，实际为“{text}”"))
        return None
    year = int(text)
    years = [d.year for d in (grant, issue) if d is not None]
    if years and (year > max(years) or year < min(years) - REVIEW_YEAR_SPREAD):
        problems.append(warning("review_year", "review_year_far",
                                f"评审年度{year}与授予时间、发证日期（{'、'.join(str(y) for y in sorted(set(years)))}年）"
                                "相差较大，请核对"))
    return year


def identity_blocked(problems) -> bool:
    """Whether the ID number itself is unusable, so no database lookup by it makes sense."""
    return has_errors(p for p in problems if p.field in ("id_number", "id_type"))
