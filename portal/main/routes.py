from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import current_user, login_required

from portal import ratelimit
from portal.main.services import latest_notices, status_counts, tasks

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    return render_template("main/public_home.html", notices=latest_notices(), office=office_contact())


@bp.get("/favicon.ico")
def favicon():
    # Browsers ask for /favicon.ico on pages without a <link rel=icon> (PDFs, JSON).
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.get("/home")
@login_required
def home():
    counts = status_counts(current_user)
    return render_template("main/home.html", counts=counts, total=sum(c for _, _, c in counts),
                           tasks=tasks(current_user))


@bp.get("/healthz")
def health():
    # 200 either way: a process whose rate-limit store is down still serves (with limits per
    # process), so a load balancer should keep sending it requests.
    return {"status": ratelimit.status()}


def office_contact() -> dict:
    config = current_app.config
    return {"name": config["OFFICE_NAME"], "phone": config["OFFICE_PHONE"],
            "address": config["OFFICE_ADDRESS"], "hours": config["OFFICE_HOURS"]}
