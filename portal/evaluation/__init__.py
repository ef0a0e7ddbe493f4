"""The annual title evaluation (职称申报评审): offices' yearly plans and their public deployment text."""
from portal.evaluation.routes import bp
from portal.evaluation import committee_routes  # noqa: F401  (registers its pages on bp)

__all__ = ["bp", "committee_routes"]
