from portal.auth.routes import bp

__all__ = ["bp"]
