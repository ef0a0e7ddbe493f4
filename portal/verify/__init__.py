"""Public certificate verification (网查): the lookup page, QR links, the holder's history,
employer batch checks, the key-authenticated API and revocation."""
from portal.verify.api import api
from portal.verify.cli import api_key_cli, verify_tokens
from portal.verify.routes import bp

bp.register_blueprint(api)
bp.cli.add_command(api_key_cli)
bp.cli.add_command(verify_tokens)

__all__ = ["bp"]
