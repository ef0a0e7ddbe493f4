"""Browser Back after an htmx history cache miss: the restore request gets the whole page."""
import pytest

RESTORE = {"HX-Request": "true", "HX-History-Restore-Request": "true"}

PAGES = [
    ("county_demo", "/review/"),
    ("county_demo", "/certificates"),
    ("unit_demo", "/entry/staff"),
    ("county_demo", "/notices"),
]


@pytest.mark.parametrize(("username", "path"), PAGES)
def test_history_restore_gets_the_page_and_htmx_gets_the_fragment(client, auth, demo, username, path):
    auth.login(username)
    restored = client.get(path, headers=RESTORE).get_data(as_text=True)
    assert restored.lstrip().lower().startswith("<!doctype html>") and "site-header" in restored
    fragment = client.get(path, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<!doctype" not in fragment.lower() and "site-header" not in fragment
