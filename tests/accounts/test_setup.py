"""Setting up a Marac without a developer: the first administrator, settings that
cannot break referrals, passwords as documented, production that refuses to start
wrong, the meeting pattern in one place and promises the confirmation keeps."""

import os
import re
import subprocess
import sys
from datetime import date, time, timedelta

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from openmarac.accounts import services
from openmarac.accounts.checks import base_url_problems, check_production_settings
from openmarac.accounts.models import AgencyKind, Marac, Role, User
from openmarac.accounts.validators import PersonalDetailsValidator
from openmarac.meetings import services as meeting_services
from openmarac.meetings.models import Meeting

from ..conftest import sign_in
from ..factories import marac_with_core_agencies, member

# --- Settings that cannot break referrals -----------------------------------------------


def test_settings_form_lists_the_installed_checklists_and_refuses_anything_else(client, marac, make_member):
    sign_in(client, make_member(Role.COORDINATOR, agency_kind=AgencyKind.IDVA))
    url = reverse("accounts:marac-settings", args=[marac.slug])
    page = client.get(url).content.decode()
    select = re.search(r'<select[^>]*name="risk_checklist"[^>]*>(.*?)</select>', page, re.S)
    assert select, "the risk checklist is a list, not a free-text box"
    assert 'value="safelives-dash"' in select.group(1)
    assert "govuk-select" in select.group(0)

    fields = {
        "name": marac.name, "slug": marac.slug, "visible_high_risk_threshold": 14, "escalation_incident_threshold": 3,
        "escalation_window_months": 12, "repeat_window_months": 12, "case_list_lead_days": 8, "minutes_per_case": 10,
        "adult_female_population": "", "repeat_alert_count": 3, "repeat_alert_months": 12, "risk_checklist": "dash",
    }
    response = client.post(url, fields)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    marac.refresh_from_db()
    assert marac.risk_checklist == "safelives-dash"
    # A refused change is not shown as in force; what was typed is kept.
    in_force = re.search(r'data-testid="settings-in-force">(.*?)</dl>', response.content.decode(), re.S).group(1)
    assert "SafeLives" in in_force


def test_the_server_refuses_an_unknown_checklist_even_past_the_form(marac, system_admin):
    marac.risk_checklist = "dash"
    with pytest.raises(ValidationError) as error:
        services.marac_save(by=system_admin, marac=marac)
    assert "risk_checklist" in error.value.message_dict


@given(threshold=st.integers(min_value=-5, max_value=40), lead=st.integers(min_value=-5, max_value=40))
def test_numeric_settings_are_bounded_on_the_server(threshold, lead):
    marac = Marac(name="X", slug="x", visible_high_risk_threshold=max(threshold, 0), case_list_lead_days=max(lead, 0))
    problems = {}
    try:
        marac.clean()
    except ValidationError as error:
        problems = error.message_dict
    # The SafeLives checklist has 24 questions.
    assert ("visible_high_risk_threshold" in problems) == (not 1 <= max(threshold, 0) <= 24)
    assert ("case_list_lead_days" in problems) == (not 1 <= max(lead, 0) <= 31)


def test_settings_errors_speak_the_user_s_words(client, marac, make_member):
    sign_in(client, make_member(Role.COORDINATOR, agency_kind=AgencyKind.IDVA))
    response = client.post(reverse("accounts:marac-settings", args=[marac.slug]), {"name": "X", "slug": "Not a slug!"})
    body = response.content.decode()
    assert "short name can only contain" in body
    messages = " ".join(re.findall(r'<a href="#[^"]*">([^<]*)</a>', body))
    assert "short name" in messages and "slug" not in messages.lower()


# --- Passwords as documented --------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    ["priyashah123", "Priya-Shah-2025", "xxSHAHxx secure words", "p.shah99 river lantern", "my priya password is long"],
)
def test_a_password_with_the_person_s_name_or_email_is_refused(password):
    user = User(full_name="Priya Shah", email="p.shah99@probation.example")
    with pytest.raises(ValidationError, match="name or part of your email"):
        validate_password(password, user)


def test_an_unrelated_password_passes():
    user = User(full_name="Priya Shah", email="p.shah99@probation.example")
    validate_password("river lantern copper meadow", user)


@given(name=st.from_regex(r"[A-Z][a-z]{2,10} [A-Z][a-z]{2,10}", fullmatch=True), suffix=st.text("0123456789!?", max_size=4))
def test_any_name_part_in_any_case_is_refused(name, suffix):
    user = User(full_name=name, email="someone@agency.example")
    first = name.split()[0]
    with pytest.raises(ValidationError):
        PersonalDetailsValidator().validate(f"Zz-{first.upper()}{suffix}", user)


