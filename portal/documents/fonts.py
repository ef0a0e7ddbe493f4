"""Reduced Noto Sans CJK SC fonts for PDF rendering and signature stamps.

WeasyPrint draws empty boxes when no CJK font is available, and embedding
glyphs from the full 65 535-glyph system face makes every PDF bigger and
slower to produce.  So we build, once, a subset ("PortalSans") holding ASCII,
Latin-1, CJK punctuation, full-width forms and every GB2312 character, and
list the full system face after it in ``FONT_STACK`` so that rare characters
(生僻字) still render.  pyHanko cannot read TTC collections, so signature
stamps use plain-OTF copies without layout tables (see ``stamp_font_file``).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, has_app_context
from fontTools.ttLib import TTCollection, TTFont

from portal import config

FONT_FAMILY = "PortalSans"
FONT_STACK = '"PortalSans", "Noto Sans CJK SC", sans-serif'

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Bump when the character set or subsetting options change, so that cached
# fonts built by an older recipe are rebuilt even though they are newer than
# the system font.
RECIPE = "gb2312-r2"

STYLES = {"Regular": 400, "Bold": 700}
STAMP_STYLE = "Stamp"

_KNOWN_SOURCES = {
    "Regular": (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/google-noto-sans-cjk-fonts/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    ),
    "Bold": (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
        "/usr/share/fonts/google-noto-sans-cjk-fonts/NotoSansCJK-Bold.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Bold.otf",
    ),
}


class FontError(RuntimeError):
    """The system CJK font needed to build the portal fonts is missing."""


@dataclass(frozen=True)
class SourceFace:
    path: Path
    index: int  # face number inside a TTC; 0 for a plain OTF


def font_dir() -> Path:
    """Directory holding the built fonts: the app's PORTAL_FONT_DIR, or (for the build script,
    which runs without an app) the same setting as portal.config resolves it."""
    if has_app_context():
        return Path(current_app.config["PORTAL_FONT_DIR"])
    return Path(config.font_dir(PROJECT_ROOT / "instance"))


def subset_path(style: str, directory: Path | None = None) -> Path:
    return (directory or font_dir()) / f"{FONT_FAMILY}-{style}.otf"


def _postscript_name(style: str) -> str:
    return f"NotoSansCJKsc-{style}"


def _face_index(path: Path, ps_name: str) -> int | None:
    """Index of the face called ``ps_name`` in a TTC/OTF, or None."""
    try:
        with path.open("rb") as fh:
            is_collection = fh.read(4) == b"ttcf"
        if is_collection:
            with TTCollection(path, lazy=True) as collection:
                names = [font["name"].getDebugName(6) for font in collection]
        else:
            with TTFont(path, lazy=True) as font:
                names = [font["name"].getDebugName(6)]
    except (OSError, ValueError, AssertionError, KeyError):
        return None
    return names.index(ps_name) if ps_name in names else None


def _fc_match(style: str) -> str | None:
    if shutil.which("fc-match") is None:
        return None
    pattern = "Noto Sans CJK SC:bold" if style == "Bold" else "Noto Sans CJK SC"
    try:
        result = subprocess.run(
            ["fc-match", "--format=%{file}", pattern],
            capture_output=True, text=True, check=False, timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None


def find_source(style: str = "Regular") -> SourceFace | None:
    """The system Noto Sans CJK SC face for ``style``, or None if not installed."""
    ps_name = _postscript_name(style)
    candidates = [_fc_match(style), *_KNOWN_SOURCES[style]]
    seen: set[str] = set()
    for candidate in candidates:
        if not candidate or candidate in seen:
            continue
        seen.add(candidate)
        path = Path(candidate)
        if path.is_file():
            index = _face_index(path, ps_name)
            if index is not None:
                return SourceFace(path, index)
    return None


def _gb2312_characters() -> set[int]:
    chars: set[int] = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.update(map(ord, bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return chars


def subset_codepoints() -> set[int]:
    ranges = (
        (0x0020, 0x007E),  # ASCII
        (0x00A0, 0x00FF),  # Latin-1, including the middle dot of 欧阳·娜娜
        (0x2010, 0x203B),  # dashes, quotes, ellipsis, ‰, ※
        (0x3000, 0x303F),  # CJK symbols and punctuation
        (0xFF01, 0xFF5E),  # full-width ASCII forms
        (0xFFE0, 0xFFE6),  # full-width signs (￥ …)
    )
    chars = _gb2312_characters()
    for first, last in ranges:
        chars.update(range(first, last + 1))
    return chars


def _unique_id(style: str) -> str:
    return f"{FONT_FAMILY}-{style};{RECIPE}"


def _rename(font: TTFont, style: str, *, cff: bool = True) -> None:
    """Give the subset its own family so fontconfig never confuses it with the full face.

    ``cff=False`` leaves the CFF table's own name alone, which spares decompiling it.
    """
    names = {
        1: FONT_FAMILY,
        2: style,
        3: _unique_id(style),
        4: f"{FONT_FAMILY} {style}",
        6: f"{FONT_FAMILY}-{style}",
        16: FONT_FAMILY,
        17: style,
    }
    table = font["name"]
    table.names = [record for record in table.names if record.nameID not in names]
    for name_id, value in names.items():
        table.setName(value, name_id, 3, 1, 0x409)
        table.setName(value, name_id, 1, 0, 0)
    if cff and "CFF " in font:
        font["CFF "].cff.fontNames = [f"{FONT_FAMILY}-{style}"]


def is_fresh(target: Path, source: SourceFace, style: str) -> bool:
    """Whether ``target`` exists, is newer than the source and built by the current recipe."""
    try:
        if target.stat().st_mtime < source.path.stat().st_mtime:
            return False
        with TTFont(target, lazy=True) as font:
            return font["name"].getDebugName(3) == _unique_id(style)
    except (OSError, ValueError, AssertionError, KeyError):
        return False


def _atomic_save(font: TTFont, target: Path) -> None:
    # Another process may build the same file concurrently: write aside, then rename.
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        font.save(temp_name)
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def build_subset(source: SourceFace, target: Path, style: str) -> None:
    # The subsetter is a large module that only this rare build needs.
    from fontTools import subset

    options = subset.Options()
    options.font_number = source.index
    options.notdef_outline = True
    options.name_IDs = ["*"]
    # WeasyPrint strips hints when embedding anyway; without them pyHanko subsets faster.
    options.hinting = False
    font = TTFont(source.path, fontNumber=source.index)
    try:
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=subset_codepoints() & set(font.getBestCmap()))
        subsetter.subset(font)
        _rename(font, style)
        _atomic_save(font, target)
    finally:
        font.close()


def _drop_layout_tables(font: TTFont) -> None:
    for tag in ("GSUB", "GPOS", "GDEF", "BASE", "JSTF"):
        if tag in font:
            del font[tag]


def build_stamp_font(regular: Path, target: Path) -> None:
    """The Regular subset without OpenType layout tables, for pyHanko signature stamps.

    pyHanko subsets the stamp font on every signature and would decompile
    GSUB/GPOS each time; CJK text and digits need neither.
    """
    with TTFont(regular, lazy=True) as font:
        _drop_layout_tables(font)
        _rename(font, STAMP_STYLE, cff=False)
        _atomic_save(font, target)


def build_fonts(directory: Path | None = None, *, force: bool = False) -> dict[str, Path]:
    """Build the missing or stale fonts; return the available ones by style.

    Regular (and the stamp font derived from it) is required; Bold is built
    only when the system has the bold face.
    """
    directory = directory or font_dir()
    built: dict[str, Path] = {}
    for style in STYLES:
        source = find_source(style)
        if source is None:
            if style == "Regular":
                raise FontError(
                    "未找到系统字体 Noto Sans CJK SC，无法生成 PDF 中文字体；"
                    "请安装 fonts-noto-cjk。"
                )
            continue
        target = subset_path(style, directory)
        if force or not is_fresh(target, source, style):
            build_subset(source, target, style)
        built[style] = target
        if style == "Regular":
            stamp = subset_path(STAMP_STYLE, directory)
            if force or not is_fresh(stamp, source, STAMP_STYLE):
                build_stamp_font(target, stamp)
            built[STAMP_STYLE] = stamp
    return built


_lock = threading.Lock()
_fonts: dict[str, Path] | None = None
_font_css: str | None = None
_subset_cmap: frozenset[int] | None = None


def ensure_fonts() -> dict[str, Path]:
    """The subset font files by style, building them on first use in this process."""
    global _fonts
    with _lock:
        if _fonts is None:
            _fonts = build_fonts()
        return dict(_fonts)


def font_face_css() -> str:
    """@font-face rules declaring the "PortalSans" family (Regular, and Bold when available)."""
    global _font_css
    fonts = ensure_fonts()
    with _lock:
        if _font_css is None:
            rules = []
            for style, path in fonts.items():
                if style not in STYLES:
                    continue
                rules.append(
                    "@font-face {"
                    f' font-family: "{FONT_FAMILY}";'
                    f' src: url("{path.resolve().as_uri()}") format("opentype");'
                    f" font-weight: {STYLES[style]}; font-style: normal; }}"
                )
            _font_css = "\n".join(rules) + "\n"
        return _font_css


def _covered_codepoints() -> frozenset[int]:
    global _subset_cmap
    path = ensure_fonts()["Regular"]
    with _lock:
        if _subset_cmap is None:
            with TTFont(path, lazy=True) as font:
                _subset_cmap = frozenset(font.getBestCmap())
        return _subset_cmap


def full_face_path(directory: Path | None = None) -> Path:
    """A plain-OTF copy of the full system SC face for stamps (pyHanko cannot read TTC files).

    Like the stamp font it has no layout tables, which pyHanko would decompile per signature.
    """
    source = find_source("Regular")
    if source is None:
        raise FontError("未找到系统字体 Noto Sans CJK SC。")
    target = (directory or font_dir()) / "NotoSansCJKsc-Regular-Stamp.otf"
    try:
        if target.stat().st_mtime >= source.path.stat().st_mtime:
            return target
    except OSError:
        pass
    # Lazy loading copies the tables untouched, which takes well under a second.
    with TTFont(source.path, fontNumber=source.index, lazy=True) as font:
        _drop_layout_tables(font)
        _atomic_save(font, target)
    return target


def stamp_font_file(text: str) -> Path:
    """An OTF file able to draw ``text``: the subset when it suffices, else the full face."""
    covered = _covered_codepoints()
    if all(ord(char) in covered for char in text if not char.isspace()):
        return ensure_fonts()[STAMP_STYLE]
    return full_face_path()
