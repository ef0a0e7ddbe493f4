"""Resident ID, other document numbers and 统一社会信用代码."""
from datetime import date, datetime

import pytest

from portal.domain.creditcode import build_credit_code, check_credit_code
from portal.domain.idnumber import (
    PROVINCE_CODES,
    build_resident_id,
    check_id_document,
    check_resident_id,
    cross_check,
    mask_id,
)
from portal.domain.problems import ERROR, WARNING
from portal.domain.text import clean

TODAY = date(2025, 6, 1)


def codes(problems):
    return [(p.severity, p.code) for p in problems]


# --- text ---------------------------------------------------------------------------------

def test_clean_makes_full_width_half_width_and_strips():
    assert clean("\u3000１１０１０５ＡＢｃ\u00a0") == "110105ABc"
    assert clean("张\u3000三") == "张 三"
    assert clean(None) == ""
    assert clean(123) == "123"


# --- resident ID --------------------------------------------------------------------------

def test_published_example_is_valid():
    r = check_resident_id("11010519491231002X", today=TODAY)
    assert r.ok
    assert r.problems == []
    assert r.value == "11010519491231002X"
    assert r.birth_date == date(1949, 12, 31)
    assert r.sex == "女"  # 17th digit 2 is even
    assert r.region_code == "110105"


def test_wrong_check_char_names_expected_char():
    r = check_resident_id("110105194912310021", today=TODAY)
    assert not r.ok
    assert r.value is None
    assert codes(r.problems) == [(ERROR, "id_checksum")]
    assert r.problems[0].message == "证件号码校验位错误：按前17位计算应为X，实际为1"


def test_rizhao_textbook_example_has_wrong_check_char():
    # The widely copied example 370102197308291817 does not satisfy GB 11643: the check is 4.
    r = check_resident_id("370102197308291817", today=TODAY)
    assert codes(r.problems) == [(ERROR, "id_checksum")]
    assert "应为4，实际为7" in r.problems[0].message
    fixed = check_resident_id("370102197308291814", today=TODAY)
    assert fixed.ok
    assert fixed.sex == "男"
    assert fixed.birth_date == date(1973, 8, 29)


def test_lower_case_x_is_normalised():
    r = check_resident_id("11010519491231002x", today=TODAY)
    assert r.ok and r.value == "11010519491231002X"


def test_full_width_input_is_accepted():
    r = check_resident_id("１１０１０５１９４９１２３１００２Ｘ", today=TODAY)
    assert r.ok and r.value == "11010519491231002X"


def test_fifteen_digit_number_is_converted_with_warning():
    r = check_resident_id("110105491231002", today=TODAY)
    assert r.ok
    assert r.value == "11010519491231002X"
    assert r.birth_date == date(1949, 12, 31)
    assert codes(r.problems) == [(WARNING, "id_converted_15")]
    assert "110105" not in r.problems[0].message
    assert "491231" not in r.problems[0].message


def test_fifteen_digit_number_stored_as_excel_float_is_read():
    r = check_resident_id(110105491231002.0, today=TODAY)
    assert r.value == "11010519491231002X"


def test_number_mangled_by_excel_is_an_error():
    r = check_resident_id(3.70102197308291e17, today=TODAY)
    assert codes(r.problems) == [(ERROR, "id_excel_number")]
    assert "文本" in r.problems[0].message
    assert codes(check_resident_id("3.70102E+17").problems) == [(ERROR, "id_excel_number")]
    assert codes(check_resident_id(370102197308291800).problems) == [(ERROR, "id_excel_number")]


def test_retired_region_code_is_not_an_error():
    # 110103 崇文区 was merged into 东城区 in 2010; numbers issued there stay valid.
    number = build_resident_id("110103", date(1980, 5, 17), 123)
    r = check_resident_id(number, today=TODAY)
    assert r.ok and r.problems == []
    assert r.region_code == "110103"


def test_unknown_region_code_is_only_a_warning():
    number = build_resident_id("110103", date(1980, 5, 17), 123)
    asked = []

    def region_known(code):
        asked.append(code)
        return False

    r = check_resident_id(number, region_known=region_known, today=TODAY)
    assert asked == ["110103"]
    assert r.ok
    assert r.value == number
    assert codes(r.problems) == [(WARNING, "id_region_unknown")]
    assert "110103" in r.problems[0].message
    assert "仅作提醒" in r.problems[0].message


def test_known_region_code_gives_no_warning():
    r = check_resident_id("11010519491231002X", region_known=lambda code: True, today=TODAY)
    assert r.problems == []


def test_bad_province_prefix():
    number = build_resident_id("990101", date(1980, 1, 1), 10)
    r = check_resident_id(number, today=TODAY)
    assert codes(r.problems) == [(ERROR, "id_province")]
    assert "“99”" in r.problems[0].message


def test_province_codes():
    assert {"11", "15", "46", "54", "65", "71", "81", "82"} <= PROVINCE_CODES
    assert not {"10", "16", "20", "47", "55", "66", "83", "99"} & PROVINCE_CODES
    assert len(PROVINCE_CODES) == 34


