"""Electronic title certificates (职称电子证书): issuing, use copies (使用件), the SM2-signed QR check."""
from portal.ecert.routes import bp

__all__ = ["bp"]
