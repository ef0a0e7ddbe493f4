from portal.accounts.routes import bp

__all__ = ["bp"]
