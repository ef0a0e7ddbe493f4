"""HTML to PDF with WeasyPrint, using the portal's reduced CJK fonts."""
from __future__ import annotations

import atexit
import gc
import threading
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import segno
from jinja2 import Environment, FileSystemLoader, select_autoescape

from portal.clock import china_time, in_china

from .fonts import FONT_STACK, font_face_css

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

if TYPE_CHECKING:
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

BASE_CSS = f"""
@page {{
  size: A4;
  /* 28 mm at the bottom leaves room for the page number and the signature stamp. */
  margin: 20mm 18mm 28mm 18mm;
  @bottom-center {{
    content: "第 " counter(page) " 页 共 " counter(pages) " 页";
    font-family: {FONT_STACK};
    font-size: 9pt;
    color: #444;
  }}
}}
html {{
  font-family: {FONT_STACK};
  font-size: 11pt;
  line-height: 1.5;
  color: #000;
}}
body {{ margin: 0; }}
h1 {{ font-size: 18pt; font-weight: 700; text-align: center; margin: 0 0 6mm; }}
h2 {{ font-size: 14pt; font-weight: 700; margin: 5mm 0 3mm; }}
p {{ margin: 0 0 3mm; }}
/* Fixed layout takes column widths from <col> or the first row (equal shares
   otherwise) and spares WeasyPrint an auto-layout pass over every row on every page. */
table {{ width: 100%; border-collapse: collapse; table-layout: fixed; }}
/* A table-header-group is repeated at the top of each page the table spans. */
thead {{ display: table-header-group; }}
tfoot {{ display: table-footer-group; }}
tr {{ break-inside: avoid; }}
th, td {{
  border: 0.5pt solid #333;
  padding: 1.2mm 2mm;
  text-align: left;
  vertical-align: top;
}}
th {{ font-weight: 700; background: #eee; }}
img.qr {{ width: 28mm; height: 28mm; }}
"""

# Templates only need local files (static assets, fonts) and inline data: URIs;
# refusing the network keeps rendering fast and free of server-side requests.
_ALLOWED_PROTOCOLS = frozenset({"file", "data"})

# WeasyPrint and the Pango font map behind FontConfiguration are not documented
# as thread-safe, so one process renders one document at a time.
# WeasyPrint's image ``cache`` option is left unused: it is keyed by URL, so the
# per-document QR data: URIs would grow it without bound, and it saved no
# measurable time on our documents.
_lock = threading.Lock()
_font_config: FontConfiguration | None = None
_stylesheets: list[CSS] | None = None


def _prepared() -> tuple[FontConfiguration, list[CSS]]:
    """The shared font configuration and parsed stylesheets, created on first use.

    Reusing them means the @font-face files are registered with fontconfig and
    the CSS is parsed once per process instead of once per document.
    """
    global _font_config, _stylesheets
    if _font_config is None or _stylesheets is None:
        # WeasyPrint takes about a second to import: only processes that render a PDF pay it.
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration
        from weasyprint.urls import URLFetcher

        font_config = FontConfiguration()
        fetcher = URLFetcher(allowed_protocols=_ALLOWED_PROTOCOLS)
        _stylesheets = [
            CSS(string=font_face_css() + BASE_CSS, font_config=font_config, url_fetcher=fetcher)
        ]
        _font_config = font_config
        # Released at exit while WeasyPrint is still whole: its clean-up removes a temporary folder.
        atexit.register(_release)
    return _font_config, _stylesheets


def _release() -> None:
    global _font_config, _stylesheets
    _font_config = _stylesheets = None


def render_pdf(html: str, base_url: str | None = None) -> bytes:
    """Render an HTML document to PDF bytes with the portal fonts and BASE_CSS.

    BASE_CSS is a user stylesheet, so a template's own <style> rules win over it.
    Relative URLs resolve against ``base_url`` (e.g. the static folder as a file URL).
    """
    with _lock:
        font_config, stylesheets = _prepared()
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher

        # Layout allocates millions of objects; with the cyclic collector scanning
        # them again and again a 1 000-row table took 3.8 s instead of 2.5 s here.
        # Refcounting frees most of them; the rest goes in one collection afterwards.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            document = HTML(
                string=html,
                base_url=base_url,
                url_fetcher=URLFetcher(allowed_protocols=_ALLOWED_PROTOCOLS),
            )
            return document.write_pdf(stylesheets=stylesheets, font_config=font_config)
        finally:
            if gc_was_enabled:
                gc.enable()


def qr_svg_data_uri(url: str) -> str:
    """A QR code for ``url`` as an SVG data: URI for <img src>."""
    qr = segno.make(url, error="m", micro=False)
    return qr.svg_data_uri(scale=3, border=2)


def _cn_date(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = in_china(value).date()
    return f"{value.year}年{value.month}月{value.day}日"


def _iso_date(value: date | None) -> str:
    return value.isoformat() if value else ""


@cache
def template_environment() -> Environment:
    """The Jinja environment of every PDF template: builders run without an app or a request
    (CLI, jobs, benchmarks), and dates and times show as on the pages (China time)."""
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))
    env.filters["cn_date"] = _cn_date
    env.filters["china_time"] = china_time
    env.filters["iso_date"] = _iso_date
    return env
