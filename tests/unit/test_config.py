"""One configuration: portal/config.py reads the environment, every other module the app's config."""
import re
from pathlib import Path

from portal import config

PORTAL = Path(__file__).resolve().parents[2] / "portal"


def test_only_the_config_module_reads_the_environment():
    readers = [str(path.relative_to(PORTAL)) for path in PORTAL.rglob("*.py")
               if re.search(r"os\.environ|os\.getenv", path.read_text())]
    assert readers == ["config.py"]


def test_environment_settings_land_in_the_config(monkeypatch, tmp_path):
    monkeypatch.setenv("VERIFY_LIMIT_PER_IDENTITY", "3 per minute")
    monkeypatch.setenv("VERIFY_BATCH_MAX_ROWS", "42")
    monkeypatch.setenv("PORTAL_FONT_DIR", str(tmp_path / "fonts"))
    monkeypatch.setenv("CA_DIR", str(tmp_path / "ca"))
    monkeypatch.setenv("SESSION_ABSOLUTE_HOURS", "8")
    monkeypatch.setenv("AUDIT_KEY", "from-the-environment")
    settings = config.from_environment(tmp_path)
    assert settings["VERIFY_LIMIT_PER_IDENTITY"] == "3 per minute" and settings["VERIFY_BATCH_MAX_ROWS"] == 42
    assert settings["PORTAL_FONT_DIR"] == str(tmp_path / "fonts") and settings["CA_DIR"] == str(tmp_path / "ca")
    assert settings["SESSION_ABSOLUTE_HOURS"] == 8 and settings["AUDIT_KEY"] == "from-the-environment"
    assert settings["SQLALCHEMY_ENGINE_OPTIONS"]["hide_parameters"] is True


def test_keys_default_to_files_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("AUDIT_KEY", raising=False)
    first = config.from_environment(tmp_path)
    assert (tmp_path / "audit_key").read_text().strip() == first["AUDIT_KEY"] != first["SECRET_KEY"]
    assert config.from_environment(tmp_path)["AUDIT_KEY"] == first["AUDIT_KEY"]
    assert first["AUDIT_CHECKPOINT_DIR"] == str(tmp_path / "audit-checkpoints")


def test_fonts_follow_the_app_config(app, tmp_path, monkeypatch):
    from portal.documents import fonts

    monkeypatch.setitem(app.config, "PORTAL_FONT_DIR", str(tmp_path))
    with app.app_context():
        assert fonts.font_dir() == tmp_path
