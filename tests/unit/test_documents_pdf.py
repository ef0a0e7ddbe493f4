"""HTML-to-PDF rendering: Chinese text, embedded fonts, repeated table headers, page footers."""
from __future__ import annotations

import gc
import logging
import os
import re
import shutil
import subprocess
import sys
from base64 import b64decode
from pathlib import Path
from urllib.parse import unquote

import pytest
from fontTools.ttLib import TTFont

from portal.documents import fonts
from portal.documents.pdf import BASE_CSS, qr_svg_data_uri, render_pdf

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NAMES = ["张三", "欧阳·娜娜", "刘䶮", "𠈌"]


@pytest.fixture(scope="session")
def font_files() -> dict[str, Path]:
    # Uses the shared font cache: building it costs ~20 s, so only the first run pays.
    return fonts.ensure_fonts()


def poppler(tool: str, *args: str | Path) -> str:
    result = subprocess.run([tool, *map(str, args)], capture_output=True, text=True, check=True)
    return result.stdout


def compact(text: str) -> str:
    """pdftotext drops or adds spaces between CJK glyphs, so compare without whitespace."""
    return re.sub(r"\s+", "", text)


def write_pdf(tmp_path: Path, html: str, name: str = "out.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(render_pdf(html))
    return path


def embedded_fonts(path: Path) -> list[tuple[str, str]]:
    """(font name, emb column) for every row of pdffonts."""
    rows = poppler("pdffonts", path).splitlines()[2:]
    result = []
    for row in rows:
        tokens = row.split()
        # The last five columns are: emb, sub, uni, object number, generation.
        result.append((tokens[0], tokens[-5]))
    return result


def page_count(path: Path) -> int:
    match = re.search(r"^Pages:\s+(\d+)$", poppler("pdfinfo", path), re.MULTILINE)
    assert match
    return int(match.group(1))


def document(body: str, style: str = "") -> str:
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>测试</title><style>{style}</style></head><body>{body}</body></html>"
    )


def test_subset_font_is_plain_otf_covering_common_characters(font_files):
    assert set(font_files) >= {"Regular", "Stamp"}
    for path in font_files.values():
        assert path.read_bytes()[:4] == b"OTTO"
    with TTFont(font_files["Regular"], lazy=True) as font:
        cmap = font.getBestCmap()
        assert font["name"].getDebugName(1) == fonts.FONT_FAMILY
    for char in "张三欧阳娜·，。、（）《》“”—…Ａ１ｚ￥AZaz09äé":
        assert ord(char) in cmap, char
    # Rare characters are deliberately left to the full system face.
    assert ord("䶮") not in cmap
    assert len(cmap) > 7000


def test_font_face_css_points_at_the_subset_files(font_files):
    css = fonts.font_face_css()
    assert fonts.FONT_STACK == '"PortalSans", "Noto Sans CJK SC", sans-serif'
    assert css.count("@font-face") == len(set(font_files) & set(fonts.STYLES))
    assert 'font-family: "PortalSans"' in css
    assert font_files["Regular"].resolve().as_uri() in css
    assert "Stamp" not in css
    assert fonts.FONT_STACK in BASE_CSS


def test_build_fonts_is_idempotent(font_files):
    before = {style: path.stat().st_mtime_ns for style, path in font_files.items()}
    assert fonts.build_fonts(font_files["Regular"].parent) == font_files
    assert {style: path.stat().st_mtime_ns for style, path in font_files.items()} == before


def test_font_built_by_another_recipe_is_stale(font_files, tmp_path):
    source = fonts.find_source("Regular")
    assert source is not None
    impostor = tmp_path / "PortalSans-Regular.otf"
    shutil.copyfile(font_files["Stamp"], impostor)
    assert fonts.is_fresh(font_files["Regular"], source, "Regular")
    assert not fonts.is_fresh(impostor, source, "Regular")
    assert not fonts.is_fresh(tmp_path / "missing.otf", source, "Regular")


