"""The national 上报数据模板: four sheets, dropdowns drawing on the reference sheets.

Built from plain data (regions and code tables as lists), never from a request, so the web
download, the CLI and the national-layout export share it. Only 信息填报 is for typing; the
other three sheets are protected. Coded columns carry list validations whose sources are
named ranges on the reference sheets (the region list has thousands of entries, far beyond
the 255 characters an inline list may hold).
"""
from __future__ import annotations

import io
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from portal.imports.layouts import NATIONAL

INSTRUCTIONS_SHEET = "填表说明"
DATA_SHEET = "信息填报"
REGIONS_SHEET = "行政区划代码"
AFFILIATION_SHEET = "隶属关系代码"
DATA_PART = "xl/worksheets/sheet2.xml"  # 信息填报 is the second sheet
VALIDATION_ROWS = 100_001
# Columns kept as text so Excel never turns an ID into 3.70102E+17 or drops leading zeros.
TEXT_FIELDS = ("id_number", "cert_no", "birth_date", "issue_date", "evaluation_region_code")
# Statistical placeholders of GB/T 2260 that no evaluating body is located at.
PLACEHOLDER_REGION_NAMES = ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划")
# Coded column -> code-table kind whose names fill its dropdown.
LIST_KINDS = {
    "id_type": "id_type", "unit_nature": "unit_nature", "education": "education", "degree": "degree",
    "series": "title_series", "level": "title_level", "obtain_method": "obtain_method",
}
FIXED_LISTS = {"sex": ("男", "女"), "has_review_specialty": ("是", "否")}
LIST_TITLES = {
    "id_type": "证件类型", "unit_nature": "单位性质", "education": "最高学历", "degree": "最高学位",
    "series": "职称系列", "level": "职称级别", "obtain_method": "取得方式", "sex": "性别",
    "has_review_specialty": "是否设置评审专业",
}
GENERAL_NOTES = (
    "1. 本模板共4个工作表，只需填写“信息填报”表；“填表说明”“行政区划代码”“隶属关系代码”为只读参考表，请勿改动或删除。",
    "2. 每行填写一张职称证书。同一人取得多个级别的职称（初级、中级、副高级、正高级）时，每个职称各填一行。",
    "3. 证件号码、证书编号、出生日期、发证日期等列已设置为文本格式，请勿改为数字或日期格式，否则身份证号码后几位、编号开头的0会丢失。",
    "4. 日期一律填写为8位数字，例如20191119，不可用“.”或“-”连接，不可填写“年月日”。",
    "5. 带下拉菜单的列请从下拉菜单中选择；行政区划代码指职称评审机构所在地的代码。",
    "6. 姓名字与字之间不能有空格；少数民族和外籍人员姓名中的间隔号请使用“·”。",
    "7. 各列的填写说明见下表，也可将鼠标停在“信息填报”表的列标题上查看批注。",
)


@dataclass
class TemplateData:
    """Reference data for the template: (code, name, level) regions and code-table names."""

    regions: list[tuple[str, str, str]]
    codes: dict[str, list[str]]  # code-table kind -> names in display order
    affiliations: list[tuple[str, str]]  # (official code, name)


def region_choice(code: str, name: str, level: str) -> str:
    """The dropdown text of a region, as the templates write it: "370000000000山东省本级"."""
    suffix = "本级" if level in ("province", "prefecture") else ""
    return f"{code}000000{name}{suffix}"


def affiliation_choice(code: str, name: str) -> str:
    return f"{code}{name}"


_THIN = Side(style="thin", color="B8C0C8")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
_BOLD = Font(bold=True)


def _protect(worksheet) -> None:
    worksheet.protection.sheet = True
    worksheet.protection.formatCells = False
    worksheet.protection.formatColumns = False
    worksheet.protection.selectLockedCells = False
    worksheet.protection.selectUnlockedCells = False


def _define(workbook: Workbook, name: str, sheet: str, column: str, first: int, last: int) -> str:
    reference = f"{quote_sheetname(sheet)}!${column}${first}:${column}${max(first, last)}"
    workbook.defined_names[name] = DefinedName(name, attr_text=reference)
    return name


def build_template(data: TemplateData) -> Workbook:
    workbook = Workbook()
    instructions = workbook.active
    instructions.title = INSTRUCTIONS_SHEET
    sheet = workbook.create_sheet(DATA_SHEET)
    regions = workbook.create_sheet(REGIONS_SHEET)
    affiliations = workbook.create_sheet(AFFILIATION_SHEET)
    workbook.active = 1

    list_names = _fill_instructions(workbook, instructions, data)
    list_names["evaluation_region_code"] = _fill_regions(workbook, regions, data)
    list_names["affiliation"] = _fill_affiliations(workbook, affiliations, data)
    _fill_data_sheet(sheet, list_names)
    for protected in (instructions, regions, affiliations):
        _protect(protected)
    return workbook