@pytest.mark.parametrize("password", ["thistle compass amber ledger", "samphire tides are grand"])
def test_a_short_name_is_only_refused_as_a_whole_word(password):
    PersonalDetailsValidator().validate(password, User(full_name="Sam Li", email="sam.li@idva.example"))
    with pytest.raises(ValidationError):
        PersonalDetailsValidator().validate("sam2024 river lantern", User(full_name="Sam Li", email="sam.li@idva.example"))


def test_the_invitation_page_refuses_a_password_with_the_name(marac, make_member, django_capture_on_commit_callbacks):
    coordinator = make_member(Role.COORDINATOR, agency_kind=AgencyKind.IDVA)
    from ..factories import MaracAgencyFactory

    housing = MaracAgencyFactory(marac=marac, agency__kind=AgencyKind.HOUSING).agency
    with django_capture_on_commit_callbacks(execute=True):
        services.user_invite(by=coordinator, marac=marac, email="priya@housing.example", full_name="Priya Shah", agency=housing, role=Role.REFERRER)
    link = re.search(r"https?://\S+/invitation/\S+", mail.outbox[-1].body).group(0)
    response = Client().post("/" + link.split("/", 3)[3], {"new_password1": "priyashah123", "new_password2": "priyashah123"})
    assert response.status_code == 200 and "must not contain your name" in response.content.decode()


# --- Production that refuses to start wrong -----------------------------------------------


@pytest.mark.parametrize(
    "base_url", ["", "http://marac.example.org", "https://localhost:8000", "https://127.0.0.1", "https://10.1.2.3", "http://[::1]"]
)
def test_a_bad_base_url_is_an_error(base_url):
    assert base_url_problems(base_url)
    with override_settings(OPENMARAC_BASE_URL=base_url, EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", SECRET_KEY="k" * 60):
        assert [e.id for e in check_production_settings(None)] == ["openmarac.E001"] * len(base_url_problems(base_url))


def test_a_good_production_configuration_passes():
    with override_settings(
        OPENMARAC_BASE_URL="https://marac.example.org", EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", SECRET_KEY="q7" * 30
    ):
        assert check_production_settings(None) == []


@pytest.mark.parametrize("backend", ["django.core.mail.backends.filebased.EmailBackend", "django.core.mail.backends.console.EmailBackend"])
def test_an_email_backend_that_never_delivers_is_an_error(backend):
    with override_settings(OPENMARAC_BASE_URL="https://marac.example.org", EMAIL_BACKEND=backend, SECRET_KEY="q7" * 30):
        assert [e.id for e in check_production_settings(None)] == ["openmarac.E002"]


def _check_deploy(**env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "OPENMARAC_", "DATABASE_URL"))}
    environment.update(
        DJANGO_SETTINGS_MODULE="openmarac.config.settings.production",
        PYTHONPATH=str(settings.SRC_DIR.parent),
        OPENMARAC_VAR_DIR=str(settings.VAR_DIR),
        **env,
    )
    return subprocess.run(
        [sys.executable, "-m", "openmarac", "check", "--deploy", "--fail-level", "ERROR"],
        env=environment, capture_output=True, text=True, timeout=120,
    )


GOOD = {
    "DJANGO_SECRET_KEY": "a8Hq2" * 12,
    "OPENMARAC_BASE_URL": "https://marac.example.org",
    "DJANGO_ALLOWED_HOSTS": "marac.example.org",
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"OPENMARAC_BASE_URL": None}, "OPENMARAC_BASE_URL is not set"),
        ({"OPENMARAC_BASE_URL": "http://marac.example.org"}, "must start with https://"),
        ({"OPENMARAC_BASE_URL": "https://localhost"}, "points at this machine"),
        ({"DJANGO_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend"}, "never delivers email"),
        ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY"),
    ],
)
def test_check_deploy_with_production_settings_fails_on_each_bad_setting(change, message):
    env = {**GOOD, **change}
    result = _check_deploy(**{k: v for k, v in env.items() if v is not None})
    assert result.returncode != 0
    assert message in result.stdout + result.stderr


def test_check_deploy_passes_with_good_production_settings():
    result = _check_deploy(**GOOD)
    assert "openmarac.E" not in result.stdout + result.stderr


# --- The meeting pattern in one place ---------------------------------------------------


def _pattern_fields(**changes):
    fields = {
        "meeting_cadence": "fortnightly", "weekday": 2, "start_time_hour": "10", "start_time_minute": "00", "first_meeting_on": "", "location": "Town Hall",
        "video_link": "", "capacity": 16, "mode": "meeting", "research_deadline_working_days": 1,
        "research_visible_before_meeting": "on", "confidentiality_statement": "We keep what is shared here.", "weeks_ahead": 8,
    }
    fields.update(changes)
    return fields


