"""Signing credentials: the portal CA, organisations' certificates kept re-encrypted, trust roots.

Storage: an uploaded PKCS#12 is opened once with the uploader's passphrase, which is then
forgotten. Key and certificates are serialised again as PKCS#12 with cryptography's
BestAvailableEncryption (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC) under a passphrase derived
with HKDF-SHA256 from SIGNING_KEY (environment or app config; SECRET_KEY when unset) and a
random salt kept on the row. Reading the database alone therefore yields no usable key;
changing SIGNING_KEY/SECRET_KEY makes stored keys unreadable (portal-CA ones are re-issued
automatically, uploaded ones must be uploaded again).
"""
from __future__ import annotations

import base64
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from flask import current_app
from sqlalchemy import select

from portal import audit
from portal.documents.signing import CA, SigningError, ensure_ca, issue_org_certificate, load_signer
from portal.extensions import db
from portal.models import Organization, SigningCredential

log = logging.getLogger("portal.letters")

PLATFORM_NAME = "职称信息管理服务平台"
PLATFORM_CODE = "PORTAL"
STORAGE_INFO = b"title-portal signing credential v1"
MAX_PKCS12_BYTES = 64 * 1024
MIN_RSA_BITS = 2048
TRUST_ROOT_SUFFIXES = (".pem", ".crt", ".cer")


class CredentialError(Exception):
    """A credential cannot be stored or used; ``str(error)`` is a Chinese message for users."""


@dataclass(frozen=True)
class TrustRoot:
    label: str
    certificate: x509.Certificate


# ---------------------------------------------------------------- the portal CA and trust roots


def ca_directory() -> Path:
    configured = current_app.config.get("CA_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "ca"


def portal_ca() -> CA:
    return ensure_ca(ca_directory())


def fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()


def configured_roots() -> list[TrustRoot]:
    """Certificates in TRUSTED_ROOTS_DIR (PEM or DER files ending .pem/.crt/.cer), in name order."""
    directory = current_app.config.get("TRUSTED_ROOTS_DIR")
    if not directory:
        return []
    roots: list[TrustRoot] = []
    paths = sorted(p for p in Path(directory).glob("*") if p.suffix.lower() in TRUST_ROOT_SUFFIXES)
    for path in paths:
        try:
            data = path.read_bytes()
            certificates = (x509.load_pem_x509_certificates(data) if b"-----BEGIN" in data
                            else [x509.load_der_x509_certificate(data)])
        except (OSError, ValueError) as exc:
            # One unreadable file must not take the verification page down with it.
            log.warning("trusted root %s skipped: %s", path, exc)
            continue
        roots += [TrustRoot(f"运营方配置的受信任根证书（{_common_name(cert.subject)}）", cert)
                  for cert in certificates]
    return roots


def trust_roots() -> list[TrustRoot]:
    ca = portal_ca()
    return [TrustRoot("本平台 CA", ca.certificate), *configured_roots()]


def _common_name(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else name.rfc4514_string()


def _issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(parent)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def trusted_by(certificate: x509.Certificate, intermediates: list[x509.Certificate],
               roots: list[TrustRoot]) -> str | None:
    """The label of the root `certificate` chains to (through `intermediates`), or None."""
    current = certificate
    for _ in range(8):
        for root in roots:
            if current == root.certificate or _issued_by(current, root.certificate):
                return root.label
        parent = next((c for c in intermediates if c != current and _issued_by(current, c)), None)
        if parent is None:
            return None
        current = parent
    return None


# ---------------------------------------------------------------- storage


def _storage_passphrase(salt: bytes) -> bytes:
    secret = current_app.config.get("SIGNING_KEY") or current_app.config["SECRET_KEY"]
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=STORAGE_INFO).derive(secret.encode())
    return base64.urlsafe_b64encode(derived)


@dataclass(frozen=True)
class KeyMaterial:
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    chain: list[x509.Certificate]


def open_pkcs12(data: bytes, passphrase: bytes) -> KeyMaterial:
    """Open an uploaded PKCS#12 file and check that it can sign: raises CredentialError otherwise."""
    if not data:
        raise CredentialError("请选择证书文件（.p12 / .pfx）。")
    if len(data) > MAX_PKCS12_BYTES:
        raise CredentialError("证书文件过大：PKCS#12 证书文件通常只有几 KB，请确认选择的是证书文件。")
    try:
        key, certificate, chain = pkcs12.load_key_and_certificates(data, passphrase or None)
    except (ValueError, TypeError):
        raise CredentialError("无法打开证书文件：口令错误，或文件不是 PKCS#12（.p12 / .pfx）证书。") from None
    if key is None or certificate is None:
        raise CredentialError("证书文件中缺少私钥或签名证书，请导出包含私钥的 PKCS#12 文件。")
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < MIN_RSA_BITS:
            raise CredentialError(f"RSA 密钥长度为 {key.key_size} 位，至少需要 {MIN_RSA_BITS} 位。")
    elif not isinstance(key, ec.EllipticCurvePrivateKey):
        raise CredentialError("只支持 RSA 或椭圆曲线（ECDSA）密钥的签名证书。")
    if key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) != \
            certificate.public_key().public_bytes(serialization.Encoding.DER,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo):
        raise CredentialError("证书文件中的私钥与签名证书不匹配。")
    now = datetime.now(UTC)
    if certificate.not_valid_after_utc < now:
        raise CredentialError(f"证书已于 {certificate.not_valid_after_utc:%Y-%m-%d} 过期，请上传有效的证书。")
    if certificate.not_valid_before_utc > now:
        raise CredentialError(f"证书自 {certificate.not_valid_before_utc:%Y-%m-%d} 起才生效。")
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is not None and not (usage.digital_signature or usage.content_commitment):
        raise CredentialError("该证书的密钥用途不包括数字签名，不能用于电子签章。")
    return KeyMaterial(key, certificate, list(chain))


