"""PAdES signatures: the portal CA, organisation certificates, signing and verification.

The portal runs its own CA ("职称信息平台 CA"). Each organisation receives a
PKCS#12 file with a key and a certificate chained to that CA, and signs its
documents with it (PAdES-B-B: no time-stamp authority is reachable offline).
Verifiers trust the CA certificate, which is downloadable from the portal.
"""
from __future__ import annotations

import fcntl
import functools
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from .fonts import PROJECT_ROOT

# pyHanko (with aiohttp behind it) takes about 0.35 s to import: it is imported by the functions
# that sign or check a PDF, so the CA, the credentials and every other command start without it.
if TYPE_CHECKING:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

CA_COMMON_NAME = "职称信息平台 CA"
CA_ORGANIZATION = "职称信息平台"
CA_KEY_FILE = "ca-key.pem"
CA_CERT_FILE = "ca-cert.pem"
CA_VALIDITY = timedelta(days=20 * 365)
ORG_CERT_YEARS = 3


# Stamp box in PDF points. A document marks where its seal goes with an element id="seal" (the
# "单位（盖章）" line; WeasyPrint writes ids as named destinations); without one the stamp goes
# on the last page inside the bottom margin (BASE_CSS keeps 28 mm free there), right-aligned
# with the 18 mm side margin, so it never covers text.
STAMP_WIDTH = 190
STAMP_HEIGHT = 58
STAMP_RIGHT_MARGIN = 51
STAMP_BOTTOM = 14
SEAL_ANCHOR = "seal"

_PKCS12_KDF_ROUNDS = 50_000


class SigningError(Exception):
    """Signing failed; ``str(error)`` is a Chinese message fit for users."""


def default_ca_dir() -> Path:
    return PROJECT_ROOT / "instance" / "ca"


@dataclass(frozen=True)
class CA:
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    directory: Path

    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def certificate_der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)


