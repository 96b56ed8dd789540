from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openmarac.core.exports import FORMULA_PREFIXES, safe_cell, safe_row


@pytest.mark.parametrize("value", ["=1+1", "+44 7700 900123", "-2", "@SUM(A1)", "\tcmd", "\rcmd", '=HYPERLINK("http://x")'])
def test_text_a_spreadsheet_would_run_is_quoted(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Police", "", "Northshire Marac", "1+1", "a=b"])
def test_ordinary_text_is_unchanged(value):
    assert safe_cell(value) == value


@pytest.mark.parametrize("value", [0, 3, -1, 2.5, Decimal("1.5")])
def test_numbers_stay_numbers(value):
    assert safe_cell(value) == value


def test_dates_none_and_booleans_are_written_as_text():
    assert safe_cell(date(2025, 1, 14)) == "2025-01-14"
    assert safe_cell(None) == ""
    assert safe_cell(True) == "yes" and safe_cell(False) == "no"


def test_a_row_is_made_safe_cell_by_cell():
    assert safe_row(["=cmd", 4, "Housing"]) == ["'=cmd", 4, "Housing"]


@given(st.text())
def test_no_text_cell_can_begin_a_formula(text):
    cell = safe_cell(text)
    assert not cell.startswith(FORMULA_PREFIXES)
    # Nothing is lost: the original is the cell, or the cell without its quote.
    assert cell in (text, "'" + text)
