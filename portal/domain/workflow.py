"""Certificate statuses and the review levels they move through (逐级审核)."""

# Each review level is named after the organisation type that acts at it.
REVIEW_STATUS_BY_ORG_TYPE = {
    "unit": "unit_review",
    "talent_center": "unit_review",
    "department": "department_review",
    "county_office": "county_review",
    "city_office": "city_review",
    "province_office": "province_review",
}

STATUSES = {
    "draft": "草稿",
    "unit_review": "待单位审核",
    "department_review": "待主管部门审核",
    "county_review": "待县级职改办审核",
    "city_review": "待市级职改办审核",
    "province_review": "待省级职改办审核",
    "returned": "已退回",
    "approved": "审核通过",
    "revoked": "已撤销",
}

REVIEW_STATUSES = tuple(REVIEW_STATUS_BY_ORG_TYPE[t] for t in (
    "unit", "department", "county_office", "city_office", "province_office"))


def status_label(status: str) -> str:
    return STATUSES.get(status, status)
