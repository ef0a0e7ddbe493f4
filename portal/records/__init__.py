from portal.records.routes import bp

__all__ = ["bp"]
