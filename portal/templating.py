"""Template globals and filters shared by every page."""
from portal import labels
from portal.domain.idnumber import mask_id
from portal.domain.workflow import status_label
from portal.models.org import ORG_TYPES
from portal.models.user import ROLES


def init_app(app) -> None:
    labels.init_app(app)
    app.jinja_env.filters["mask_id"] = mask_id
    app.jinja_env.filters["status_label"] = status_label
    app.jinja_env.globals.update(ROLES=ROLES, ORG_TYPES=ORG_TYPES)

    @app.template_filter("ymd")
    def ymd(value):
        return value.strftime("%Y-%m-%d") if value else ""
