"""`openmarac import-referrals FILE`: the command's own surface (its options, what it
prints, its refusals and exit status). What an import records, row by row, is tested
against the importer in tests/referrals/test_import.py."""

import csv
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from openmarac.accounts.models import Role
from openmarac.audit.models import AuditEvent
from openmarac.referrals import importer
from openmarac.referrals.models import Referral

from ....factories import member
from ...test_import import _nothing_written, _write, rows  # noqa: F401  (rows is a fixture)


def _command(path, intake, **options):
    out, err = StringIO(), StringIO()
    call_command("import_referrals", str(path), marac="northshire", by=intake["coordinator"].email, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_the_command_imports_a_file_and_says_what_it_did(tmp_path, intake, rows):  # noqa: F811
    out, _ = _command(_write(tmp_path, rows), intake)
    assert "Imported 3 referrals; 0 already imported; 0 rejected" in out
    out, _ = _command(_write(tmp_path, rows), intake)
    assert "Imported 0 referrals; 3 already imported; 0 rejected" in out
    assert Referral.objects.count() == 3


def test_the_command_lists_every_reject_and_writes_nothing(tmp_path, intake, rows):  # noqa: F811
    rows[1]["referring_agency_kind"] = "constabulary"
    rows[2]["victim_lgbt"] = "maybe"
    err = StringIO()
    with pytest.raises(CommandError, match="Nothing was imported: 2 of the rows are rejected"):
        call_command("import_referrals", str(_write(tmp_path, rows)), marac="northshire", by=intake["coordinator"].email, stderr=err)
    assert "line 3 (ref POL-2): referring_agency_kind: “constabulary” is not one of" in err.getvalue()
    assert "line 4 (ref POL-3): victim_lgbt: “maybe” is not one of yes, no, unknown" in err.getvalue()
    assert _nothing_written()


def test_the_command_with_partial_writes_a_rejects_file_that_can_be_corrected_and_imported(tmp_path, intake, rows):  # noqa: F811
    rows[1]["victim_lgbt"] = "perhaps"
    out, _ = _command(_write(tmp_path, rows), intake, partial=True)
    assert "Imported 2 referrals; 0 already imported; 1 rejected" in out
    assert "1 rows were rejected" in out and "referrals.rejects.csv" in out

    with open(tmp_path / "referrals.rejects.csv", encoding="utf-8", newline="") as file:
        rejected = list(csv.DictReader(file))
    assert len(rejected) == 1
    assert rejected[0]["referral_id"] == "POL-2" and rejected[0]["victim_lgbt"] == "perhaps"
    assert rejected[0]["reason"].startswith("line 3: victim_lgbt: “perhaps” is not one of")

    rejected[0]["victim_lgbt"] = "yes"
    out, _ = _command(_write(tmp_path, rejected, name="corrected.csv"), intake)
    assert "Imported 1 referral; 0 already imported; 0 rejected" in out
    assert Referral.objects.count() == 3


def test_the_command_writes_rejects_where_asked(tmp_path, intake, rows):  # noqa: F811
    rows[0]["victim_lgbt"] = "perhaps"
    _command(_write(tmp_path, rows), intake, partial=True, rejects=str(tmp_path / "to-fix.csv"))
    assert (tmp_path / "to-fix.csv").exists()
    # The rejects file holds personal data: writing it is an export in the audit trail.
    assert AuditEvent.objects.filter(action="exported", record_type="referrals.import", record_id="to-fix.csv", actor=intake["coordinator"]).exists()


@pytest.mark.parametrize(
    "options, message",
    [
        ({"marac": "nowhere"}, "There is no Marac with the slug “nowhere”"),
        ({"by": "nobody@example.org"}, "There is no active user with the email nobody@example.org"),
    ],
)
def test_the_command_refuses_an_unknown_marac_or_user(tmp_path, intake, rows, options, message):  # noqa: F811
    path = _write(tmp_path, rows)
    arguments = {"marac": "northshire", "by": intake["coordinator"].email, **options}
    with pytest.raises(CommandError, match=message):
        call_command("import_referrals", str(path), stdout=StringIO(), **arguments)


def _ended_coordinator(intake, other_marac, system_admin):
    membership = intake["coordinator"].memberships.get(role=Role.COORDINATOR)
    membership.is_active = False
    membership.save()
    return intake["coordinator"]


@pytest.mark.parametrize(
    "importer",
    [
        lambda intake, other_marac, system_admin: intake["referrer"],
        lambda intake, other_marac, system_admin: intake["chair"],
        lambda intake, other_marac, system_admin: system_admin,
        lambda intake, other_marac, system_admin: member(other_marac, Role.COORDINATOR),
        _ended_coordinator,
    ],
    ids=["referrer", "chair", "system administrator", "another Marac's coordinator", "coordinator no longer"],
)
def test_only_an_active_coordinator_of_the_marac_may_import(tmp_path, intake, rows, other_marac, system_admin, importer):  # noqa: F811
    by = importer(intake, other_marac, system_admin)
    with pytest.raises(CommandError, match=f"^Nothing was imported: {by.email} is not an active coordinator of Northshire Marac"):
        call_command("import_referrals", str(_write(tmp_path, rows)), marac="northshire", by=by.email)
    assert _nothing_written()
    assert not AuditEvent.objects.filter(record_type="referrals.import").exists()


def test_the_importer_refuses_anyone_but_a_coordinator_whoever_calls_it(tmp_path, marac, intake, rows, system_admin):  # noqa: F811
    with pytest.raises(PermissionDenied):
        importer.import_file(_write(tmp_path, rows), marac=marac, by=system_admin)
    assert _nothing_written()


def test_a_misspelt_column_stops_the_import_before_any_row(tmp_path, intake, rows):  # noqa: F811
    for row in rows:
        row["victim_dob"] = row.pop("victim_date_of_birth")
    with pytest.raises(CommandError, match="Line 1: the header has unknown column\\(s\\) 'victim_dob'"):
        _command(_write(tmp_path, rows), intake)


def test_a_file_that_is_not_utf8_is_refused_clearly(tmp_path, intake):
    path = tmp_path / "latin1.csv"
    path.write_bytes("referral_id,referred_on\nA1,2024-01-01 Ren\xe9e\n".encode("latin-1"))
    with pytest.raises(CommandError, match="not UTF-8"):
        _command(path, intake)


def test_a_missing_file_is_refused_clearly(tmp_path, intake):
    with pytest.raises(CommandError, match="^Cannot read .*absent.csv: No such file or directory$") as refused:
        _command(tmp_path / "absent.csv", intake)
    assert refused.value.returncode == 1


def test_an_empty_file_is_refused_clearly(tmp_path, intake):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(CommandError, match="The file is empty: the first line must be a header"):
        _command(path, intake)


@pytest.mark.parametrize("missing", ["--marac", "--by"])
def test_the_marac_and_the_importer_are_required(tmp_path, intake, rows, missing):  # noqa: F811
    arguments = {"--marac": "northshire", "--by": intake["coordinator"].email}
    del arguments[missing]
    with pytest.raises(CommandError, match=f"the following arguments are required: {missing}"):
        call_command("import_referrals", str(_write(tmp_path, rows)), *[part for pair in arguments.items() for part in pair])


def test_an_inactive_importer_is_unknown(tmp_path, intake, rows):  # noqa: F811
    intake["coordinator"].is_active = False
    intake["coordinator"].save()
    with pytest.raises(CommandError, match="There is no active user with the email"):
        _command(_write(tmp_path, rows), intake)
    assert _nothing_written()


def test_no_progress_bar_when_the_output_is_not_a_terminal(tmp_path, intake, rows):  # noqa: F811
    out, err = _command(_write(tmp_path, rows), intake)
    assert out == "Imported 3 referrals; 0 already imported; 0 rejected\n" and err == ""