def test_future_birth_date():
    number = build_resident_id("110105", date(2030, 1, 1), 10)
    r = check_resident_id(number, today=TODAY)
    assert codes(r.problems) == [(ERROR, "id_birth_future")]
    assert "2030-01-01" in r.problems[0].message


def test_birth_before_1900_and_impossible_birth_date():
    early = build_resident_id("110105", date(1899, 12, 31), 10)
    assert codes(check_resident_id(early, today=TODAY).problems) == [(ERROR, "id_birth_too_early")]
    # 1949-02-30 does not exist; the date problem is reported first, before any checksum one.
    impossible = build_resident_id("110105", date(1949, 2, 28), 10).replace("19490228", "19490230")
    r = check_resident_id(impossible, today=TODAY)
    assert (ERROR, "id_birth_invalid") in codes(r.problems)
    assert "19490230" in r.problems[0].message


def test_length_characters_and_spaces():
    assert codes(check_resident_id("1101051949123100").problems) == [(ERROR, "id_length")]
    assert "实际为16位" in check_resident_id("1101051949123100").problems[0].message
    r = check_resident_id("11010519491231A02X")
    assert codes(r.problems) == [(ERROR, "id_characters")]
    assert "第15位" in r.problems[0].message
    assert codes(check_resident_id("11010519491231002Y").problems) == [(ERROR, "id_characters")]
    assert codes(check_resident_id("  ").problems) == [(ERROR, "id_required")]


@pytest.mark.parametrize("raw", ["110105 19491231002X", "110105\t19491231002X", "110105\u00a01949 1231\u3000002X",
                                 " 110105  19491231002x"])
def test_spaces_inside_an_id_are_removed_with_a_warning(raw):
    result = check_resident_id(raw)
    assert result.value == "11010519491231002X"
    assert codes(result.problems) == [(WARNING, "id_spaces_removed")]
    assert "11010519491231002X" not in result.problems[0].message


def test_spaces_inside_a_passport_number_are_removed_with_a_warning():
    result = check_id_document("护照", "E1234 5678")
    assert result.value == "E12345678" and codes(result.problems) == [(WARNING, "id_spaces_removed")]


@pytest.mark.parametrize("id_type", ["香港特区护照/港澳居民来往内地通行证", "澳门特区护照/港澳居民来往内地通行证",
                                     "护照", "港澳台居民居住证", "台湾居民来往大陆通行证"])
def test_document_types_of_the_rizhao_list_are_recognised(id_type):
    result = check_id_document(id_type, "H12345678")
    assert result.ok and result.value == "H12345678"


def test_messages_never_contain_the_full_number():
    for raw in ("110105194912310021", "110105491231002", "99010519491231002X"):
        for p in check_resident_id(raw, region_known=lambda c: False, today=TODAY).problems:
            assert raw not in p.message
            assert "11010519491231002X" not in p.message


def test_build_resident_id_sex_and_validation():
    male = build_resident_id("370102", date(1973, 8, 29), 181)
    assert male == "370102197308291814"
    assert check_resident_id(male, today=TODAY).sex == "男"
    female = build_resident_id("370102", date(1973, 8, 29), 0)
    assert female.startswith("37010219730829000")
    assert check_resident_id(female, today=TODAY).sex == "女"
    with pytest.raises(ValueError):
        build_resident_id("37010", date(1973, 8, 29), 1)
    with pytest.raises(ValueError):
        build_resident_id("370102", date(1973, 8, 29), 1000)


def test_id_document_dispatch():
    for name in ("居民身份证", "身份证", "二代身份证"):
        assert check_id_document(name, "11010519491231002X", today=TODAY).ok
    assert codes(check_id_document("居民身份证", "110105194912310021").problems) == [
        (ERROR, "id_checksum")
    ]
    r = check_id_document("护照", "e12345678")
    assert r.ok and r.value == "E12345678"
    assert r.birth_date is None and r.sex is None
    assert check_id_document("港澳居民来往内地通行证", "H1234567890").ok
    assert check_id_document("外国人永久居留身份证", "USA110079051502").ok
    bad = check_id_document("护照", "E12-345")
    assert codes(bad.problems) == [(ERROR, "id_format")]
    assert codes(check_id_document("护照", "E12").problems) == [(ERROR, "id_format")]
    assert codes(check_id_document("台湾居民来往大陆通行证", "1" * 21).problems) == [
        (ERROR, "id_format")
    ]


def test_unknown_id_type_lists_accepted_types():
    r = check_id_document("军官证", "12345678")
    assert codes(r.problems) == [(ERROR, "id_type_unknown")]
    assert r.problems[0].field == "id_type"
    for name in ("居民身份证", "护照", "外国人永久居留身份证", "台湾居民来往大陆通行证"):
        assert name in r.problems[0].message