def test_build_script_skips_up_to_date_fonts(font_files):
    env = {**os.environ, "PORTAL_FONT_DIR": str(font_files["Regular"].parent)}
    result = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "scripts" / "build_fonts.py")],
        capture_output=True, text=True, env=env, check=True,
    )
    assert "ready" in result.stdout
    assert str(font_files["Regular"]) in result.stdout


def test_chinese_names_render_with_embedded_cjk_fonts(font_files, tmp_path):
    rows = "".join(f"<p>姓名：{name}</p>" for name in NAMES)
    path = write_pdf(tmp_path, document(f"<h1>职称评审结果公示</h1>{rows}"))

    text = compact(poppler("pdftotext", path, "-"))
    assert "职称评审结果公示" in text
    for name in NAMES:
        assert f"姓名：{name}" in text

    embedded = embedded_fonts(path)
    assert embedded
    assert all(emb == "yes" for _, emb in embedded), embedded
    names = [name for name, _ in embedded]
    assert any("PortalSans" in name for name in names), names
    # 䶮 and 𠈌 are outside the subset and must come from the full system face.
    assert any(re.search(r"Noto.?Sans.?CJK", name) for name in names), names


def test_bold_text_uses_the_bold_subset(font_files, tmp_path):
    assert "Bold" in font_files
    path = write_pdf(tmp_path, document("<p><b>加粗的单位名称</b></p>"))
    assert any("PortalSans-Bold" in name for name, _ in embedded_fonts(path))


def test_table_header_repeats_and_pages_are_numbered(font_files, tmp_path):
    rows = "".join(
        f"<tr><td>{i}</td><td>张三{i}</td><td>某某市第一人民医院</td><td>主任医师</td></tr>"
        for i in range(1, 26)
    )
    html = document(
        "<h1>公示名单</h1><table><thead><tr><th>序号</th><th>姓名</th><th>工作单位</th>"
        f"<th>评审职称</th></tr></thead><tbody>{rows}</tbody></table>",
        # Fixed row heights make the page count independent of font metrics.
        style="td { height: 20mm; }",
    )
    path = write_pdf(tmp_path, html)
    assert page_count(path) == 3

    for page in (1, 2, 3):
        text = compact(poppler("pdftotext", "-f", page, "-l", page, path, "-"))
        assert "序号姓名工作单位评审职称" in text, f"header missing on page {page}"
        assert f"第{page}页共3页" in text
    last_page = compact(poppler("pdftotext", "-f", 3, "-l", 3, path, "-"))
    assert "张三25" in last_page


def test_qr_code_data_uri_renders(font_files, tmp_path, caplog):
    uri = qr_svg_data_uri("https://portal.invalid/verify/ABC123")
    prefix, _, payload = uri.partition(",")
    assert prefix.startswith("data:image/svg+xml")
    svg = b64decode(payload).decode() if prefix.endswith(";base64") else unquote(payload)
    assert "<svg" in svg and "<path" in svg

    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        path = write_pdf(tmp_path, document(f'<p>扫码核验</p><img class="qr" src="{uri}">'))
    assert not caplog.records, [record.getMessage() for record in caplog.records]
    assert "扫码核验" in compact(poppler("pdftotext", path, "-"))


def test_network_urls_are_refused(font_files, caplog):
    with caplog.at_level(logging.ERROR, logger="weasyprint"):
        render_pdf(document('<img src="http://127.0.0.1:9/logo.png"><p>正文</p>'))
    assert any("disallowed protocol" in record.getMessage() for record in caplog.records)


def test_repeated_renders_reuse_state_and_restore_gc(font_files):
    html = document("<p>承诺书</p>")
    first = render_pdf(html)
    assert gc.isenabled()
    gc.disable()
    try:
        second = render_pdf(html)
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert first.startswith(b"%PDF-") and second.startswith(b"%PDF-")
