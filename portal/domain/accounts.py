"""Who sets up whom (分级建立所辖范围的下级组织机构): the organisations each level creates, the role
of an organisation's administrator account, and which accounts a user manages."""
from __future__ import annotations

# Offices create the bodies below them; a lower office is one level down only.
CHILD_ORG_TYPES = {
    "county_office": ("unit", "talent_center", "department"),
    "city_office": ("unit", "talent_center", "department", "county_office"),
    "province_office": ("unit", "talent_center", "department", "city_office", "committee"),
    "admin": ("unit", "talent_center", "department", "county_office", "city_office", "province_office",
              "committee"),
}

# A talent centre (档案托管机构) enters and reports data as an employer unit does.
ADMIN_ROLE_OF_ORG_TYPE = {
    "unit": "unit",
    "talent_center": "unit",
    "department": "department",
    "county_office": "county_office",
    "city_office": "city_office",
    "province_office": "province_office",
    "committee": "committee",
}

ACCOUNT_MANAGER_ROLES = ("unit", "department", "county_office", "city_office", "province_office", "admin")


def may_manage(actor_role: str, actor_id: int, actor_org_id: int | None,
               account_id: int, account_role: str, account_org_id: int | None) -> bool:
    """Whether `actor` (who already sees the account through the scoping helper) may disable,
    re-enable or reset it: the level above manages an organisation's accounts; a unit manages
    its own staff; nobody manages their own account or their colleagues' at the same level."""
    if actor_role not in ACCOUNT_MANAGER_ROLES or account_id == actor_id:
        return False
    if actor_role == "admin" and actor_org_id is None:
        return True
    if account_org_id == actor_org_id:
        return account_role == "person"
    return actor_role != "unit"
