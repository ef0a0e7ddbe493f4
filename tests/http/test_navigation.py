"""The signed-in menu: every role sees the links it may follow, and each one opens."""
import re

import pytest

from portal.navigation import MAIN_MENU

DEMO_ACCOUNTS = ["person_demo", "unit_demo", "center_demo", "dept_demo", "county_demo", "city_demo",
                 "province_demo", "committee_demo", "admin"]


def _menu(client) -> list[tuple[str, str]]:
    page = client.get("/home").get_data(as_text=True)
    nav = re.search(r'<nav class="main-nav menu-row"[^>]*>(.*?)</nav>', page, re.S)
    assert nav, "the signed-in page has no menu"
    return [(label, href) for href, label in re.findall(r'<a href="([^"]+)">([^<]+)</a>', nav.group(1))]


@pytest.mark.parametrize("username", DEMO_ACCOUNTS)
def test_every_menu_link_of_a_role_opens(demo, client, auth, username):
    auth.login(username)
    menu = _menu(client)
    assert menu[0][0] == "工作台"
    assert len({label for label, _ in menu}) == len(menu), "a label shown twice"
    for label, href in menu:
        answer = client.get(href, follow_redirects=True)
        assert answer.status_code == 200, f"{username}: {label} ({href}) answered {answer.status_code}"
        assert answer.request.path != "/login", f"{username}: {label} ({href}) asked to log in again"


def test_menus_differ_by_role(demo, client, auth):
    menus = {}
    for username in ("person_demo", "unit_demo", "city_demo", "admin"):
        auth.login(username)
        menus[username] = {label for label, _ in _menu(client)}
        auth.logout()
    assert {"我的填报", "职称申报", "核验记录"} <= menus["person_demo"]
    assert not {"审核队列", "账户管理", "操作日志"} & menus["person_demo"]
    assert {"人员填报", "审核队列", "批量核验", "账户管理"} <= menus["unit_demo"]
    assert {"评审部署", "采集任务", "统计分析"} <= menus["city_demo"]
    assert "人员填报" not in menus["city_demo"]
    assert {"代码表", "定时任务", "工作日设置", "核验接口"} <= menus["admin"]
    assert "审核队列" not in menus["admin"]


def test_every_menu_entry_names_a_known_role():
    from portal.models.user import ROLES

    for link in MAIN_MENU:
        assert link.roles and set(link.roles) <= set(ROLES), link
