"""Commitment letters (承诺书), reviewer sign-off sheets (审核签字表) and their public check pages."""
from portal.letters.routes import bp

__all__ = ["bp"]