def _write_private(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` beside ``path`` with ``mode`` from the start, then rename over it."""
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def _ca_name() -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, CA_ORGANIZATION),
        x509.NameAttribute(NameOID.COMMON_NAME, CA_COMMON_NAME),
    ])


def _create_ca(directory: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    name = _ca_name()
    public_key = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # The certificate is written last: its presence marks a complete CA.
    _write_private(directory / CA_KEY_FILE, key_pem, 0o600)
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM)
    _write_private(directory / CA_CERT_FILE, cert_pem, 0o644)


def ensure_ca(directory: Path | None = None) -> CA:
    """Load the portal CA from ``directory`` (default ``instance/ca``), creating it the first time.

    The key stays in this directory (mode 0600), never in the database. A file
    lock keeps concurrent workers from creating two different CAs.
    """
    directory = Path(directory) if directory is not None else default_ca_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with (directory / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (directory / CA_CERT_FILE).exists():
            _create_ca(directory)
        key_pem = (directory / CA_KEY_FILE).read_bytes()
        key = serialization.load_pem_private_key(key_pem, password=None)
        certificate = x509.load_pem_x509_certificate((directory / CA_CERT_FILE).read_bytes())
    if not isinstance(key, ec.EllipticCurvePrivateKey) or (
        key.public_key().public_numbers() != certificate.public_key().public_numbers()
    ):
        raise SigningError(f"CA 密钥与证书不匹配，请检查目录 {directory}。")
    return CA(key=key, certificate=certificate, directory=directory)


def _add_years(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


def issue_org_certificate(ca: CA, org_name: str, org_code: str, passphrase: bytes) -> bytes:
    """A PKCS#12 file (key, certificate, CA certificate) for an organisation, valid 3 years.

    The subject carries the Chinese name as CN and O, and ``org_code`` (统一社会信用代码)
    as serialNumber. ``passphrase`` protects the file and must not be empty.
    """
    org_name, org_code = org_name.strip(), org_code.strip()
    if not org_name or not org_code:
        raise ValueError("单位名称和单位代码不能为空。")
    if not passphrase:
        raise ValueError("证书文件口令不能为空。")
    key = ec.generate_private_key(ec.SECP256R1())
    public_key = key.public_key()
    now = datetime.now(UTC)
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, org_name),
        x509.NameAttribute(NameOID.COMMON_NAME, org_name),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, org_code),
    ])
    ca_ski = ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.certificate.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(_add_years(now, ORG_CERT_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=True, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .sign(ca.key, hashes.SHA256())
    )
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(_PKCS12_KDF_ROUNDS)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(passphrase)
    )
    return pkcs12.serialize_key_and_certificates(
        name=org_name.encode("utf-8"),
        key=key,
        cert=certificate,
        cas=[ca.certificate],
        encryption_algorithm=encryption,
    )


def _to_asn1_certificate(cert: x509.Certificate | bytes) -> asn1_x509.Certificate:
    if isinstance(cert, bytes | bytearray):
        return asn1_x509.Certificate.load(bytes(cert))
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def load_signer(pkcs12_bytes: bytes, passphrase: bytes) -> signers.SimpleSigner:
    """A pyHanko signer from an organisation's PKCS#12 file.

    Raises SigningError (Chinese message) on a wrong passphrase or a file that is not
    a PKCS#12 archive holding a key and a certificate.
    """
    return _signer(bytes(pkcs12_bytes), bytes(passphrase))


# Opening the archive (key derivation and decryption) was about a twentieth of a signed letter;
# signing many documents for one organisation now opens its archive once per process. The key is
# the archive itself, so a new or re-encrypted credential is opened afresh. A signer holds no
# state between signatures. Failures are not cached (lru_cache does not keep exceptions).
@functools.lru_cache(maxsize=64)
def _signer(pkcs12_bytes: bytes, passphrase: bytes) -> signers.SimpleSigner:
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    try:
        key, certificate, extra_certs = pkcs12.load_key_and_certificates(pkcs12_bytes, passphrase)
    except (ValueError, TypeError) as exc:
        raise SigningError("无法打开证书文件：口令错误或文件不是有效的 PKCS#12 证书。") from exc
    if key is None or certificate is None:
        raise SigningError("证书文件中缺少私钥或证书。")
    key_der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return signers.SimpleSigner(
        signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        signing_cert=_to_asn1_certificate(certificate),
        cert_registry=SimpleCertificateStore.from_certs(
            [_to_asn1_certificate(extra) for extra in extra_certs]
        ),
    )


def _signer_common_name(signer: signers.Signer) -> str | None:
    cert = signer.signing_cert
    return None if cert is None else cert.subject.native.get("common_name")


def _page_size(writer: IncrementalPdfFileWriter, page_index: int) -> tuple[float, float]:
    page_ref, _ = writer.find_page_for_modification(page_index)
    node = page_ref.get_object()
    while "/MediaBox" not in node and "/Parent" in node:
        node = node["/Parent"]
    llx, lly, urx, ury = (float(value) for value in node.get("/MediaBox", (0, 0, 595.28, 841.89)))
    return urx - llx, ury - lly


def _named_destination(names_node, wanted: str):
    """The destination array called `wanted` in a PDF name tree, or None."""
    pairs = names_node.get("/Names") or []
    for i in range(0, len(pairs) - 1, 2):
        if str(pairs[i]) == wanted:
            return pairs[i + 1].get_object()
    for kid in names_node.get("/Kids") or []:
        found = _named_destination(kid.get_object(), wanted)
        if found is not None:
            return found
    return None


def _seal_box(writer: IncrementalPdfFileWriter) -> tuple[int, tuple[int, int, int, int]] | None:
    """(page index, box) of the document's seal place, from its named destination."""
    try:
        dest = _named_destination(writer.root["/Names"]["/Dests"].get_object(), SEAL_ANCHOR)
    except KeyError:
        return None
    if dest is None or len(dest) < 4:
        return None
    target, left, top = dest.raw_get(0), float(dest[2]), float(dest[3])
    for index, ref in enumerate(_page_refs(writer.root["/Pages"])):
        if ref.idnum == getattr(target, "idnum", None):
            return index, (round(left), round(top - STAMP_HEIGHT), round(left + STAMP_WIDTH), round(top))
    return None


def _page_refs(node) -> list:
    """References to the leaf pages under a page-tree node, in page order."""
    refs = []
    kids = node["/Kids"]
    for i in range(len(kids)):
        ref = kids.raw_get(i)
        child = ref.get_object()
        refs.extend(_page_refs(child) if child.get("/Type") == "/Pages" else [ref])
    return refs


def sign_pdf(
    pdf_bytes: bytes,
    signer: signers.Signer,
    *,
    reason: str,
    location: str | None = None,
    stamp_text_lines: list[str] | None = None,
    field_name: str = "Signature1",
) -> bytes:
    """Sign the whole PDF (PAdES-B-B) with a visible stamp on the element id="seal", else at the
    bottom right of the last page.

    The stamp shows ``stamp_text_lines`` (default: the certificate's CN, i.e. the
    organisation's Chinese name; ``[]`` shows the time alone) followed by the
    signing time in Beijing time. Raises SigningError for input that is not a PDF
    or a ``field_name`` that is already signed.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields
    from pyhanko.sign.general import SigningError as PyHankoSigningError
    from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata, PdfSigner

    from .stamp import stamp_style

    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf_bytes), strict=False)
        width, _ = _page_size(writer, -1)
        seal = _seal_box(writer)
    # pyHanko reports broken files through many exception types (PdfReadError,
    # KeyError, ValueError, IndexError …); all mean the same to the user.
    except Exception as exc:
        raise SigningError("待签章的文件不是有效的 PDF。") from exc

    if stamp_text_lines is None:
        stamp_text_lines = [_signer_common_name(signer) or ""]
    lines = [line for line in stamp_text_lines if line]
    template = "\n".join([*(line.replace("%", "%%") for line in lines), "签章时间：%(ts)s"])
    shown_text = "\n".join([*lines, "签章时间：0123456789-: "])
    page, box = seal or (-1, (
        round(width - STAMP_RIGHT_MARGIN - STAMP_WIDTH),
        STAMP_BOTTOM,
        round(width - STAMP_RIGHT_MARGIN),
        STAMP_BOTTOM + STAMP_HEIGHT,
    ))
    metadata = PdfSignatureMetadata(
        field_name=field_name,
        reason=reason,
        location=location,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
    )
    pdf_signer = PdfSigner(
        metadata,
        signer,
        stamp_style=stamp_style(template, shown_text),
        new_field_spec=fields.SigFieldSpec(sig_field_name=field_name, on_page=page, box=box),
    )
    # Room for the signature given up front (the certificates it carries, plus the signature and
    # its attributes): otherwise pyHanko first builds a throwaway signature just to measure one.
    reserved = 4096 + 2 * sum(len(cert.dump()) for cert in (signer.signing_cert, *signer.cert_registry))
    try:
        output = pdf_signer.sign_pdf(writer, bytes_reserved=reserved)
    except PyHankoSigningError as exc:
        raise SigningError(f"签章失败：签章域“{field_name}”已被使用或无法使用（{exc}）。") from exc
    return output.getvalue()


@dataclass
class VerificationResult:
    """Outcome of ``verify_pdf``; ``problems`` holds Chinese sentences for users."""

    signed: bool = False
    intact: bool = False
    covers_whole_document: bool = False
    trusted: bool = False
    signer_name: str | None = None
    signing_time: datetime | None = None
    problems: list[str] = field(default_factory=list)


def verify_pdf(pdf_bytes: bytes, trust_roots: list[x509.Certificate | bytes]) -> VerificationResult:
    """Check every signature of a PDF against ``trust_roots`` (certificates or DER bytes).

    ``signed`` says whether any signature exists; ``intact`` and ``trusted`` hold
    only if they hold for every signature; ``covers_whole_document`` says that
    nothing was appended after the last signature. Bad input never raises: it
    yields ``signed=False`` with a Chinese explanation in ``problems``.
    """
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    result = VerificationResult()
    try:
        reader = PdfFileReader(BytesIO(pdf_bytes), strict=False)
        signatures = reader.embedded_regular_signatures
    # Uploaded files can be anything; pyHanko's parser fails with many exception types.
    except Exception:
        result.problems.append("文件不是有效的 PDF，或已损坏。")
        return result
    if not signatures:
        result.problems.append("文件中没有电子签章。")
        return result

    result.signed = True
    roots = [_to_asn1_certificate(root) for root in trust_roots]
    # Our certificates carry no CRL/OCSP addresses and the portal works offline.
    context = ValidationContext(
        trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail"
    )
    intact = trusted = True
    for signature in signatures:
        try:
            status = validate_pdf_signature(signature, context)
        except Exception:
            intact = trusted = False
            result.problems.append(f"签章“{signature.field_name}”的数据无法解析，签章无效。")
            continue
        if not (status.intact and status.valid):
            intact = False
            result.problems.append("签章后文件内容被篡改，签章无效。")
        if not status.trusted:
            trusted = False
            # pyHanko skips the certificate check for a broken signature; saying
            # "untrusted" then would only distract from the real problem.
            if status.intact and status.valid:
                result.problems.append("签章证书不是由受信任的机构签发，或证书已过期。")
        result.covers_whole_document = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
        result.signer_name = status.signing_cert.subject.native.get("common_name")
        result.signing_time = status.signer_reported_dt
    result.intact, result.trusted = intact, trusted
    if intact and not result.covers_whole_document:
        result.problems.append("签章之后文件又被追加修改，签章未覆盖整个文件。")
    return result
