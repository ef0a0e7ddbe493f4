"""The visible signature stamp: its style, and its font built once per process.

pyHanko parses the font of a stamp and subsets it on every signature. Given the 2.8 MB stamp font
(the GB2312 subset) that was about a third of the cost of a signed one-page letter. Each set of
characters a stamp can show (the organisation's name and the signing-time line) is therefore cut
once per process into a font holding only their glyphs, a few kilobytes that pyHanko reads and
subsets in no time. Signing many documents for one organisation reuses one small font.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from fontTools import subset
from fontTools.ttLib import TTFont
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.stamp import TextStamp, TextStampStyle

from .fonts import stamp_font_file
from portal.clock import in_china

STAMP_COLOR = (0.75, 0.05, 0.05)
FONT_SIZE = 10


@functools.lru_cache(maxsize=256)
def _font_for(source: str, mtime_ns: int, characters: frozenset[str]) -> bytes:
    """``source`` cut down to the glyphs of ``characters`` (keyed by mtime: a rebuilt font counts)."""
    options = subset.Options()
    options.layout_closure = False
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.hinting = False
    with TTFont(source) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes={ord(char) for char in characters})
        subsetter.subset(font)
        buffer = BytesIO()
        font.save(buffer)
    return buffer.getvalue()


def stamp_font(text: str) -> bytes:
    """A font holding exactly the characters of ``text``, from the portal's stamp font."""
    source = stamp_font_file(text)
    characters = frozenset(char for char in text if not char.isspace()) | {" "}
    return _font_for(str(source), source.stat().st_mtime_ns, characters)


@dataclass(frozen=True)
class _StampFontFactory(GlyphAccumulatorFactory):
    """Hands pyHanko the stamp's small font from memory instead of a font file to open and parse.

    pyHanko's ``font_file`` field is unused; ``text`` holds every character the stamp may draw.
    """

    text: str = ""

    def create_font_engine(self, writer, obj_stream=None) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()
        return GlyphAccumulator(writer=writer, font_handle=BytesIO(stamp_font(self.text)),
                                font_size=self.font_size, obj_stream=obj_stream)


@dataclass(frozen=True)
class _ChinaTimeStampStyle(TextStampStyle):
    """A text stamp whose ``%(ts)s`` shows the signing time in Beijing time.

    pyHanko formats the signing time in the server's local zone; we make it
    emit ISO 8601 with an offset and convert that one value, so the stamp shows
    exactly the time that is signed.
    """

    timestamp_format: str = "%Y-%m-%dT%H:%M:%S%z"

    def create_stamp(self, writer, box, text_params):
        params = dict(text_params)
        signed_at = datetime.strptime(params["ts"], self.timestamp_format)
        params["ts"] = in_china(signed_at).strftime("%Y-%m-%d %H:%M:%S")
        return TextStamp(writer=writer, style=self, box=box, text_params=params)


def stamp_style(template: str, shown_text: str) -> TextStampStyle:
    """The red framed stamp showing ``template``; ``shown_text`` holds every character it may draw."""
    text_style = TextBoxStyle(font=_StampFontFactory("", font_size=FONT_SIZE, text=shown_text), font_size=FONT_SIZE,
                              leading=14, text_color=STAMP_COLOR)
    return _ChinaTimeStampStyle(text_box_style=text_style, stamp_text=template, border_width=1,
                                border_color=STAMP_COLOR)

