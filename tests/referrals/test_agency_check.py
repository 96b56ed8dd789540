"""Referral quality inside the agency: a Marac may ask that referrals from an agency are
checked by that agency's Marac representative first. Never a screening step: the
representative adds information and sends the referral on; the coordinator sees it
meanwhile; everything else it sets in motion goes at once; time runs out by itself."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from openmarac.background.schedule import enqueue_due
from openmarac.core.selectors import home_panels
from openmarac.referrals import services
from openmarac.referrals.models import AgencyCheck, IdvaReferral, Referral

from ..conftest import sign_in


@pytest.fixture
def checked(marac, staff):
    link = marac.agency_links.get(agency=staff["referrer"].agency)
    link.referrals_checked_by_representative = True
    link.save()
    return link


def _refer(marac, staff, generator):
    referrer = staff["referrer"]
    data = generator.referral(marac=marac, referring_agency=referrer.agency)
    return services.referral_record(marac=marac, data=data, by=referrer)


def test_off_by_default(marac, staff, generator):
    _refer(marac, staff, generator)
    assert not AgencyCheck.objects.exists()


def test_a_checked_referral_sets_everything_else_in_motion_and_the_coordinator_sees_it(
    django_capture_on_commit_callbacks, marac, staff, checked, generator
):
    with django_capture_on_commit_callbacks(execute=True):
        referral = _refer(marac, staff, generator)
    check = referral.agency_check
    assert check.is_open and check.agency == staff["housing_rep"].agency
    assert check.due_at == referral.submitted_at + timedelta(hours=marac.agency_check_hours)
    # Nothing waits: the referral awaits listing, the Idva referral is made.
    assert referral.status == Referral.Status.AWAITING_LISTING
    assert IdvaReferral.objects.filter(referral=referral).exists()
    told = {m.to[0]: m for m in mail.outbox}
    assert staff["housing_rep"].email in told and staff["coordinator"].email in told
    assert "checking it first" in told[staff["coordinator"].email].body
    assert f"/agency-checks/{check.pk}/" in told[staff["housing_rep"].email].body
    for message in mail.outbox:
        assert referral.case.victim.family_name not in message.body
    coordinator_panel = next(p for p in home_panels(user=staff["coordinator"]) if p.role == "coordinator")
    assert any("is checking its referral" in item.text for item in coordinator_panel.attention)
    rep_panel = next(p for p in home_panels(user=staff["housing_rep"]) if p.role == "representative")
    assert any("check a referral from your agency" in item.text for item in rep_panel.attention)


def test_the_representative_adds_information_and_sends_it_on(django_capture_on_commit_callbacks, marac, staff, checked, generator):
    referral = _refer(marac, staff, generator)
    client = sign_in(Client(), staff["housing_rep"])
    url = reverse("referrals:agency-check", args=[referral.agency_check.pk])
    page = client.get(url).content.decode()
    assert "you cannot stop a referral" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"added_information": "Two earlier tenancy moves after incidents (2024, 2025)."})
    assert response.status_code == 302
    check = AgencyCheck.objects.get(referral=referral)
    assert not check.is_open and check.checked_by == staff["housing_rep"] and "tenancy moves" in check.added_information
    assert any(staff["coordinator"].email in m.to and "added information" in m.body for m in mail.outbox)
    case_page = sign_in(Client(), staff["coordinator"]).get(reverse("referrals:case", args=[referral.case.public_id])).content.decode()
    assert "Two earlier tenancy moves" in case_page
    # Once sent on it cannot be sent again, nor changed.
    with pytest.raises(ValidationError):
        services.agency_check_complete(by=staff["housing_rep"], check=check, added_information="Again")
    assert client.post(url, {"added_information": "x"}).status_code == 404


def test_only_the_agencys_representative_checks(marac, staff, checked, generator):
    check = _refer(marac, staff, generator).agency_check
    for who in ("probation_rep", "referrer", "idva", "chair", "coordinator"):
        with pytest.raises(PermissionDenied):
            services.agency_check_complete(by=staff[who], check=check)


def test_an_unchecked_referral_goes_on_by_itself_when_time_runs_out(django_capture_on_commit_callbacks, marac, staff, checked, generator):
    referral = _refer(marac, staff, generator)
    check = referral.agency_check
    with freeze_time(check.due_at - timedelta(minutes=1)):
        assert services.agency_checks_release() == 0
    mail.outbox.clear()
    with freeze_time(check.due_at), django_capture_on_commit_callbacks(execute=True):
        assert services.agency_checks_release() == 1
        assert services.agency_checks_release() == 0  # running again does nothing twice
    check.refresh_from_db()
    assert check.timed_out_at is not None and not check.is_open
    assert [m.to for m in mail.outbox] == [[staff["coordinator"].email]]
    assert "not checked by the referring agency in time" in mail.outbox[0].body


def test_a_representative_referring_is_not_checked_and_nor_is_an_agency_without_one(marac, staff, checked, generator):
    rep = staff["housing_rep"]
    data = generator.referral(marac=marac, referring_agency=rep.agency)
    assert not AgencyCheck.objects.filter(referral=services.referral_record(marac=marac, data=data, by=rep)).exists()
    rep.memberships.update(is_active=False)
    assert not AgencyCheck.objects.filter(referral=_refer(marac, staff, generator)).exists()


def test_the_agency_setting_is_changed_on_the_agency_page(marac, staff):
    link = marac.agency_links.get(agency=staff["housing_rep"].agency)
    client = sign_in(Client(), staff["coordinator"])
    url = reverse("accounts:agency-edit", args=[marac.slug, link.pk])
    assert "checked by its Marac representative first" in client.get(url).content.decode()
    client.post(url, {"is_active": "on", "referrals_checked_by_representative": "on"})
    link.refresh_from_db()
    assert link.referrals_checked_by_representative


def test_the_run_scheduled_command_sends_them_on(marac, staff, checked, generator):
    from io import StringIO

    from django.core.management import call_command

    check = _refer(marac, staff, generator).agency_check
    out = StringIO()
    with freeze_time(timezone.now() + timedelta(hours=marac.agency_check_hours, minutes=1)):
        call_command("run_scheduled", stdout=out)
    check.refresh_from_db()
    assert check.timed_out_at is not None
    assert "Referrals sent on after the agency check time: 1." in out.getvalue()


def test_the_worker_sends_an_unchecked_referral_on_with_nobody_pressing_a_button(marac, staff, checked, generator):
    check = _refer(marac, staff, generator).agency_check
    # Tasks run as soon as they are enqueued in the test settings (the immediate queue).
    with freeze_time(check.due_at - timedelta(minutes=10)):
        assert "release-agency-checks" in enqueue_due()
    check.refresh_from_db()
    assert check.is_open
    with freeze_time(check.due_at + timedelta(minutes=1)):
        assert "release-agency-checks" in enqueue_due()
    check.refresh_from_db()
    assert check.timed_out_at is not None and not check.is_open
