from portal.notices.routes import bp

__all__ = ["bp"]
