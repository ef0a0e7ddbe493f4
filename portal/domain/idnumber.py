"""证件号码 rules: the resident ID (GB 11643) with its checksum, and the other document types,
which carry no checksum."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field as dc_field
from datetime import date, datetime
from operator import mul

from portal import clock

from .problems import Problem, error, has_errors, warning
from .text import clean

PROVINCE_CODES = frozenset(
    [str(c) for c in range(11, 16)]
    + [str(c) for c in range(21, 24)]
    + [str(c) for c in range(31, 38)]
    + [str(c) for c in range(41, 47)]
    + [str(c) for c in range(50, 55)]
    + [str(c) for c in range(61, 66)]
    + ["71", "81", "82"]
)

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_ZERO_WEIGHT = ord("0") * sum(_WEIGHTS)
_EARLIEST_BIRTH = date(1900, 1, 1)
# Excel keeps 15 significant digits, so a longer number stored as a cell value is already damaged.
_EXCEL_DIGITS = 15
_LAST_CHARS = frozenset("0123456789Xx")

RESIDENT_ID_TYPES = ("居民身份证", "身份证", "二代身份证")
OTHER_ID_TYPES = (
    "护照",
    "港澳台居民居住证",
    "港澳居民来往内地通行证",
    "香港特区护照",
    "澳门特区护照",
    # The Rizhao template offers each pair as one choice: either document may be meant.
    "香港特区护照/港澳居民来往内地通行证",
    "澳门特区护照/港澳居民来往内地通行证",
    "台湾居民来往大陆通行证",
    "外国人永久居留身份证",
)
ID_TYPES = (RESIDENT_ID_TYPES[0],) + OTHER_ID_TYPES
_TYPE_NAMES = frozenset(RESIDENT_ID_TYPES + OTHER_ID_TYPES)  # already clean: clean() keeps them as they are

_OTHER_DOC = re.compile(r"[A-Z0-9]{5,20}")
_SCIENTIFIC = re.compile(r"\d(\.\d+)?E\+?\d+", re.IGNORECASE)
# clean() has already made ideographic and non-breaking spaces plain; \s covers tabs and newlines.
_INNER_SPACE = re.compile(r"\s+")


@dataclass
class IdNumberResult:
    """``value``, ``birth_date``, ``sex`` and ``region_code`` are only set when there is no error."""

    value: str | None
    birth_date: date | None
    sex: str | None
    region_code: str | None
    problems: list[Problem] = dc_field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not has_errors(self.problems)


def _failed(problems: list[Problem]) -> IdNumberResult:
    return IdNumberResult(None, None, None, None, problems)


def _check_char(first17: str) -> str:
    # ASCII digits only: each byte minus ord("0") is its value.
    total = sum(map(mul, first17.encode("ascii"), _WEIGHTS)) - _ZERO_WEIGHT
    return _CHECK_CHARS[total % 11]


def _excel_number_problem(raw, field: str) -> Problem | None:
    """Spot an ID that went through an Excel number cell: its trailing digits are gone for good."""
    if isinstance(raw, bool):
        return None
    damaged = False
    if isinstance(raw, float):
        damaged = not raw.is_integer() or len(str(int(raw))) > _EXCEL_DIGITS
    elif isinstance(raw, int):
        damaged = len(str(abs(raw))) > _EXCEL_DIGITS
    elif isinstance(raw, str):
        damaged = bool(_SCIENTIFIC.fullmatch(clean(raw)))
    if not damaged:
        return None
    return error(
        field,
        "id_excel_number",
        "证件号码被Excel存成了数字，后几位已丢失且无法恢复：请把该列设置为“文本”格式后重新录入证件号码",
    )


def _as_text(raw) -> str:
    # Integral floats such as 110105491231002.0 come from Excel number cells holding 15-digit IDs.
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return clean(raw)


def check_resident_id(
    raw,
    field: str = "id_number",
    region_known: Callable[[str], bool] | None = None,
    today: date | None = None,
) -> IdNumberResult:
    """Check a 居民身份证 number; a 15-digit old number is converted to 18 digits."""
    today = today or clock.today()
    if type(raw) is str and len(raw) == 18 and raw.isascii() and raw[:17].isdigit() and raw[17] in _LAST_CHARS:
        # The usual cell: 17 ASCII digits and a digit or X, nothing to clean, no number damage.
        return _resident_checks(raw.upper() if raw[17] == "x" else raw, field, region_known, today)
    damaged = _excel_number_problem(raw, field)
    if damaged:
        return _failed([damaged])
    text, spaces = _without_spaces(_as_text(raw), field)
    if not text:
        return _failed([error(field, "id_required", "证件号码不能为空")])
    text = text.upper()

    if len(text) not in (15, 18):
        return _failed([error(
            field, "id_length", f"居民身份证号码应为18位（旧版为15位），实际为{len(text)}位"
        )])
    body = text if len(text) == 15 else text[:17]
    for pos, ch in enumerate(body, start=1):
        if not ch.isascii() or not ch.isdigit():
            expected = "前17位" if len(text) == 18 else "15位"
            return _failed([error(
                field, "id_characters",
                f"居民身份证号码{expected}应全部为数字，第{pos}位是“{ch}”",
            )])
    if len(text) == 18 and not (text[17].isascii() and (text[17].isdigit() or text[17] == "X")):
        return _failed([error(
            field, "id_characters", f"居民身份证号码第18位应为数字或X，实际为“{text[17]}”"
        )])
    result = _resident_checks(text, field, region_known, today)
    if spaces:
        result.problems.insert(0, spaces)
    return result


def _without_spaces(text: str, field: str) -> tuple[str, Problem | None]:
    """The number without the spaces, tabs and non-breaking spaces typed or pasted inside it:
    a document number never contains any, so removing them cannot change which number is meant."""
    if not _INNER_SPACE.search(text):
        return text, None
    squeezed = _INNER_SPACE.sub("", text)
    # The message leaves the number out: problems are shown and logged where IDs must be masked.
    return squeezed, warning(field, "id_spaces_removed",
                             "证件号码中间有空格（或制表符），已删除空格后读取，请在原表中一并改正")


def _resident_checks(text: str, field: str, region_known: Callable[[str], bool] | None,
                     today: date) -> IdNumberResult:
    """The rules on a number already known to be 15 or 18 ASCII digits (the last may be X)."""
    problems: list[Problem] = []
    body = text if len(text) == 15 else text[:17]
    converted = len(text) == 15
    first17 = text[:6] + "19" + text[6:] if converted else body

    if first17[:2] not in PROVINCE_CODES:
        problems.append(error(
            field, "id_province",
            f"证件号码前两位“{first17[:2]}”不是有效的省级行政区代码（应为11–82之间的省份代码）",
        ))

    birth_text = first17[6:14]
    try:
        birth = date(int(birth_text[:4]), int(birth_text[4:6]), int(birth_text[6:]))
    except ValueError:
        birth = None
        problems.append(error(
            field, "id_birth_invalid", f"证件号码中的出生日期“{birth_text}”不是有效日期"
        ))
    if birth is not None and birth > today:
        problems.append(error(
            field, "id_birth_future",
            f"证件号码中的出生日期{birth.isoformat()}晚于今天（{today.isoformat()}）",
        ))
    if birth is not None and birth < _EARLIEST_BIRTH:
        problems.append(error(
            field, "id_birth_too_early",
            f"证件号码中的出生日期{birth.isoformat()}早于1900-01-01",
        ))

    expected = _check_char(first17)
    if not converted and text[17] != expected:
        problems.append(error(
            field, "id_checksum",
            f"证件号码校验位错误：按前17位计算应为{expected}，实际为{text[17]}",
        ))

    if problems and has_errors(problems):
        return _failed(problems)

    if converted:
        problems.append(warning(
            field, "id_converted_15", "旧版15位身份证号码已按国家标准自动升级为18位，请核对"
        ))
    region = first17[:6]
    if region_known is not None and not region_known(region):
        problems.append(warning(
            field, "id_region_unknown",
            f"证件号码中的地址码{region}不在行政区划代码表中。身份证号码保留首次发证时有效的地址码，"
            "撤销或调整过的地区号码仍然有效，此处仅作提醒",
        ))
    sex = "男" if int(first17[16]) % 2 == 1 else "女"
    return IdNumberResult(first17 + expected, birth, sex, region, problems)


def check_id_document(
    id_type,
    raw,
    field: str = "id_number",
    region_known: Callable[[str], bool] | None = None,
    today: date | None = None,
    *,
    type_field: str = "id_type",
) -> IdNumberResult:
    """Check a number according to its 证件类型; only the resident ID has a checksum."""
    type_name = id_type if type(id_type) is str and id_type in _TYPE_NAMES else clean(id_type)
    if not type_name:
        return _failed([error(
            type_field, "id_type_required", f"请填写证件类型：{'、'.join(ID_TYPES)}之一"
        )])
    if type_name in RESIDENT_ID_TYPES:
        return check_resident_id(raw, field=field, region_known=region_known, today=today)
    if type_name not in OTHER_ID_TYPES:
        return _failed([error(
            type_field, "id_type_unknown",
            f"证件类型“{type_name}”无法识别，应为{'、'.join(ID_TYPES)}之一",
        )])

    damaged = _excel_number_problem(raw, field)
    if damaged:
        return _failed([damaged])
    text, spaces = _without_spaces(_as_text(raw).upper(), field)
    if not text:
        return _failed([error(field, "id_required", "证件号码不能为空")])
    if not _OTHER_DOC.fullmatch(text) or not text.isascii():
        return _failed([*([spaces] if spaces else []), error(
            field, "id_format",
            f"{type_name}号码应为5–20位字母或数字（不含空格和符号），实际为{len(text)}个字符",
        )])
    return IdNumberResult(text, None, None, None, [spaces] if spaces else [])


def build_resident_id(region_code: str, birth: date, sequence: int) -> str:
    """Compose a valid 18-digit number; an odd ``sequence`` gives a male holder."""
    if not (len(region_code) == 6 and region_code.isascii() and region_code.isdigit()):
        raise ValueError(f"region_code must be 6 digits, got {region_code!r}")
    if not 0 <= sequence <= 999:
        raise ValueError(f"sequence must be 0..999, got {sequence}")
    first17 = f"{region_code}{birth.year:04d}{birth.month:02d}{birth.day:02d}{sequence:03d}"
    return first17 + _check_char(first17)


def mask_id(value) -> str:
    """Hide the middle of a document number, keeping its length."""
    text = clean(value)
    n = len(text)
    if n == 0:
        return ""
    if n > 10:
        return text[:6] + "*" * (n - 10) + text[-4:]
    if n <= 3:
        # Keeping two leading and one trailing character would reveal the whole value.
        return text[0] + "*" * (n - 1)
    return text[:2] + "*" * (n - 3) + text[-1]


def cross_check(
    result: IdNumberResult,
    birth_date=None,
    sex=None,
    field_birth: str = "birth_date",
    field_sex: str = "sex",
) -> list[Problem]:
    """Report where the entered 出生日期/性别 disagree with what the ID number encodes."""
    problems: list[Problem] = []
    given_birth = birth_date.date() if isinstance(birth_date, datetime) else birth_date
    if result.birth_date is not None and given_birth is not None and given_birth != result.birth_date:
        problems.append(error(
            field_birth, "birth_mismatch",
            f"出生日期{given_birth.isoformat()}与证件号码中的出生日期{result.birth_date.isoformat()}不一致",
        ))
    given_sex = clean(sex) if sex is not None else None
    if result.sex is not None and given_sex is not None and given_sex != result.sex:
        problems.append(error(
            field_sex, "sex_mismatch",
            f"性别“{given_sex}”与证件号码显示的性别“{result.sex}”不一致",
        ))
    return problems
