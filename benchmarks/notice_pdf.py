"""The printable notice list against a minimal WeasyPrint table of the same rows and font.

Cases: a 1 000-person list (27 pages) and a one-page list of 15, built by
``build_notice_pdf`` as ``/notices/<id>.pdf`` does on a cache miss. Baseline: the same rows as a
bare HTML table in the same font (the PortalSans subset, one @font-face) rendered by WeasyPrint
with nothing else: what WeasyPrint itself costs for those cells. Rounds alternate between the two;
the ratio of medians comes first (budget for reference: 1 000 persons in 3 s, one page in 0.5 s).

    nice .venv/bin/python benchmarks/notice_pdf.py [--rounds 5]
"""
from __future__ import annotations

import argparse
import html
import random
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.alternate import compare, machine  # noqa: E402
from portal.documents.fonts import ensure_fonts  # noqa: E402
from portal.documents.notice_pdf import NoticeDocument, NoticeRow, build_notice_pdf  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国红梅玉志海燕鹏飞晓东雪立新春林文博思远子涵雨欣浩然佳怡"
UNITS = ("日照市东港区人民医院", "日照市第一中学", "莒县农业技术推广中心", "日照市人才服务中心", "日照市岚山区妇幼保健院")
TITLES = (("卫生技术人员", "主治医师", "中级"), ("中小学教师", "一级教师", "中级"), ("农业技术人员", "高级农艺师", "副高级"),
          ("工程技术人员", "正高级工程师", "正高级"), ("卫生技术人员", "主管护师", "中级"), ("经济专业人员", "助理经济师", "初级"))


def _document(persons: int) -> NoticeDocument:
    rng = random.Random(persons)
    rows = []
    for n in range(1, persons + 1):
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        series, title, level = rng.choice(TITLES)
        rows.append(NoticeRow(n, name, rng.choice(UNITS), series, title, level))
    return NoticeDocument(
        title="日照市职称信息采集公示（第一批）", org_name="日照市职称改革领导小组办公室",
        start=date(2026, 11, 24), end=date(2026, 11, 30), days=5, provisional=False,
        body="根据职称信息采集工作要求，经审核，现将以下人员的职称信息予以公示。\n"
             "公示期间，任何单位和个人对公示人员的职称信息有异议的，可通过网上公示页面以真实姓名和联系方式提出。",
        contact="冯审核 0633-8000000", url="http://127.0.0.1:5000/notices/1", published_on=date(2026, 11, 24),
        rows=rows)


def minimal_table(doc: NoticeDocument):
    """The baseline: the document's rows as a bare WeasyPrint table in the same font."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    font_file = ensure_fonts()["Regular"].resolve().as_uri()
    css = CSS(string=f'@font-face {{ font-family: "Base"; src: url("{font_file}"); }} '
                     'html { font-family: "Base"; font-size: 10pt; } td { border: 0.5pt solid #333; }',
              font_config=fonts)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in (
        r.position, r.name, r.employer, r.series, r.title_name, r.level)) + "</tr>" for r in doc.rows)
    page = f"<table>{rows}</table>"
    return lambda: HTML(string=page).write_pdf(stylesheets=[css], font_config=fonts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(machine())
    for persons, label in ((1000, "1 000 persons"), (15, "one page (15 persons)")):
        doc = _document(persons)
        assert build_notice_pdf(doc).startswith(b"%PDF-")
        compare(f"notice PDF, {label}", lambda doc=doc: build_notice_pdf(doc),
                "a minimal WeasyPrint table of the same rows and font", minimal_table(doc), args.rounds)
    print(machine())


if __name__ == "__main__":
    main()