def test_field_name_is_passed_through():
    r = check_resident_id("110105194912310021", field="证件号码")
    assert r.problems[0].field == "证件号码"


def test_mask_id():
    assert mask_id("11010519491231002X") == "110105********002X"
    assert mask_id("E12345678") == "E1******8"
    assert mask_id("H1234567890") == "H12345*7890"
    assert mask_id("") == ""
    assert mask_id(None) == ""
    assert len(mask_id("11010519491231002X")) == 18


def test_cross_check():
    r = check_resident_id("11010519491231002X", today=TODAY)
    assert cross_check(r, birth_date=date(1949, 12, 31), sex="女") == []
    assert cross_check(r, birth_date=datetime(1949, 12, 31, 0, 0), sex="女") == []
    assert cross_check(r) == []
    problems = cross_check(r, birth_date=date(1950, 1, 1), sex="男")
    assert codes(problems) == [(ERROR, "birth_mismatch"), (ERROR, "sex_mismatch")]
    assert problems[0].field == "birth_date" and problems[1].field == "sex"
    assert "1950-01-01" in problems[0].message and "1949-12-31" in problems[0].message
    assert "男" in problems[1].message and "女" in problems[1].message
    passport = check_id_document("护照", "E12345678")
    assert cross_check(passport, birth_date=date(1950, 1, 1), sex="男") == []


# --- 统一社会信用代码 ---------------------------------------------------------------------------

def test_valid_credit_code():
    assert check_credit_code("91350100M000100Y43") == ("91350100M000100Y43", [])
    assert check_credit_code(" 91350100m000100y43 ") == ("91350100M000100Y43", [])


def test_corrupted_credit_code_names_expected_char():
    value, problems = check_credit_code("91350100M000100Y44")
    assert value is None
    assert codes(problems) == [(ERROR, "credit_code_checksum")]
    assert problems[0].message == "统一社会信用代码校验位错误：按前17位计算应为3，实际为4"


def test_credit_code_bad_characters_and_length():
    value, problems = check_credit_code("91350100M0001O0Y43")
    assert value is None
    assert codes(problems) == [(ERROR, "credit_code_characters")]
    assert "第14位“O”" in problems[0].message
    assert codes(check_credit_code("91350100M000100Y4")[1]) == [(ERROR, "credit_code_length")]
    assert codes(check_credit_code("")[1]) == [(ERROR, "credit_code_required")]
    assert check_credit_code("91350100M000100Y44", field="unit_code")[1][0].field == "unit_code"


def test_build_credit_code():
    assert build_credit_code("91350100M000100Y4") == "91350100M000100Y43"
    with pytest.raises(ValueError):
        build_credit_code("91350100M000100I4")
    with pytest.raises(ValueError):
        build_credit_code("9135")


def test_region_list_knows_retired_codes_and_the_check_warns_only(app_ctx):
    from portal.domain.regions import parse_region_cell
    from portal.reference import record_context

    known = record_context(today=date(2026, 11, 24)).region_known
    assert known("110103") and known("370102") and not known("379999")
    unknown = check_resident_id(build_resident_id("379999", date(1980, 1, 1), 11), region_known=known)
    assert unknown.ok and [p.code for p in unknown.problems] == ["id_region_unknown"]
    assert parse_region_cell("370000000000山东省本级") == ("370000", [])
    assert parse_region_cell("37000012345x")[0] is None


# --- passwords ---------------------------------------------------------------------------------------

def test_password_policy():
    from portal.domain.passwords import check_password_policy, generate_password

    def codes(password, username="zhang3"):
        return [p.code for p in check_password_policy(password, username)]

    assert codes("Demo@2026") == []
    assert codes("Ab1#") == ["password_short"]
    assert codes("abcdefgh12") == ["password_classes"]
    assert codes("Zhang3@2026") == ["password_username"]
    assert codes("ABCdef123") == []
    for _ in range(50):
        generated = generate_password()
        assert check_password_policy(generated, "anyone") == [] and not set(generated) & set("0O1lI")


# --- who manages which account -------------------------------------------------------------------------

def test_the_level_above_manages_accounts_and_a_unit_its_staff():
    from portal.domain.accounts import may_manage

    # (actor role, actor id, actor org) → (account id, role, org)
    assert may_manage("county_office", 1, 10, 2, "unit", 20)          # a unit below the office
    assert not may_manage("county_office", 1, 10, 3, "county_office", 10)  # a colleague at the same office
    assert not may_manage("county_office", 1, 10, 1, "county_office", 10)  # oneself
    assert may_manage("unit", 4, 20, 5, "person", 20)                 # the unit's own staff
    assert not may_manage("unit", 4, 20, 6, "unit", 20)               # another administrator of the unit
    assert not may_manage("unit", 4, 20, 7, "person", 30)             # staff of another unit
    assert not may_manage("person", 5, 20, 8, "person", 20)
    assert not may_manage("committee", 9, 40, 2, "unit", 20)
    assert may_manage("admin", 11, None, 1, "province_office", 50)