def _store(org: Organization | None, material: KeyMaterial, source: str, user) -> SigningCredential:
    salt = secrets.token_bytes(16)
    blob = pkcs12.serialize_key_and_certificates(
        name=(org.name if org is not None else PLATFORM_NAME).encode(),
        key=material.key,
        cert=material.certificate,
        cas=material.chain or None,
        encryption_algorithm=serialization.BestAvailableEncryption(_storage_passphrase(salt)),
    )
    credential = credential_of(org) or SigningCredential(org_id=org.id if org is not None else None)
    cert = material.certificate
    credential.source = source
    credential.subject_name = _common_name(cert.subject)[:255]
    credential.issuer_name = _common_name(cert.issuer)[:255]
    credential.serial_hex = format(cert.serial_number, "x")[:64]
    credential.fingerprint_sha256 = fingerprint(cert)
    credential.not_before = cert.not_valid_before_utc
    credential.not_after = cert.not_valid_after_utc
    credential.pkcs12 = blob
    credential.salt = salt
    credential.created_by_id = getattr(user, "id", None)
    credential.created_at = datetime.now(UTC)
    db.session.add(credential)
    db.session.flush()
    if org is not None:
        audit.record("signing_credential_set", "organization", org.id, actor=user, diff={
            "source": source, "subject": credential.subject_name, "issuer": credential.issuer_name,
            "sha256": credential.fingerprint_sha256})
    return credential


def credential_of(org: Organization | None) -> SigningCredential | None:
    """The organisation's own credential (None: the portal's); an owner's setting, not a listing."""
    condition = (SigningCredential.org_id == org.id) if org is not None else SigningCredential.org_id.is_(None)
    return db.session.scalar(select(SigningCredential).where(condition).order_by(SigningCredential.id).limit(1))


def upload_credential(org: Organization, data: bytes, passphrase: bytes, user) -> SigningCredential:
    material = open_pkcs12(data, passphrase)
    return _store(org, material, "uploaded", user)


def issue_from_portal_ca(org: Organization | None, user) -> SigningCredential:
    """A new key and a 3-year certificate from the portal CA, stored for `org` (None: the portal)."""
    name = org.name if org is not None else PLATFORM_NAME
    code = (org.credit_code or org.code) if org is not None else PLATFORM_CODE
    # issue_org_certificate insists on a passphrase; this one lives only until _store re-wraps the key.
    transient = secrets.token_urlsafe(24).encode()
    data = issue_org_certificate(portal_ca(), name, code, transient)
    return _store(org, open_pkcs12(data, transient), "portal_ca", user)


def _usable(credential: SigningCredential | None) -> bool:
    if credential is None:
        return False
    not_after = credential.not_after if credential.not_after.tzinfo else credential.not_after.replace(tzinfo=UTC)
    return not_after > datetime.now(UTC)


def signer_for(org: Organization | None, user):
    """A pyHanko signer for the organisation (None: the portal), issuing one from the portal CA
    when it has none, or when its portal-issued one expired or was sealed under an old key."""
    credential = credential_of(org)
    if credential is not None and credential.source == "uploaded" and not _usable(credential):
        raise CredentialError("本单位上传的签章证书已过期，请上传新证书，或改用平台 CA 签发的证书。")
    if _usable(credential):
        try:
            return load_signer(credential.pkcs12, _storage_passphrase(credential.salt))
        except SigningError:
            if credential.source == "uploaded":
                raise CredentialError("无法读取本单位保存的签章证书（平台密钥已更换），请重新上传证书。") from None
            log.warning("portal-issued credential %s unreadable; issuing a new one", credential.id)
    credential = issue_from_portal_ca(org, user)
    # Committed now, so rendering the document does not hold the write lock (SQLite) meanwhile.
    db.session.commit()
    return load_signer(credential.pkcs12, _storage_passphrase(credential.salt))


def describe(credential: SigningCredential | None) -> dict | None:
    """What the settings page shows about a credential, including whether verifiers trust it."""
    if credential is None:
        return None
    try:
        _, certificate, chain = pkcs12.load_key_and_certificates(
            credential.pkcs12, _storage_passphrase(credential.salt))
    except ValueError:
        return {"credential": credential, "trusted_by": None, "usable": False, "unreadable": True}
    return {
        "credential": credential,
        "trusted_by": trusted_by(certificate, list(chain), trust_roots()),
        "usable": _usable(credential),
        "unreadable": False,
    }
