"""Dates, person names, title levels and title series."""
from dataclasses import dataclass
from datetime import date, datetime

import pytest

from portal.domain.dates import format_compact, format_iso, parse_date
from portal.domain.names import check_person_name
from portal.domain.problems import ERROR, WARNING
from portal.domain.titles import (
    JUNIOR_SUBLEVELS,
    LEVELS,
    base_level,
    normalize_level,
    normalize_series,
)


def codes(problems):
    return [(p.severity, p.code) for p in problems]


# --- dates --------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    "20191119",
    "2019-11-19",
    "2019/11/19",
    "2019.11.19",
    "2019年11月19日",
    "2019年11月19",
    "2019 年 11 月 19 日",
    "2019 - 11 - 19",
    "２０１９．１１．１９",
    "２０１９年１１月１９日",
    43788,
    43788.0,
    43788.75,
    "43788",
    20191119,
    date(2019, 11, 19),
    datetime(2019, 11, 19, 8, 30),
])
def test_every_accepted_format(raw):
    r = parse_date(raw)
    assert r.value == date(2019, 11, 19)
    assert r.problems == []


def test_single_digit_month_and_day():
    assert parse_date("2019/1/9").value == date(2019, 1, 9)
    assert parse_date("2019.1.9").value == date(2019, 1, 9)
    assert parse_date("2019年1月9日").value == date(2019, 1, 9)


def test_notes_say_what_changed():
    assert parse_date("2019.11.19").note == "已将“2019.11.19”识别为2019-11-19"
    assert parse_date("20191119").note == "已将“20191119”识别为2019-11-19"
    assert parse_date("2019年11月19日").note == "已将“2019年11月19日”识别为2019-11-19"
    assert parse_date(43788).note == "已将Excel日期序号43788识别为2019-11-19"
    assert parse_date("2019-11-19").note is None
    assert parse_date(date(2019, 11, 19)).note is None


def test_empty_gives_nothing():
    for raw in (None, "", "   ", "\u3000", float("nan")):
        r = parse_date(raw)
        assert r.value is None and r.note is None and r.problems == []


def test_impossible_dates():
    r = parse_date("20190231", field="issue_date")
    assert r.value is None
    assert codes(r.problems) == [(ERROR, "date_invalid")]
    assert r.problems[0].field == "issue_date"
    assert r.problems[0].message == "日期“20190231”不存在：2019年2月只有28天，没有31日"
    assert codes(parse_date("2019-13-01").problems) == [(ERROR, "date_invalid")]
    assert "月份应为1–12" in parse_date("2019-13-01").problems[0].message
    assert parse_date("2020-02-29").value == date(2020, 2, 29)
    assert codes(parse_date("2019-02-29").problems) == [(ERROR, "date_invalid")]


@pytest.mark.parametrize("raw", [
    "2019-11", "19-11-2019", "11/19/2019", "2019-11/19", "abc", "2019年11月19号",
    "0", 0, 3000000, "٢٠١٩١١١٩", True,
])
def test_unrecognised_formats(raw):
    r = parse_date(raw)
    assert r.value is None
    assert codes(r.problems) == [(ERROR, "date_format")]
    assert "YYYYMMDD" in r.problems[0].message and "YYYY年M月D日" in r.problems[0].message


def test_limits():
    r = parse_date("2030-01-01", not_after=date(2025, 6, 1))
    assert r.value == date(2030, 1, 1)
    assert codes(r.problems) == [(ERROR, "date_future")]
    assert "2025-06-01" in r.problems[0].message and "2030-01-01" in r.problems[0].message
    r = parse_date("18991231", not_before=date(1900, 1, 1))
    assert codes(r.problems) == [(ERROR, "date_too_early")]
    assert "1900-01-01" in r.problems[0].message
    ok = parse_date("2019-11-19", not_after=date(2019, 11, 19), not_before=date(2019, 11, 19))
    assert ok.problems == []


def test_excel_serial_edges():
    assert parse_date(61).value == date(1900, 3, 1)
    assert parse_date(2958465).value == date(9999, 12, 31)
    assert codes(parse_date(2958466).problems) == [(ERROR, "date_format")]


def test_formatters():
    assert format_compact(date(2019, 11, 19)) == "20191119"
    assert format_iso(date(2019, 1, 9)) == "2019-01-09"
    assert format_compact(date(2019, 1, 9)) == "20190109"


# --- names --------------------------------------------------------------------------------

def test_plain_chinese_name():
    assert check_person_name(" 张三 ") == ("张三", [])
    assert check_person_name("欧阳〇") == ("欧阳〇", [])


def test_inner_space_is_an_error():
    for raw in ("张 三", "张\u3000三", "欧阳 修", "张\t三"):
        value, problems = check_person_name(raw)
        assert value is None
        assert codes(problems) == [(ERROR, "name_inner_space")]
        assert problems[0].message == "姓名字与字之间不能有空格"


def test_foreign_names_keep_word_spaces():
    assert check_person_name("JOHN SMITH") == ("JOHN SMITH", [])
    assert check_person_name("José García") == ("José García", [])
    value, problems = check_person_name("JOHN   SMITH")
    assert value == "JOHN SMITH"
    assert codes(problems) == [(WARNING, "name_spaces_collapsed")]
    assert codes(check_person_name("张 JOHN")[1]) == [(ERROR, "name_inner_space")]


