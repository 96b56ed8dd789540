"""Failure drills: a crash part-way through a write leaves nothing half-written.

Each drill counts the rows of every table before and after, so a step added later that
writes somewhere new is covered without changing the drill."""

from unittest import mock

import pytest
from django.apps import apps

from openmarac.referrals import bulk, importer, services
from openmarac.referrals.models import ChildrenReferralPrompt, Referral

from .test_import import _write, rows  # noqa: F401  (rows is a fixture)


class Crash(Exception):
    """Stands for anything going wrong part-way: a lost connection, a bug, a full disk."""


def _counts():
    return {model._meta.label: model.objects.count() for model in apps.get_models() if model._meta.managed}


# The late steps of recording a referral, each after the people, the case, the referral,
# the checklist and the matches are written.
LATE_STEPS = [
    ("the sharing record", "openmarac.referrals.services._record_sharing_decision"),
    ("the audit row", "openmarac.referrals.services.audit.record"),
    ("the agency involvement", "openmarac.referrals.services._involve"),
]


@pytest.mark.parametrize("step, target", LATE_STEPS, ids=[s for s, _ in LATE_STEPS])
def test_a_crash_late_in_recording_a_referral_leaves_nothing(marac, intake, generator, step, target):
    data = generator.referral(marac=marac, referring_agency=intake["referrer"].agency, children=2, consent=False, review_owner=intake["referrer"])
    assert data.sharing is not None and data.children
    before = _counts()
    with mock.patch(target, side_effect=Crash), pytest.raises(Crash):
        services.referral_record(marac=marac, data=data, by=intake["referrer"], notify_agencies=False)
    assert _counts() == before


def test_a_crash_at_the_last_step_leaves_the_wizard_s_draft_as_it_was(marac, intake, generator):
    """From the referral form: the draft keeps every answer, so the referrer can send
    it again; no case, person or sharing record is left behind."""
    data = generator.referral(marac=marac, referring_agency=intake["referrer"].agency, children=1, consent=False, review_owner=intake["referrer"])
    draft = Referral.objects.create(marac=marac, referrer=intake["referrer"], draft={"victim": {"given_name": "Typed by the referrer"}})
    before = _counts()
    with mock.patch.object(ChildrenReferralPrompt.objects, "create", side_effect=Crash), pytest.raises(Crash):
        services.referral_record(marac=marac, data=data, by=intake["referrer"], referral=draft, notify_agencies=False)
    assert _counts() == before
    draft.refresh_from_db()
    assert draft.status == Referral.Status.DRAFT and draft.draft == {"victim": {"given_name": "Typed by the referrer"}} and draft.case_id is None


@pytest.mark.parametrize("failing_row", [1, 2, 3])
def test_an_import_that_crashes_at_row_k_leaves_nothing(tmp_path, marac, intake, rows, failing_row):  # noqa: F811
    """All-or-nothing: whichever row fails, the rows before it are not kept either (one
    row a batch here, so the rows before it were written before the crash)."""
    check = services.referral_problems
    calls = []

    def crash_at_row_k(**kwargs):
        calls.append(kwargs["data"].source_key)
        if len(calls) == failing_row:
            raise Crash
        return check(**kwargs)

    before = _counts()
    with mock.patch.object(bulk, "BATCH_SIZE", 1), mock.patch.object(bulk, "referral_problems", side_effect=crash_at_row_k), pytest.raises(Crash):
        importer.import_file(_write(tmp_path, rows), marac=marac, by=intake["coordinator"])
    assert len(calls) == failing_row
    assert _counts() == before


@pytest.mark.parametrize("bad_row", [0, 1, 2])
def test_an_import_with_an_invalid_row_k_leaves_nothing(tmp_path, marac, intake, rows, bad_row):  # noqa: F811
    rows[bad_row]["victim_lgbt"] = "perhaps"
    before = _counts()
    report = importer.import_file(_write(tmp_path, rows), marac=marac, by=intake["coordinator"])
    assert report.created == 0 and [r.line for r in report.rejects] == [bad_row + 2]
    assert _counts() == before
