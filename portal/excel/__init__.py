from portal.excel.routes import bp
from portal.excel import cli  # noqa: F401  (registers the commands on bp)

__all__ = ["bp"]
