"""职称证书信息采集、审核、公示与核验平台."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask

from portal import config
from portal.extensions import csrf, db, limiter, login_manager

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(config.from_environment(Path(app.instance_path)))
    if test_config:
        app.config.update(test_config)

    db.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录。"
    login_manager.login_message_category = "warning"

    from portal import models  # noqa: F401  (register the mappers)
    from portal.models import User

    @login_manager.user_loader
    def load_user(token: str):
        user_id, _, version = token.partition(":")
        if not user_id.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        if user is None or str(user.session_version) != version or not user.active:
            return None
        return user

    from portal import logredact, security
    security.init_app(app)
    logredact.init_app(app)

    from portal.accounts import bp as accounts_bp
    from portal.admin import bp as admin_bp
    from portal.auth import bp as auth_bp
    from portal.campaigns import bp as campaigns_bp
    from portal.ecert import bp as ecert_bp
    from portal.entry import bp as entry_bp
    from portal.evaluation import bp as evaluation_bp
    from portal.excel import bp as excel_bp
    from portal.internal_notices import bp as internal_notices_bp
    from portal.letters import bp as letters_bp
    from portal.main import bp as main_bp
    from portal.messages import bp as messages_bp
    from portal.notices import bp as notices_bp
    from portal.oplog import bp as oplog_bp
    from portal.records import bp as records_bp
    from portal.review import bp as review_bp
    from portal.stats import bp as stats_bp
    from portal.verify import bp as verify_bp

    for blueprint in (auth_bp, main_bp, records_bp, admin_bp, verify_bp, entry_bp, review_bp, notices_bp, excel_bp,
                      letters_bp, campaigns_bp, accounts_bp, oplog_bp, stats_bp, messages_bp, internal_notices_bp, evaluation_bp,
                      ecert_bp):
        app.register_blueprint(blueprint)

    from portal import cli, tasks
    cli.init_app(app)
    tasks.init_app(app)

    from portal.templating import init_app as init_templating
    init_templating(app)

    logging.getLogger("portal").setLevel(app.config.get("LOG_LEVEL", "INFO"))
    return app
