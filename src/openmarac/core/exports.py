"""Cells for CSV and XLSX files a person will open in a spreadsheet.

A spreadsheet treats a cell that begins with `=`, `+`, `-` or `@` (and, in some
programs, a tab or a carriage return) as a formula, so a value typed into OpenMarac
could run as one on a coordinator's machine (CSV/formula injection). Every value written
to an export goes through `safe_cell`: text that begins with one of those characters is
prefixed with a single quote, which spreadsheets show as text. Numbers stay numbers, so
a count of -1 would still be a number, not text.
"""

from datetime import date, datetime
from decimal import Decimal

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """The value to write to one cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        # bool is an int: written as words so a reader does not see 1 and 0.
        return "yes" if value else "no"
    if isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def safe_row(values):
    return [safe_cell(value) for value in values]
