"""Campaign scope (采集范围): which certificates a campaign collects at all.

The web form, the Excel importer and the review actions all call `check_scope`, so a record
refused in one place is refused everywhere with the same reason.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from .dates import format_iso, parse_date
from .problems import Problem, error
from .regions import is_province_prefix
from .text import clean
from .titles import base_level

# 证书办理状态 as stored by the entry form; imported sheets carry free text, read by keyword below.
HANDLING_STATUSES = {
    "issued": "已发证（纸质证书）",
    "electronic": "已发放电子证书",
    "cancelled": "已取消",
}
_ELECTRONIC_WORDS = ("电子",)
_CANCELLED_WORDS = ("取消", "撤销", "注销", "作废")

EXAM_IN_LIEU = "exam_in_lieu"
_EXAM_IN_LIEU_NAMES = ("以考代评",)
EXAM_ONLY_LEVELS = ("初级", "中级")


@dataclass(frozen=True)
class ScopeRules:
    """One campaign's scope; the defaults are the rules every notice shares."""

    window_start: date | None = None
    window_end: date | None = None
    exclude_exam_only: bool = True
    exclude_electronic: bool = True
    exclude_other_province: bool = False
    home_province: str | None = None  # two-digit province code the campaign collects for

    @classmethod
    def of_campaign(cls, campaign, home_region_code: str | None = None) -> "ScopeRules":
        """Rules of a Campaign-like object (duck-typed, so this module stays free of the ORM)."""
        if campaign is None:
            return cls()
        region = home_region_code or ""
        return cls(
            window_start=campaign.window_start,
            window_end=campaign.window_end,
            exclude_exam_only=bool(campaign.exclude_exam_only),
            exclude_electronic=bool(campaign.exclude_electronic),
            exclude_other_province=bool(campaign.exclude_other_province) and len(region) >= 2,
            home_province=region[:2] or None,
        )


def _as_date(value, field: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return parse_date(value, field=field).value


def _handling_kind(raw) -> str | None:
    text = clean(raw)
    if not text:
        return None
    if text in HANDLING_STATUSES:
        return text
    if any(word in text for word in _CANCELLED_WORDS):
        return "cancelled"
    if any(word in text for word in _ELECTRONIC_WORDS):
        return "electronic"
    return None


def _window_problem(fields: Mapping, rules: ScopeRules) -> Problem | None:
    if rules.window_start is None and rules.window_end is None:
        return None
    # The window is on the date the title was obtained: 授予时间 when known, else 发证日期.
    field, label = "grant_date", "授予时间"
    moment = _as_date(fields.get("grant_date"), field)
    if moment is None:
        field, label = "issue_date", "发证日期"
        moment = _as_date(fields.get("issue_date"), field)
    if moment is None:
        return error("issue_date", "scope_date_missing", "请填写发证日期，以判断证书是否在本次采集范围内")
    window = f"{format_iso(rules.window_start) if rules.window_start else '不限'}至" \
             f"{format_iso(rules.window_end) if rules.window_end else '不限'}"
    if rules.window_start is not None and moment < rules.window_start:
        return error(field, "scope_before_window",
                     f"{label}{format_iso(moment)}早于本次采集范围（{window}），不在本次上报范围内")
    if rules.window_end is not None and moment > rules.window_end:
        return error(field, "scope_after_window",
                     f"{label}{format_iso(moment)}晚于本次采集范围（{window}），不在本次上报范围内")
    return None


def _other_province(fields: Mapping, rules: ScopeRules) -> Problem | None:
    if not rules.exclude_other_province or not rules.home_province:
        return None
    for field, label in (("evaluation_region_code", "评审机构所在地"), ("issuing_region_code", "发证单位行政区")):
        code = clean(fields.get(field))
        # Only a real province is "外省"; a code like 999999 is invalid, which the region check says.
        if len(code) >= 2 and code[:2] != rules.home_province and is_province_prefix(code[:2]):
            return error(field, "scope_other_province",
                         f"{label}代码{code}不属于本省，外省取得的职称不在本次上报范围内")
    return None


def check_scope(cert_fields: Mapping, rules: ScopeRules) -> list[Problem]:
    """Why a certificate is outside the campaign, as errors; an empty list means it is in scope.

    `cert_fields` uses the Certificate attribute names (issue_date, grant_date, level,
    obtain_method, handling_status, evaluation_region_code, issuing_region_code); dates may
    be `date` objects or any text the date parser accepts.
    """
    problems: list[Problem] = []
    window = _window_problem(cert_fields, rules)
    if window:
        problems.append(window)

    handling = _handling_kind(cert_fields.get("handling_status"))
    if handling == "cancelled":
        problems.append(error("handling_status", "scope_cancelled",
                              "该职称已被取消，已取消的职称不得上报"))
    elif handling == "electronic" and rules.exclude_electronic:
        problems.append(error("handling_status", "scope_electronic",
                              "该职称已发放电子证书，已有电子证书的职称无需重复上报"))

    method = clean(cert_fields.get("obtain_method"))
    level = base_level(clean(cert_fields.get("level")))
    if rules.exclude_exam_only and (method == EXAM_IN_LIEU or method in _EXAM_IN_LIEU_NAMES) \
            and level in EXAM_ONLY_LEVELS:
        problems.append(error("obtain_method", "scope_exam_only",
                              f"以考代评取得的{level}职称（如卫生、经济、会计、统计、审计初中级）"
                              "属于考试取得，不在本次上报范围内"))

    other = _other_province(cert_fields, rules)
    if other:
        problems.append(other)
    return problems
