from portal.campaigns.routes import bp

__all__ = ["bp"]
