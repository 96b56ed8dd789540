"""The data return as files: CSV, XLSX and JSON. Formatting only: every number comes
from `figures`, and every cell of a spreadsheet goes through `core.exports.safe_cell`."""

import csv
import io
import json

from openpyxl import Workbook

from openmarac.core.exports import safe_row

from . import figures

FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "json": ("application/json", "json"),
}


def filename(marac, period, fmt):
    return f"marac-data-return-{marac.slug}-{period.start.isoformat()}-to-{period.end.isoformat()}.{FORMATS[fmt][1]}"


def headings():
    return [heading for _, heading in figures.RETURN_COLUMNS]


def as_csv(rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(safe_row(headings()))
    for values in figures.return_table(rows):
        writer.writerow(safe_row(values))
    # A byte order mark so Excel opens the file as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def as_xlsx(rows, *, title="Marac data return") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Data return"
    sheet.append(safe_row(headings()))
    for values in figures.return_table(rows):
        date_value, *counts = values
        # The date as a real date cell; counts as numbers.
        sheet.append([date_value, *safe_row(counts)])
        sheet.cell(row=sheet.max_row, column=1).number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "B2"
    sheet.column_dimensions["A"].width = 14
    workbook.properties.title = title
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def as_json(rows) -> bytes:
    return (json.dumps(figures.return_as_json(rows), indent=2) + "\n").encode("utf-8")


def render(rows, fmt) -> bytes:
    return {"csv": as_csv, "xlsx": as_xlsx, "json": as_json}[fmt](rows)
