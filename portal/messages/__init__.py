from portal.messages.routes import bp

__all__ = ["bp"]
