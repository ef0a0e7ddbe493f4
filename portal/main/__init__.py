from portal.main.routes import bp

__all__ = ["bp"]
