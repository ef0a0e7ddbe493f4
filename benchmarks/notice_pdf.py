"""How long the printable notice list takes to build: a 1 000-person list and a one-page list.

Budgets: 1 000 persons in at most 3 s, one page in at most 0.5 s (a cache miss; the route then
serves the stored file). Run with pytest-benchmark:

    nice .venv/bin/pytest benchmarks/notice_pdf.py -p no:cacheprovider --benchmark-columns=min,median,max,rounds

The first round in a process also loads the fonts into fontconfig; it is a warm-up round and
not counted.
"""
from __future__ import annotations

import random
from datetime import date

import pytest

from portal.documents.notice_pdf import NoticeDocument, NoticeRow, build_notice_pdf

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


@pytest.mark.parametrize("persons", [1000, 15], ids=["1000-persons", "one-page"])
def test_notice_pdf(benchmark, persons):
    doc = _document(persons)
    pdf = benchmark.pedantic(build_notice_pdf, args=(doc,), rounds=5, warmup_rounds=1, iterations=1)
    assert pdf.startswith(b"%PDF-")
