"""Queries behind the Excel pages and commands: reference data for the template, export rows."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, not_, or_, select

from portal.access import scoped, visibility
from portal.clock import china_time
from portal.documents import xlsx_list
from portal.documents.xlsx_template import TemplateData, affiliation_choice, region_choice
from portal.extensions import db
from portal.models import CodeItem, Certificate, ImportJob, Organization, Person, Region

IMPORT_ROLES = ("unit", "department", "county_office", "city_office", "province_office", "committee")
EXPORT_ROLES = IMPORT_ROLES + ("admin",)
# The role whose view of the data an organisation of each type has (for the CLI's --org).
ROLE_OF_ORG_TYPE = {"unit": "unit", "talent_center": "unit", "department": "department",
                    "county_office": "county_office", "city_office": "city_office",
                    "province_office": "province_office", "committee": "committee"}
SENIOR_LEVELS = ("正高级", "副高级")
JUNIOR_LEVELS = ("初级", "助理级", "员级")
ASSESSMENT = "assessment_recognition"


def import_jobs(user, limit: int) -> list[ImportJob]:
    return list(db.session.scalars(scoped(ImportJob, user).order_by(ImportJob.id.desc()).limit(limit)))


JOB_EXPORT_HEADERS = ("文件", "上传时间", "状态", "数据行", "无错误", "已导入")


def job_export_rows(user):
    """The import list as shown, every job in scope (up to the list-export limit), for Excel."""
    for j in import_jobs(user, xlsx_list.MAX_ROWS):
        yield (j.filename if j.stored_name else f"{j.filename}（命令行）", china_time(j.created_at), j.status_label,
               j.rows_total, j.rows_valid, j.rows_imported)


def template_data() -> TemplateData:
    regions = [(code, name, level) for code, name, level in db.session.execute(
        select(Region.code, Region.name, Region.level).where(Region.valid_to.is_(None)).order_by(Region.code))]
    codes: dict[str, list[str]] = {}
    affiliations = []
    for item in db.session.scalars(select(CodeItem).where(CodeItem.active.is_(True)).order_by(CodeItem.sort)):
        codes.setdefault(item.kind, []).append(item.name)
        if item.kind == "affiliation":
            affiliations.append((item.official_code or "", item.name))
    return TemplateData(regions, codes, affiliations)


@dataclass(frozen=True)
class OrgScope:
    """Stands in for a signed-in user of `org`, so the CLI exports through the same scoping
    helper (portal.access.visibility) as the web."""

    org: Organization
    role: str
    is_authenticated: bool = True
    person_id: None = None

    @classmethod
    def of(cls, org: Organization) -> "OrgScope":
        return cls(org, ROLE_OF_ORG_TYPE.get(org.type, "unit"))


def category_condition(key: str):
    """SQL for which certificates go to each of the four files (DOMAIN.md §7)."""
    assessment = Certificate.obtain_method == ASSESSMENT
    if key == "assessment":
        return assessment
    by_level = {
        "senior": Certificate.level.in_(SENIOR_LEVELS),
        "intermediate": Certificate.level == "中级",
        "junior": or_(Certificate.level.in_(JUNIOR_LEVELS), Certificate.level.is_(None)),
    }[key]
    return and_(not_(assessment), by_level)


class ExportSource:
    """Approved certificates the viewer may see, as rows of the national layout."""

    def __init__(self, viewer):
        self.viewer = viewer
        self.names = {(item.kind, item.key): item for item in db.session.scalars(select(CodeItem))}
        self.regions = {code: (name, level) for code, name, level in
                        db.session.execute(select(Region.code, Region.name, Region.level))}

    def _base(self):
        return (select(
            Person.id, Person.name, Person.sex, Person.id_type, Person.id_number, Person.birth_date,
            Person.employer_name, Person.unit_nature, Person.education, Person.degree, Person.affiliation,
            Certificate.evaluation_region_code, Certificate.cert_no, Certificate.issue_date, Certificate.title_name,
            Certificate.series, Certificate.has_review_specialty, Certificate.review_specialty,
            Certificate.local_review_specialty, Certificate.level, Certificate.issuing_authority,
            Certificate.review_committee_name, Certificate.approval_doc_no, Certificate.approval_department,
            Certificate.obtain_method)
            .join(Person, Person.id == Certificate.person_id)
            .where(visibility(Certificate, self.viewer), Certificate.status == "approved"))

    def count(self) -> int:
        return db.session.scalar(select(func.count()).select_from(
            select(Certificate.id).where(visibility(Certificate, self.viewer), Certificate.status == "approved")
            .subquery())) or 0

    def _name(self, kind: str, key):
        item = self.names.get((kind, key)) if key else None
        return item.name if item else key

    def _values(self, r) -> tuple:
        region = r.evaluation_region_code
        known = self.regions.get(region) if region else None
        affiliation = self.names.get(("affiliation", r.affiliation)) if r.affiliation else None
        return (
            region_choice(region, *known) if known else region,
            r.name, r.sex, self._name("id_type", r.id_type), r.id_number, r.birth_date, r.employer_name,
            self._name("unit_nature", r.unit_nature), self._name("education", r.education),
            self._name("degree", r.degree),
            affiliation_choice(affiliation.official_code or "", affiliation.name) if affiliation else r.affiliation,
            r.cert_no, r.issue_date, r.title_name, self._name("title_series", r.series),
            None if r.has_review_specialty is None else ("是" if r.has_review_specialty else "否"),
            r.review_specialty, r.local_review_specialty, r.level, r.issuing_authority, r.review_committee_name,
            r.approval_doc_no, r.approval_department, self._name("obtain_method", r.obtain_method),
        )

    def category(self, key: str):
        """(person id, values) of one category, all years, sorted by year."""
        stmt = self._base().where(category_condition(key)).order_by(
            Certificate.review_year, Certificate.issue_date, Certificate.id)
        for r in db.session.execute(stmt.execution_options(yield_per=5000)):
            yield r.id, self._values(r)

    def national(self):
        stmt = self._base().order_by(Certificate.review_year, Certificate.issue_date, Certificate.id)
        for r in db.session.execute(stmt.execution_options(yield_per=5000)):
            yield self._values(r)