@pytest.mark.parametrize("dot", ["•", "・", "･", "．", "\u2027", "\u30fb", "\uff65", "."])
def test_middle_dot_lookalikes_are_normalised(dot):
    value, problems = check_person_name(f"阿卜杜{dot}热合曼")
    assert value == "阿卜杜·热合曼"
    assert codes(problems) == [(WARNING, "name_dot_normalized")]
    assert "·" in problems[0].message


def test_standard_middle_dot_passes_silently():
    assert check_person_name("艾力·买买提") == ("艾力·买买提", [])
    assert check_person_name("JOHN·SMITH") == ("JOHN·SMITH", [])


def test_misplaced_dots():
    assert codes(check_person_name("·王")[1]) == [(ERROR, "name_dot_position")]
    assert codes(check_person_name("王.")[1]) == [(ERROR, "name_dot_position")]
    assert codes(check_person_name("阿卜杜··热合曼")[1]) == [(ERROR, "name_dot_repeated")]


def test_digits_symbols_length_and_empty():
    value, problems = check_person_name("李3")
    assert value is None and codes(problems) == [(ERROR, "name_digit")]
    assert "“3”" in problems[0].message
    value, problems = check_person_name("王@明")
    assert value is None and codes(problems) == [(ERROR, "name_symbol")]
    assert "“@”" in problems[0].message
    assert codes(check_person_name("王-明")[1]) == [(ERROR, "name_symbol")]
    assert codes(check_person_name("王" * 51)[1]) == [(ERROR, "name_too_long")]
    assert check_person_name("王" * 50)[0] == "王" * 50
    assert codes(check_person_name("")[1]) == [(ERROR, "name_required")]
    assert codes(check_person_name(None)[1]) == [(ERROR, "name_required")]
    assert check_person_name("", field="applicant")[1][0].field == "applicant"


# --- levels -------------------------------------------------------------------------------

def test_exact_levels_pass():
    for level in LEVELS + JUNIOR_SUBLEVELS:
        assert normalize_level(level) == (level, [])
    assert normalize_level(" 中级 ") == ("中级", [])


@pytest.mark.parametrize("alias, level", [
    ("正高", "正高级"), ("副高", "副高级"), ("中", "中级"), ("初", "初级"),
])
def test_level_aliases_warn(alias, level):
    value, problems = normalize_level(alias)
    assert value == level
    assert codes(problems) == [(WARNING, "level_alias")]
    assert alias in problems[0].message and level in problems[0].message


def test_ambiguous_and_unknown_levels():
    value, problems = normalize_level("高级")
    assert value is None
    assert codes(problems) == [(ERROR, "level_ambiguous")]
    assert problems[0].message == "“高级”无法确定是正高级还是副高级，请填写正高级或副高级"
    value, problems = normalize_level("特级")
    assert value is None
    assert codes(problems) == [(ERROR, "level_unknown")]
    assert problems[0].message == "职称级别应为正高级、副高级、中级、初级之一，实际为“特级”"
    assert codes(normalize_level("")[1]) == [(ERROR, "level_required")]


def test_base_level():
    assert base_level("助理级") == "初级"
    assert base_level("员级") == "初级"
    assert base_level("初级") == "初级"
    assert base_level("正高级") == "正高级"


# --- series -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Series:
    key: str
    official_code: str | None
    name: str
    former_names: tuple[str, ...]


SERIES = [
    Series("higher_ed", "001", "高等学校教师", ()),
    Series("technical_school", "012", "技工院校教师", ("技工学校教师",)),
    Series("engineering", "003", "工程技术", ()),
    Series("local", None, "乡村振兴", ()),
]


def test_series_by_current_name():
    assert normalize_series("工程技术", SERIES) == ("engineering", [])
    assert normalize_series(" 高等学校 教师 ", SERIES) == ("higher_ed", [])


def test_series_by_former_name_warns():
    key, problems = normalize_series("技工学校教师", SERIES)
    assert key == "technical_school"
    assert codes(problems) == [(WARNING, "series_renamed")]
    assert problems[0].message == "职称系列“技工学校教师”已更名为“技工院校教师”，已按技工院校教师记录"


def test_series_with_leading_code():
    assert normalize_series("012 技工院校教师", SERIES) == ("technical_school", [])
    key, problems = normalize_series("012 技工学校教师", SERIES)
    assert key == "technical_school"
    assert codes(problems) == [(WARNING, "series_renamed")]
    assert normalize_series("003工程技术", SERIES) == ("engineering", [])
    assert normalize_series("012", SERIES) == ("technical_school", [])
    key, problems = normalize_series("001 工程技术", SERIES)
    assert key == "engineering"
    assert codes(problems) == [(WARNING, "series_code_mismatch")]


def test_series_accepts_tuples():
    rows = [(s.key, s.official_code, s.name, s.former_names) for s in SERIES]
    assert normalize_series("乡村振兴", rows) == ("local", [])
    assert normalize_series("技工学校教师", iter(rows))[0] == "technical_school"


def test_unknown_series():
    key, problems = normalize_series("宇航员", SERIES, field="系列")
    assert key is None
    assert codes(problems) == [(ERROR, "series_unknown")]
    assert "宇航员" in problems[0].message
    assert problems[0].field == "系列"
    assert codes(normalize_series("999", SERIES)[1]) == [(ERROR, "series_unknown")]
    assert codes(normalize_series("", SERIES)[1]) == [(ERROR, "series_required")]
