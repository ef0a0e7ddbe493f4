"""Sending an on-screen list as an .xlsx download (built by portal.documents.xlsx_list)."""
from __future__ import annotations

import io

from flask import send_file

from portal import clock
from portal.documents.xlsx_list import list_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(title: str, headers, rows):
    """`rows` are read inside the caller's scope; the file is named after the list and the day."""
    data = list_workbook(title, headers, rows)
    response = send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True,
                         download_name=f"{title}{clock.today():%Y%m%d}.xlsx")
    response.headers["Cache-Control"] = "no-store"
    return response
