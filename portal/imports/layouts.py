"""The spreadsheet layouts the importer recognises, by their header row.

Each layout lists its columns in order as (header, field). A file's header cells are matched
to fields through the header and its known aliases (other templates name the same field
differently), so a column moved or renamed between template versions is still found.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from portal.domain.text import clean

# Every field a layout may carry, with the header texts that mean it (first = canonical).
FIELD_HEADERS: dict[str, tuple[str, ...]] = {
    "seq": ("序号",),
    "evaluation_region_code": ("行政区划代码", "评审机构所在地行政区划代码"),
    "name": ("姓名",),
    "sex": ("性别",),
    "id_type": ("证件类型",),
    "id_number": ("证件号码", "身份证号码", "身份证号"),
    "birth_date": ("出生日期",),
    "employer_name": ("现工作单位", "工作单位"),
    "unit_nature": ("单位性质",),
    "education": ("最高学历", "学历"),
    "degree": ("最高学位", "学位"),
    "affiliation": ("隶属关系",),
    "cert_no": ("证书编号", "证书号码"),
    "issue_date": ("发证日期", "发证时间"),
    "grant_date": ("授予时间", "授予日期"),
    "title_name": ("职称名称", "资格名称"),
    "series": ("职称系列", "系列"),
    "has_review_specialty": ("评审活动是否设置评审专业", "是否设置评审专业"),
    "review_specialty": ("评审专业名称", "专业", "评审专业"),
    "local_review_specialty": ("本地评审专业名称",),
    "level": ("职称级别", "级别"),
    "issuing_authority": ("发证机构", "发证单位"),
    "review_committee_name": ("评审机构", "评审委员会名称", "评委会名称"),
    "approval_doc_no": ("证书批文号", "资格文件号", "批准文号"),
    "approval_department": ("审批部门",),
    "handling_status": ("证书办理状态",),
    "obtain_method": ("取得方式",),
    "phone": ("联系电话", "手机号", "手机号码"),
}


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    note: str = ""  # the explanation of the column, shown as a cell comment in the template


@dataclass(frozen=True)
class Layout:
    key: str
    title: str
    columns: tuple[Column, ...]
    # Columns a file may leave out and still be this layout (added in later template versions).
    optional: frozenset[str] = frozenset()
    # The sample row of the published templates (张三): offices copy it from one template to
    # another, so every layout knows it; a row with this number is an example, not data.
    example_id_numbers: frozenset[str] = frozenset({"370102197308291817"})
    # A 职称系列 outside the list: refused (national template) or kept as typed with a warning
    # (Rizhao: "按照取得职称证书所显示的职称系列如实填写").
    series_strict: bool = True
    # How the template asks for dates: "compact" YYYYMMDD or "iso" YYYY-MM-DD.
    date_style: str = "compact"

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(c.field for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.field for c in self.columns if c.field not in self.optional)

    def header_list(self) -> str:
        return "、".join(c.header for c in self.columns)


NATIONAL = Layout(
    key="national",
    title="全国上报数据模板",
    columns=(
        Column("行政区划代码", "evaluation_region_code", "职称评审机构所在地的行政区划代码，请从下拉菜单中选择（可在“行政区划代码”表中查找）。"),
        Column("姓名", "name", "职称证书获得人的姓名。字与字之间不能有空格；少数民族和外籍人员姓名中的间隔号请用“·”。"),
        Column("性别", "sex", "男或女，请从下拉菜单中选择；须与居民身份证号码一致。"),
        Column("证件类型", "id_type", "请从下拉菜单中选择证件类型。"),
        Column("证件号码", "id_number", "证件号码。本列为文本格式，请勿改为数字格式，否则18位号码的后几位会丢失。"),
        Column("出生日期", "birth_date", "格式为YYYYMMDD，例如19730829；居民身份证须与号码中的出生日期一致。"),
        Column("现工作单位", "employer_name", "现工作单位的全称。"),
        Column("单位性质", "unit_nature", "请从下拉菜单中选择单位性质。"),
        Column("最高学历", "education", "请从下拉菜单中选择最高学历。"),
        Column("最高学位", "degree", "请从下拉菜单中选择最高学位；无学位请选“无”。"),
        Column("隶属关系", "affiliation", "请从下拉菜单中选择隶属关系（见“隶属关系代码”表）。"),
        Column("证书编号", "cert_no", "按职称证书上的编号填写，若无编号可不填写。本列为文本格式，以免编号开头的0丢失。"),
        Column("发证日期", "issue_date", "格式为YYYYMMDD，例如20191119；不可填写年月日，不可用“.”或“-”连接。"),
        Column("职称名称", "title_name", "按职称证书填写职称（资格）名称，例如“高级工程师”。"),
        Column("职称系列", "series", "请从下拉菜单中选择职称系列。"),
        Column("评审活动是否设置评审专业", "has_review_specialty", "是或否，请从下拉菜单中选择。"),
        Column("评审专业名称", "review_specialty", "评审活动设置了评审专业时填写。"),
        Column("本地评审专业名称", "local_review_specialty", "本地评审专业名称与评审专业名称不同时填写。"),
        Column("职称级别", "level", "正高级、副高级、中级、初级，请从下拉菜单中选择。"),
        Column("发证机构", "issuing_authority", "发证机构的官方全称，如“山东省人力资源和社会保障厅”；机构改革前发证的按当时全称填写。"),
        Column("评审机构", "review_committee_name", "职称评审机构（评审委员会）的官方全称。"),
        Column("证书批文号", "approval_doc_no", "评审或认定结果的批准文号（资格文件号）。"),
        Column("审批部门", "approval_department", "印发批准文件的部门全称。"),
        Column("取得方式", "obtain_method", "评审、考核认定（初聘认定）、考评结合或以考代评，请从下拉菜单中选择；不填按“评审”记录。"),
    ),
    optional=frozenset({"obtain_method"}),
)

RIZHAO = Layout(
    key="rizhao12",
    title="山东（日照）职称数据整理模板（12列）",
    columns=tuple(Column(h, f) for h, f in (
        ("行政区划代码", "evaluation_region_code"), ("证书编号", "cert_no"), ("证件类型", "id_type"),
        ("证件号码", "id_number"), ("姓名", "name"), ("性别", "sex"), ("职称系列", "series"),
        ("职称级别", "level"), ("职称名称", "title_name"), ("发证日期", "issue_date"),
        ("发证机构", "issuing_authority"), ("评审机构", "review_committee_name"),
    )),
    series_strict=False,
)

SHAANXI = Layout(
    key="shaanxi18",
    title="陕西省专业技术职称资格证书上报信息表（18列）",
    columns=tuple(Column(h, f) for h, f in (
        ("序号", "seq"), ("工作单位", "employer_name"), ("姓名", "name"), ("性别", "sex"),
        ("证件类型", "id_type"), ("证件号码", "id_number"), ("出生日期", "birth_date"), ("级别", "level"),
        ("职称系列", "series"), ("专业", "review_specialty"), ("资格名称", "title_name"),
        ("授予时间", "grant_date"), ("证书号码", "cert_no"), ("证书办理状态", "handling_status"),
        ("发证日期", "issue_date"), ("发证机构", "issuing_authority"),
        ("评审委员会名称", "review_committee_name"), ("联系电话", "phone"),
    )),
    optional=frozenset({"seq"}),
    date_style="iso",
)

LAYOUTS = (NATIONAL, RIZHAO, SHAANXI)
BY_KEY = {layout.key: layout for layout in LAYOUTS}

_BRACKETED = re.compile(r"[（(][^）)]*[）)]")
_NOISE = re.compile(r"[\s*＊:：]+")
_HEADER_TO_FIELD = {}
for _field, _headers in FIELD_HEADERS.items():
    for _header in _headers:
        _HEADER_TO_FIELD.setdefault(_header, _field)


def normalize_header(value) -> str:
    """Header text without spaces, line breaks, required-marks or bracketed hints."""
    text = clean(value)
    return _NOISE.sub("", _BRACKETED.sub("", text))


def field_of_header(value) -> str | None:
    return _HEADER_TO_FIELD.get(normalize_header(value))


@dataclass
class HeaderMatch:
    layout: Layout
    row_index: int  # 0-based index among the rows read
    columns: dict[str, int]  # field -> 0-based column index
    headers: dict[str, str]  # field -> header text as in the file
    missing: tuple[str, ...]  # required fields not found


def match_header(cells: list) -> HeaderMatch | None:
    """The best layout for one candidate header row, or None when it looks like no header."""
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    for index, cell in enumerate(cells):
        field = field_of_header(cell)
        if field and field not in columns:
            columns[field] = index
            headers[field] = clean(cell)
    if len(columns) < 3:
        return None
    best = None
    for layout in LAYOUTS:
        found = [f for f in layout.fields if f in columns]
        missing = tuple(f for f in layout.required if f not in columns)
        # Complete layouts first, then the one explaining the most columns of the row.
        score = (not missing, len(found), -len(layout.columns))
        if best is None or score > best[0]:
            best = (score, HeaderMatch(
                layout, -1,
                {f: columns[f] for f in layout.fields if f in columns},
                {f: headers[f] for f in layout.fields if f in headers},
                missing,
            ))
    return best[1]

