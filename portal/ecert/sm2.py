"""The issuer's SM2 key (国密) and the signed payload behind an e-certificate's QR code.

The QR code of a printed e-certificate must prove something even where the portal's database
cannot be reached, so it carries the facts themselves, signed with SM2 (SM3 digest, the default
signer id of GB/T 32918) by the issuer key. Anyone holding the published public key checks it.

Payload: ``E1.<body>.<signature>``, both parts base64url without padding. The body is the UTF-8
fields of `Claims` joined by "|"; the signature is r‖s, 64 bytes. The "." never occurs in the
43-character tokens of the older /v/<token> links, which tells the two apart.

gmssl's own helpers draw nonces and keys from `random` (not a CSPRNG) and strip a "04" prefix
with str.lstrip (eating leading 0 and 4 digits of the key): here keys and nonces come from
`secrets`, and the public key is set on the signer directly.
"""
from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import os
import secrets
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from gmssl import sm2

PREFIX = "E1"
SEPARATOR = "|"
PRIVATE_FILE = "sm2-private.hex"
PUBLIC_FILE = "sm2-public.hex"
_N = int(sm2.default_ecc_table["n"], 16)
KINDS = {"O": "original", "U": "use_copy"}


class PayloadError(Exception):
    """The payload cannot be read at all (cut short, not ours)."""


@dataclass(frozen=True)
class Claims:
    """What a QR code states: the holder (ID masked), the title, and for a use copy its purpose and end."""

    kind: str  # "original" or "use_copy"
    number: str
    name: str
    masked_id: str
    level: str
    title_name: str
    cert_no: str
    approved_on: date | None
    issued_on: date
    purpose: str | None = None
    valid_until: date | None = None

    def fields(self) -> list[str]:
        code = next(k for k, v in KINDS.items() if v == self.kind)
        return [code, self.number, self.name, self.masked_id, self.level, self.title_name, self.cert_no,
                _day(self.approved_on), _day(self.issued_on), self.purpose or "", _day(self.valid_until)]


def _day(value: date | None) -> str:
    return value.strftime("%Y%m%d") if value else ""


def _parse_day(text: str) -> date | None:
    if not text:
        return None
    if len(text) != 8 or not text.isdigit():
        raise PayloadError("bad date")
    return date(int(text[:4]), int(text[4:6]), int(text[6:]))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise PayloadError("bad base64") from exc


@dataclass(frozen=True)
class KeyPair:
    private_hex: str
    public_hex: str  # x‖y, 128 hex digits, without the 04 prefix

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the uncompressed public key (04‖x‖y), as the public page shows it."""
        return hashlib.sha256(bytes.fromhex("04" + self.public_hex)).hexdigest()


def _signer(private_hex: str, public_hex: str) -> sm2.CryptSM2:
    crypt = sm2.CryptSM2(private_key=private_hex, public_key="00")
    crypt.public_key = public_hex
    return crypt


def generate() -> KeyPair:
    d = secrets.randbelow(_N - 2) + 1
    private_hex = f"{d:064x}"
    public_hex = _signer(private_hex, "00")._kg(d, sm2.default_ecc_table["g"])
    return KeyPair(private_hex, public_hex)


def _write(path: Path, text: str, mode: int) -> None:
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w") as fh:
            fh.write(text + "\n")
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def ensure_key(directory: Path) -> KeyPair:
    """The key pair in `directory` (private key mode 0600, never in the database), made the first time.

    A file lock keeps two workers from making two different keys.
    """
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with (directory / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (directory / PUBLIC_FILE).exists():
            pair = generate()
            _write(directory / PRIVATE_FILE, pair.private_hex, 0o600)
            # Written last: its presence marks a complete key pair.
            _write(directory / PUBLIC_FILE, pair.public_hex, 0o644)
        private_hex = (directory / PRIVATE_FILE).read_text().strip()
        public_hex = (directory / PUBLIC_FILE).read_text().strip()
    d = int(private_hex, 16)
    if _signer(private_hex, "00")._kg(d, sm2.default_ecc_table["g"]) != public_hex:
        raise ValueError(f"SM2 私钥与公钥不匹配，请检查目录 {directory}。")
    return KeyPair(private_hex, public_hex)


def sign(claims: Claims, key: KeyPair) -> str:
    """The payload for `claims`, signed with the private key."""
    values = claims.fields()
    body = SEPARATOR.join(value.replace(SEPARATOR, "｜") for value in values).encode()
    crypt = _signer(key.private_hex, key.public_hex)
    signature = None
    while signature is None:  # gmssl answers None for the rare nonce that gives r = 0 or s = 0
        signature = crypt.sign_with_sm3(body, f"{secrets.randbelow(_N - 2) + 1:064x}")
    return f"{PREFIX}.{_b64(body)}.{_b64(bytes.fromhex(signature))}"


def looks_like_payload(text: str) -> bool:
    return text.startswith(PREFIX + ".") and text.count(".") == 2


def read(payload: str, public_hex: str) -> tuple[Claims, bool]:
    """(claims, signature valid). PayloadError when the payload cannot be parsed at all."""
    if not looks_like_payload(payload) or len(payload) > 2000:
        raise PayloadError("not a payload")
    _, body_text, signature_text = payload.split(".")
    body, signature = _unb64(body_text), _unb64(signature_text)
    try:
        values = body.decode().split(SEPARATOR)
    except UnicodeDecodeError as exc:
        raise PayloadError("bad text") from exc
    if len(values) != 11 or values[0] not in KINDS:
        raise PayloadError("bad fields")
    claims = Claims(KINDS[values[0]], values[1], values[2], values[3], values[4], values[5], values[6],
                    _parse_day(values[7]), _parse_day(values[8]) or date.min, values[9] or None,
                    _parse_day(values[10]))
    return claims, _valid(body, signature, public_hex)


def _valid(body: bytes, signature: bytes, public_hex: str) -> bool:
    if len(signature) != 64:
        return False
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    # gmssl does not check the ranges GB/T 32918 requires.
    if not (0 < r < _N and 0 < s < _N):
        return False
    try:
        return bool(_signer("0", public_hex).verify_with_sm3(signature.hex(), body))
    except (ValueError, TypeError):
        return False
