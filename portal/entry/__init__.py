from portal.entry.routes import bp

__all__ = ["bp"]
