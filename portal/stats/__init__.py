from portal.stats.routes import bp

__all__ = ["bp"]