def test_the_system_administrator_sets_the_pattern_and_the_first_date_fixes_the_fortnight(client, marac, system_admin):
    sign_in(client, system_admin)
    first = date.today() + timedelta(days=(2 - date.today().weekday()) % 7 + 7)  # a Wednesday in a week or two
    response = client.post(reverse("meetings:pattern", args=[marac.slug]), _pattern_fields(first_meeting_on=first.isoformat()))
    assert response.status_code == 302
    marac.refresh_from_db()
    assert marac.meeting_cadence == "fortnightly" and marac.schedule.location == "Town Hall"
    meetings = meeting_services.meetings_generate(marac=marac, today=date.today())
    days = [m.pattern_date for m in meetings]
    assert days[0] == first
    assert all((day - first).days % 14 == 0 for day in days)


def test_a_first_date_on_another_weekday_is_refused_and_nothing_is_lost(client, marac, system_admin):
    sign_in(client, system_admin)
    thursday = date.today() + timedelta(days=(3 - date.today().weekday()) % 7 + 7)
    response = client.post(reverse("meetings:pattern", args=[marac.slug]), _pattern_fields(first_meeting_on=thursday.isoformat()))
    body = response.content.decode()
    assert response.status_code == 200 and "must be a Wednesday" in body and 'value="Town Hall"' in body
    assert not Meeting.objects.filter(marac=marac).exists()


def test_the_start_time_is_typed_as_hour_and_minute_and_a_wrong_hour_is_explained(client, marac, system_admin):
    sign_in(client, system_admin)
    response = client.post(reverse("meetings:pattern", args=[marac.slug]), _pattern_fields(start_time_hour="25", start_time_minute="30"))
    body = response.content.decode()
    assert response.status_code == 200 and "Enter the hour, from 0 to 23" in body and 'href="#id_start_time_hour"' in body
    assert 'value="25"' in body and 'type="time"' not in body
    response = client.post(reverse("meetings:pattern", args=[marac.slug]), _pattern_fields(start_time_hour="9", start_time_minute="45"))
    assert response.status_code == 302
    marac.refresh_from_db()
    assert marac.schedule.start_time == time(9, 45)


def test_a_lead_time_as_long_as_the_cadence_is_flagged(client, marac, system_admin):
    sign_in(client, system_admin)
    marac.meeting_cadence, marac.case_list_lead_days = "weekly", 7
    marac.save()
    assert "as long as the weekly gap" in client.get(reverse("meetings:pattern", args=[marac.slug])).content.decode()
    marac.case_list_lead_days = 5
    marac.save()
    assert "as long as the" not in client.get(reverse("meetings:pattern", args=[marac.slug])).content.decode()


# --- Promises kept ---------------------------------------------------------------------


def _referral(marac, referrer):
    from openmarac.referrals import services as referral_services
    from openmarac.synthetic.referrals import ReferralGenerator

    data = ReferralGenerator(seed=11).referral(marac=marac, referring_agency=referrer.agency, review_owner=referrer)
    return referral_services.referral_record(marac=marac, data=data, by=referrer)


def test_without_an_idva_user_the_coordinator_is_told_and_the_referrer_is_not_promised_a_call(marac, django_capture_on_commit_callbacks):
    marac_with_core_agencies(marac)
    coordinator = member(marac, Role.COORDINATOR, agency_kind=AgencyKind.IDVA)
    referrer = member(marac, Role.REFERRER, agency_kind=AgencyKind.HOUSING)
    with django_capture_on_commit_callbacks(execute=True):
        referral = _referral(marac, referrer)
    told = [m for m in mail.outbox if m.to == [coordinator.email] and "Pass on an Idva referral" in m.subject]
    assert told
    body = sign_in(Client(), referrer).get(reverse("referrals:sent", args=[referral.public_id])).content.decode()
    assert "48 hours" not in body
    assert "coordinator has been asked to pass the Idva referral on" in body


def test_with_an_idva_user_the_referrer_is_told_of_the_48_hours(marac, django_capture_on_commit_callbacks):
    marac_with_core_agencies(marac)
    member(marac, Role.COORDINATOR, agency_kind=AgencyKind.IDVA)
    member(marac, Role.IDVA, agency_kind=AgencyKind.IDVA)
    referrer = member(marac, Role.REFERRER, agency_kind=AgencyKind.HOUSING)
    with django_capture_on_commit_callbacks(execute=True):
        referral = _referral(marac, referrer)
    assert not [m for m in mail.outbox if "Pass on an Idva referral" in m.subject]
    body = sign_in(Client(), referrer).get(reverse("referrals:sent", args=[referral.public_id])).content.decode()
    assert "within 48 hours" in body


def test_settings_in_force_show_words_not_stored_codes(client, marac, make_member):
    """The walk-through found "Bank holidays of: england_wales" under Settings in force."""
    sign_in(client, make_member(Role.COORDINATOR, agency_kind=AgencyKind.IDVA))
    page = client.get(reverse("accounts:marac-settings", args=[marac.slug])).content.decode()
    in_force = re.search(r'data-testid="settings-in-force">(.*?)</dl>', page, re.S).group(1)
    assert "England and Wales" in in_force and "england_wales" not in in_force
