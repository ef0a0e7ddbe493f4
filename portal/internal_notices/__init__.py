from portal.internal_notices.routes import bp

__all__ = ["bp"]
