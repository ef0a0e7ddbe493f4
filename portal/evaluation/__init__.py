"""The annual title evaluation (职称申报评审): offices' yearly plans and their public deployment text."""
from portal.evaluation.routes import bp

__all__ = ["bp"]
