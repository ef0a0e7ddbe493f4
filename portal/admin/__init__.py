from portal.admin.routes import bp

__all__ = ["bp"]
