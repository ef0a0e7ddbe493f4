"""Template globals and filters shared by every page."""
from portal import labels
from portal.clock import china_time
from portal.domain.idnumber import mask_id
from portal.domain.workflow import status_label
from portal.models.org import ORG_TYPES
from portal.models.user import ROLES
from portal.navigation import main_menu


def init_app(app) -> None:
    labels.init_app(app)
    app.jinja_env.filters["mask_id"] = mask_id
    app.jinja_env.filters["status_label"] = status_label
    # Every shown time goes through this one filter: stored UTC, shown in China time.
    app.jinja_env.filters["china_time"] = china_time
    app.jinja_env.globals.update(ROLES=ROLES, ORG_TYPES=ORG_TYPES, main_menu=main_menu)
