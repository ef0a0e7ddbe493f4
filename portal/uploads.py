"""Evidence files (佐证材料): checked by content, stored outside static/ under their SHA-256.

The extension and the browser's content type are never trusted: a file is a PDF only if it
starts like one and a PDF parser can open it and find its pages; an image only if Pillow can
decode it as JPEG or PNG.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import zlib
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

MAX_BYTES = 2 * 1024 * 1024

# What each kind of evidence must be.
KIND_FORMATS = {
    "photo": ("jpeg", "png"),
    "certificate_scan": ("pdf",),
    "qualification_doc": ("pdf",),
    "review_form": ("pdf",),
    "notice_attachment": ("pdf",),  # 通知公告的附件
    "application_material": ("pdf",),  # 职称申报材料
}
FORMAT_LABELS = {"pdf": "PDF文件", "jpeg": "JPEG图片", "png": "PNG图片"}
CONTENT_TYPES = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}
_MAGIC = (
    (b"%PDF-", "pdf"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
)
# Other formats people rename to .pdf, named so the message says what the file really is.
_OTHER_MAGIC = (
    (b"PK\x03\x04", "Word/Excel文档或压缩包"),
    (b"\xd0\xcf\x11\xe0", "旧版Word/Excel文档"),
    (b"GIF8", "GIF图片"),
    (b"BM", "BMP图片"),
    (b"II*\x00", "TIFF图片"),
    (b"MM\x00*", "TIFF图片"),
    (b"Rar!", "RAR压缩包"),
)


@dataclass
class CheckedFile:
    format: str
    content_type: str
    sha256: str
    size: int


class UploadRejected(ValueError):
    """The file is refused; the message says why, in Chinese."""


def _sniff(data: bytes) -> str | None:
    for magic, fmt in _MAGIC:
        if data.startswith(magic):
            return fmt
    return None


def _describe(data: bytes) -> str:
    fmt = _sniff(data)
    if fmt:
        return FORMAT_LABELS[fmt]
    for magic, label in _OTHER_MAGIC:
        if data.startswith(magic):
            return label
    return "无法识别的格式"


def _check_pdf(data: bytes) -> None:
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        if reader.encrypted:
            raise UploadRejected("PDF文件已加密，请上传未加密的PDF文件")
        pages = int(reader.root["/Pages"]["/Count"])
    except UploadRejected:
        raise
    except (PdfError, KeyError, TypeError, ValueError, IndexError, AttributeError, RecursionError) as exc:
        raise UploadRejected("文件以PDF标记开头，但内容已损坏或不是有效的PDF，无法打开") from exc
    if pages < 1:
        raise UploadRejected("PDF文件没有任何页面")
    if has_active_content(data):
        raise UploadRejected("PDF文件含有脚本或启动程序等可执行内容（JavaScript/Launch），不能上传；"
                             "请用“打印为PDF”重新生成不含脚本的文件后上传")


# Names of PDF actions that run code or programs. An /OpenAction that only opens a page is
# harmless; one that runs a script names /JavaScript (or /JS) and is caught by that name.
_ACTIVE_NAMES = {b"/JS", b"/JavaScript", b"/Launch"}
_NAME = re.compile(rb"/[^\s/<>\[\]()%{}]+")
_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.DOTALL)
_INFLATE_LIMIT = 16 * MAX_BYTES


def _names(chunk: bytes) -> set[bytes]:
    # Names may hide letters as #xx escapes (/J#61vaScript is /JavaScript).
    return {re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), name) for name in _NAME.findall(chunk)}


def has_active_content(data: bytes) -> bool:
    """Whether a PDF carries JavaScript or launch actions, in plain objects or inside compressed
    object streams (inflated up to a bound, so a small bomb cannot exhaust memory)."""
    if _names(data) & _ACTIVE_NAMES:
        return True
    budget = _INFLATE_LIMIT
    for match in _STREAM.finditer(data):
        # Dictionaries packed out of sight live in object streams; images and page content
        # carry no actions and are left compressed.
        if b"/ObjStm" not in _names(data[max(0, match.start() - 512):match.start()]):
            continue
        inflater = zlib.decompressobj()
        try:
            chunk = inflater.decompress(match.group(1), budget)
        except zlib.error:
            continue
        budget -= len(chunk)
        if _names(chunk) & _ACTIVE_NAMES:
            return True
        if budget <= 0:
            return True  # too much packed inside to inspect: refuse rather than guess
    return False


def _check_image(data: bytes, expected: str) -> None:
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            # A small file can still claim gigapixels; treat that as a broken image, not a warning.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                actual = (image.format or "").lower()
                image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UploadRejected("图片文件已损坏或尺寸异常，无法打开") from exc
    if actual != expected:
        raise UploadRejected("图片内容与文件头不一致，无法识别")


def oversize_message(size: int) -> str:
    return f"文件大小为{size / 1024 / 1024:.1f} MB，超过2 MB的上限，请压缩后重新上传"


def read_limited(stream) -> tuple[bytes, int]:
    """The upload's bytes, but never more than MAX_BYTES + 1 of them in memory; and its full size."""
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return stream.read(MAX_BYTES + 1), size


def read_upload(upload) -> tuple[str, bytes]:
    """A posted file's name and bytes (at most MAX_BYTES of them read into memory); UploadRejected
    when it is larger. No file gives ("", b""), which check_file refuses in words of its kind."""
    if upload is None:
        return "", b""
    data, size = read_limited(upload.stream)
    if size > MAX_BYTES:
        raise UploadRejected(oversize_message(size))
    return upload.filename or "", data


def check_file(kind: str, filename: str, data: bytes) -> CheckedFile:
    """Validate `data` as evidence of `kind`; raise UploadRejected with the reason."""
    allowed = KIND_FORMATS.get(kind)
    if allowed is None:
        raise UploadRejected("材料类型不正确")
    wanted = "或".join(FORMAT_LABELS[f] for f in allowed)
    if not data:
        raise UploadRejected("没有收到文件内容，请选择文件后再上传")
    if len(data) > MAX_BYTES:
        raise UploadRejected(oversize_message(len(data)))
    fmt = _sniff(data)
    if fmt not in allowed:
        named = os.path.splitext(filename or "")[1].lower()
        renamed = "（仅修改扩展名不会改变文件格式）" if named in (".pdf", ".jpg", ".jpeg", ".png") else ""
        raise UploadRejected(f"该材料应为{wanted}，但所选文件的内容是{_describe(data)}{renamed}")
    if fmt == "pdf":
        _check_pdf(data)
    else:
        _check_image(data, fmt)
    return CheckedFile(fmt, CONTENT_TYPES[fmt], hashlib.sha256(data).hexdigest(), len(data))


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def store(data: bytes, checked: CheckedFile) -> str:
    """Write the file once per content; return its path relative to UPLOAD_DIR."""
    relative = f"{checked.sha256[:2]}/{checked.sha256}"
    target = upload_root() / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(target.name + ".part")
        temporary.write_bytes(data)
        os.replace(temporary, target)
    return relative


def open_stored(relative: str) -> Path:
    root = upload_root().resolve()
    path = (root / relative).resolve()
    if root not in path.parents:
        raise FileNotFoundError(relative)
    return path


def remove_if_unused(relative: str, still_used: bool) -> None:
    if still_used:
        return
    try:
        open_stored(relative).unlink()
    except FileNotFoundError:
        pass
