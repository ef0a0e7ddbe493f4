from portal.review.routes import bp

__all__ = ["bp"]
