from portal.oplog.routes import bp

__all__ = ["bp"]