def _fill_instructions(workbook: Workbook, ws, data: TemplateData) -> dict[str, str]:
    ws["A1"] = "职称评审信息上报数据模板 填表说明"
    ws["A1"].font = Font(bold=True, size=14)
    row = 3
    for line in GENERAL_NOTES:
        ws.cell(row=row, column=1, value=line)
        row += 1
    row += 1
    for col, title in enumerate(("序号", "列名", "填写说明", "是否必填"), start=1):
        cell = ws.cell(row=row, column=col, value=title)
        cell.font, cell.fill, cell.border = _BOLD, _HEADER_FILL, _BORDER
    optional = NATIONAL.optional | {"birth_date", "employer_name", "unit_nature", "education", "degree",
                                    "affiliation", "cert_no", "has_review_specialty", "review_specialty",
                                    "local_review_specialty", "issuing_authority", "review_committee_name",
                                    "approval_doc_no", "approval_department", "evaluation_region_code"}
    for number, column in enumerate(NATIONAL.columns, start=1):
        row += 1
        values = (number, column.header, column.note, "选填" if column.field in optional else "必填")
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=col, value=value)
            cell.border = _BORDER
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 8
    ws.column_dimensions["B"].width = 24
    ws.column_dimensions["C"].width = 70
    ws.column_dimensions["D"].width = 10

    # The code lists behind the dropdowns, to the right of the explanations.
    names = {}
    first_col = 7
    lists = [(f, tuple(data.codes.get(kind, ()))) for f, kind in LIST_KINDS.items()] + list(FIXED_LISTS.items())
    for offset, (field_name, values) in enumerate(lists):
        column = get_column_letter(first_col + offset)
        title = ws[f"{column}1"]
        title.value, title.font, title.fill = LIST_TITLES[field_name], _BOLD, _HEADER_FILL
        for index, value in enumerate(values, start=2):
            ws[f"{column}{index}"] = value
        ws.column_dimensions[column].width = 18
        names[field_name] = _define(workbook, f"LIST_{field_name.upper()}", INSTRUCTIONS_SHEET, column, 2,
                                    len(values) + 1)
    return names


def _fill_regions(workbook: Workbook, ws, data: TemplateData) -> str:
    ws.append(["行政区划代码（下拉选项）", "代码", "名称", "级别"])
    for cell in ws[1]:
        cell.font, cell.fill = _BOLD, _HEADER_FILL
    levels = {"province": "省级", "prefecture": "地级", "county": "县级"}
    count = 0
    for code, name, level in data.regions:
        if name in PLACEHOLDER_REGION_NAMES:
            continue
        ws.append([region_choice(code, name, level), code, name, levels.get(level, level)])
        count += 1
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["C"].width = 24
    ws.freeze_panes = "A2"
    return _define(workbook, "LIST_REGION", REGIONS_SHEET, "A", 2, count + 1)


def _fill_affiliations(workbook: Workbook, ws, data: TemplateData) -> str:
    ws.append(["隶属关系（下拉选项）", "代码", "名称"])
    for cell in ws[1]:
        cell.font, cell.fill = _BOLD, _HEADER_FILL
    for code, name in data.affiliations:
        ws.append([affiliation_choice(code, name), code, name])
    ws.column_dimensions["A"].width = 24
    ws.append([])
    ws.append(["代码依据GB/T 12404-1997《单位隶属关系代码》。"])
    return _define(workbook, "LIST_AFFILIATION", AFFILIATION_SHEET, "A", 2, len(data.affiliations) + 1)


def _fill_data_sheet(ws, list_names: dict[str, str]) -> None:
    widths = {"id_number": 22, "cert_no": 20, "title_name": 22, "series": 22, "employer_name": 26,
              "issuing_authority": 28, "review_committee_name": 28, "evaluation_region_code": 30,
              "has_review_specialty": 14, "approval_doc_no": 22, "approval_department": 24}
    for index, column in enumerate(NATIONAL.columns, start=1):
        letter = get_column_letter(index)
        cell = ws.cell(row=1, column=index, value=column.header)
        cell.font, cell.fill, cell.border = _BOLD, _HEADER_FILL, _BORDER
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        comment = Comment(column.note, "填表说明")
        comment.width, comment.height = 260, 90
        cell.comment = comment
        dimension = ws.column_dimensions[letter]
        dimension.width = widths.get(column.field, 12)
        if column.field in TEXT_FIELDS:
            dimension.number_format = "@"
        source = list_names.get(column.field)
        if source:
            validation = DataValidation(type="list", formula1=f"={source}", allow_blank=True,
                                        showErrorMessage=column.field not in ("series",),
                                        errorTitle="输入有误", error=f"请从下拉菜单中选择{column.header}",
                                        promptTitle=column.header, prompt=column.note[:250], showInputMessage=False)
            validation.add(f"{letter}2:{letter}{VALIDATION_ROWS}")
            ws.add_data_validation(validation)
    ws.row_dimensions[1].height = 36
    ws.freeze_panes = "A2"


def template_bytes(data: TemplateData) -> bytes:
    buffer = io.BytesIO()
    build_template(data).save(buffer)
    return buffer.getvalue()
