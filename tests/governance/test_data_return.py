"""The SafeLives data return against a quarter whose figures were counted by hand."""

import csv
from datetime import date
import json
from io import StringIO

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openmarac.audit.models import AuditEvent
from openmarac.governance import figures
from openmarac.referrals.models import Referral

from .conftest import EXPECTED, QUARTER

KINDS = ["police", "idva", "housing", "childrens_social_care", "probation", "health", "mental_health",
         "substance_misuse", "adult_social_care", "education", "other"]
COUNTS = ["victims_racially_minoritised", "victims_lgbt", "victims_disabled", "victims_male", "victims_aged_16_17", "perpetrators_aged_17_or_under"]


def _return(fmt, tmp_path=None, **extra):
    out, err = StringIO(), StringIO()
    options = {"marac": "northshire", "start": QUARTER[0], "end": QUARTER[1], "fmt": fmt, **extra}
    call_command("data_return", **options, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _flat(expected):
    """An expected row as the spreadsheet columns: every kind, zeros included."""
    return [expected["cases"], expected["repeats"], expected["children"]] + [
        expected["referrals_by_agency_kind"].get(kind, 0) for kind in KINDS
    ] + [expected[key] for key in COUNTS]


def test_json_return_gives_exactly_the_hand_counted_figures(quarter):
    out, _ = _return("json")
    assert json.loads(out) == EXPECTED


def test_csv_return_has_the_same_numbers(quarter, tmp_path):
    path = tmp_path / "return.csv"
    _, err = _return("csv", output=str(path))
    assert "3 meeting dates" in err
    with open(path, encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0][:4] == ["Meeting date", "Cases discussed", "Repeat cases", "Children in the households"]
    assert len(rows) == 1 + len(EXPECTED)
    for row, expected in zip(rows[1:], EXPECTED):
        assert row[0] == expected["meeting_date"]
        assert [int(value) for value in row[1:]] == _flat(expected)


def test_xlsx_return_has_the_same_numbers(quarter, tmp_path):
    path = tmp_path / "return.xlsx"
    _return("xlsx", output=str(path))
    sheet = openpyxl.load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][1] == "Cases discussed"
    for row, expected in zip(rows[1:], EXPECTED, strict=True):
        assert row[0].date().isoformat() == expected["meeting_date"]
        assert list(row[1:]) == _flat(expected)


def test_imported_history_counts_like_a_meeting_held_in_openmarac(quarter):
    # The imported rows are heard referrals, dated at their meeting.
    assert Referral.objects.filter(status=Referral.Status.HEARD, source_key__startswith="Q-").count() == 11


def test_the_return_reads_the_ages_recorded_at_referral_not_dates_of_birth(quarter, marac):
    from openmarac.people.models import Person

    # Were dates of birth erased (as a retention job may), the return would not change.
    Person.objects.filter(marac=marac).update(date_of_birth=None)
    out, _ = _return("json")
    assert json.loads(out) == EXPECTED


def test_the_return_is_one_query_however_many_meetings(quarter, marac):
    with CaptureQueriesContext(connection) as queries:
        rows = figures.data_return(marac=marac, period=figures.quarter_of(date(2025, 2, 1)))
    assert len(rows) == 3
    assert len(queries) == 1


def test_command_exports_are_audited(quarter):
    _return("json")
    event = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORTED, record_type="governance.data_return").get()
    assert "2025" in event.summary and "json" in event.summary


def test_empty_period_gives_an_empty_return_and_says_so(staff):
    out, err = _return("json", start="2020-01-01", end="2020-03-31")
    assert json.loads(out) == []
    assert "No case was heard" in err and "the return is empty" in err


def test_empty_period_csv_has_only_the_header(staff, tmp_path):
    path = tmp_path / "empty.csv"
    _return("csv", output=str(path), start="2020-01-01", end="2020-03-31")
    with open(path, encoding="utf-8-sig") as file:
        assert len(list(csv.reader(file))) == 1


@pytest.mark.parametrize(
    "options, message",
    [
        ({"start": "2025-04-01", "end": "2025-03-31"}, "is after --to"),
        ({"marac": "nowhere"}, "There is no Marac with the slug “nowhere”"),
        ({"start": "2025-13-01"}, "is not a date"),
        ({"output": "/nonexistent/folder/return.json"}, "Cannot write the return to /nonexistent/folder/return.json"),
    ],
)
def test_bad_input_is_a_clear_error(staff, options, message):
    with pytest.raises(CommandError, match=message):
        _return("json", **options)


def test_bad_input_exits_with_status_1(staff, capsys, monkeypatch):
    from django.core.management import ManagementUtility
    from django.db import connections

    # As on the command line; but the test's database connection must stay open for the
    # rest of the test run, so the command may not close it on its way out.
    monkeypatch.setattr(connections, "close_all", lambda: None)

    for argv in (
        ["openmarac", "data_return", "--marac", "northshire", "--from", "2025-04-01", "--to", "2025-03-31", "--format", "json"],
        ["openmarac", "data_return", "--marac", "nowhere", "--from", "2025-01-01", "--to", "2025-03-31", "--format", "json"],
    ):
        with pytest.raises(SystemExit) as exit_info:
            ManagementUtility(argv).execute()
        assert exit_info.value.code == 1
    assert "CommandError" in capsys.readouterr().err
