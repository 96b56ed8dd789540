"""Retention: personal data goes, every figure stays."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import models
from django.utils import timezone

from openmarac.actions.models import Action, ActionUpdate
from openmarac.audit.models import AuditEvent
from openmarac.audit.services import verify_chain
from openmarac.meetings.models import AgendaItem, Attendance, Meeting, ResearchReturn
from openmarac.people.models import Address, Alias, Person, Phone
from openmarac.records import retention, services
from openmarac.records.models import AnonymisedCase
from openmarac.referrals import services as referral_services
from openmarac.referrals.models import Case, ContactAttempt, IdvaReferral, QualityConcern, Referral, ReferralPerson
from openmarac.risk.models import RiskAssessment
from openmarac.synthetic.referrals import ReferralGenerator

from .conftest import people_of


def figures_snapshot():
    """Everything the data return and the dashboard read (and nothing personal)."""
    return {
        "cases": sorted(Case.objects.values_list("pk", "reference", "last_heard_on", "status", "marac_id")),
        "referrals": sorted(
            Referral.objects.values_list(
                "pk", "case_id", "status", "referred_on", "heard_on", "referring_agency_id", "referring_agency_kind",
                "meets_visible_high_risk", "meets_professional_judgement", "meets_escalation", "meets_repeat", "repeat_declared",
                "repeat_of_id", "checklist_score", "police_incidents_last_12_months", "victim_age", "victim_gender",
                "victim_racially_minoritised", "victim_disabled", "victim_lgbt", "youngest_perpetrator_age", "children_count",
                "victim_aware", "consent_given", "submitted_at",
            )
        ),
        "referral_people": sorted(ReferralPerson.objects.values_list("pk", "referral_id", "person_id", "role")),
        "diversity": sorted(Person.objects.values_list("pk", "gender", "ethnicity", "racially_minoritised", "disabled", "lgbt", "same_as_id")),
        "quality_concerns": sorted(QualityConcern.objects.values_list("pk", "referral_id", "category", "raised_at")),
        "meetings": sorted(Meeting.objects.values_list("pk", "starts_at", "status", "mode", "published_at")),
        "agenda": sorted(AgendaItem.objects.values_list("pk", "meeting_id", "referral_id", "section")),
        "attendance": sorted(map(str, Attendance.objects.values_list())),
        "research": sorted(ResearchReturn.objects.values_list("pk", "meeting_id", "referral_id", "agency_id", "returned_at", "no_trace")),
        "actions": sorted(
            Action.objects.values_list("pk", "case_id", "kind", "owner_agency_id", "for_whom", "due_on", "status", "completed_on", "not_possible_reason", "created_at")
        ),
        "action_updates": sorted(ActionUpdate.objects.values_list("pk", "action_id", "status", "reported_at")),
        "idva": sorted(IdvaReferral.objects.values_list("pk", "referral_id", "idva_agency_id", "status", "first_contact_due", "first_contact_at")),
        "contacts": sorted(ContactAttempt.objects.values_list("pk", "idva_referral_id", "attempted_at", "method", "outcome")),
        "assessments": sorted(RiskAssessment.objects.values_list("pk", "referral_id", "score", "completed_on")),
    }


def text_values():
    """Every text and JSON value of every table Django knows, as (table, column, text)."""
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            if isinstance(field, (models.CharField, models.TextField, models.JSONField)):
                for value in model._base_manager.values_list(field.attname, flat=True).iterator():
                    if value in (None, "", {}, []):
                        continue
                    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                    yield model._meta.db_table, field.column, text


def leaks(secrets):
    lowered = [s.lower() for s in secrets if s]
    return [(table, column, s) for table, column, text in text_values() for s in lowered if s in text.lower()]


@pytest.fixture
def recent_case(marac, staff):
    data = ReferralGenerator(seed=5).referral(marac=marac, referring_agency=staff["referrer"].agency, children=0)
    return referral_services.referral_record(marac=marac, data=data, by=staff["referrer"], notify_agencies=False)


def test_cases_due_lists_only_cases_past_the_retention_period(marac, old_case, recent_case):
    due = retention.cases_due(marac=marac)
    assert [d.reference for d in due] == [old_case.case.reference]
    assert due[0].last_heard_on == old_case.case.last_heard_on
    marac.retention_years = 8
    marac.save()
    assert retention.cases_due(marac=marac) == []


def test_an_imported_heard_on_counts_as_the_last_hearing(marac, staff):
    data = ReferralGenerator(seed=8).referral(marac=marac, referring_agency=staff["referrer"].agency, referred_on=timezone.localdate() - timedelta(days=3000))
    data.heard_on = timezone.localdate() - timedelta(days=2900)
    referral = referral_services.referral_record(marac=marac, data=data, by=staff["referrer"], notify_agencies=False)
    assert [d.case_id for d in retention.cases_due(marac=marac)] == [referral.case_id]
    assert retention.cases_due(marac=marac)[0].last_heard_on == data.heard_on


def test_cut_off_is_inclusive(marac, staff):
    heard = timezone.localdate() - timedelta(days=2500)
    data = ReferralGenerator(seed=9).referral(marac=marac, referring_agency=staff["referrer"].agency, referred_on=heard - timedelta(days=30))
    data.heard_on = heard
    referral_services.referral_record(marac=marac, data=data, by=staff["referrer"], notify_agencies=False)
    from dateutil.relativedelta import relativedelta

    on_the_day = heard + relativedelta(years=marac.retention_years)
    assert len(retention.cases_due(marac=marac, today=on_the_day)) == 1
    assert retention.cases_due(marac=marac, today=on_the_day - timedelta(days=1)) == []


def test_retention_keeps_every_figure_and_leaves_no_personal_data(marac, staff, old_case, recent_case):
    # A correction and a subject access request add the old values and a typed name.
    victim = old_case.case.victim
    services.person_correct(by=staff["coordinator"], person=victim, changes={"ethnicity": "White Irish"}, reason="Zephyrine Quillfeather corrected it")
    services.sar_record(by=staff["coordinator"], marac=marac, person=victim, requester_name="Zephyrine Quillfeather", received_on=timezone.localdate())
    recent_victim = str(recent_case.case.victim)
    assert leaks(old_case.secrets), "the world must hold the personal data before retention"
    before = figures_snapshot()

    out = StringIO()
    call_command("retention", "--marac", marac.slug, stdout=out)

    assert figures_snapshot() == before
    assert leaks(old_case.secrets) == []
    assert not Alias.objects.filter(person__in=people_of(old_case.referral, "victim")).exists()
    assert not Address.objects.filter(person_id=victim.pk).exists() and not Phone.objects.filter(person_id=victim.pk).exists()
    children = people_of(old_case.referral, "child")
    assert len(children) == 1 and children[0].date_of_birth is None
    # The recent case is untouched.
    recent_case.case.victim.refresh_from_db()
    assert str(recent_case.case.victim) == recent_victim
    assert Referral.objects.get(pk=recent_case.pk).reasons
    # Audited, and the chain is whole.
    assert AuditEvent.objects.filter(record_type="referrals.case", record_id=str(old_case.case.pk), summary__startswith="Anonymised").count() == 1
    assert verify_chain().whole
    assert old_case.case.reference in out.getvalue()


def test_dry_run_lists_references_and_dates_and_changes_nothing(marac, old_case):
    before = list(Person.objects.values_list("given_name", flat=True))
    out = StringIO()
    call_command("retention", "--marac", marac.slug, "--dry-run", stdout=out)
    text = out.getvalue()
    assert old_case.case.reference in text and old_case.case.last_heard_on.isoformat() in text
    assert "Zephyrine" not in text and "Quillfeather" not in text
    assert list(Person.objects.values_list("given_name", flat=True)) == before
    assert not AnonymisedCase.objects.exists()


def test_retention_runs_once(marac, old_case):
    assert len(retention.retention_run(marac=marac)) == 1
    assert retention.retention_run(marac=marac) == []
    assert retention.cases_due(marac=marac) == []


def test_a_person_in_a_live_case_keeps_their_details(marac, old_case, recent_case):
    perpetrator = people_of(old_case.referral, "perpetrator")[0]
    ReferralPerson.objects.create(referral=recent_case, person=perpetrator, role="perpetrator")
    record = retention.retention_run(marac=marac)
    assert len(record) == 1
    perpetrator.refresh_from_db()
    assert perpetrator.given_name == "Balthazar" and perpetrator.date_of_birth is not None
    victim = old_case.case.victim
    victim.refresh_from_db()
    assert victim.given_name == retention.ANONYMISED_NAME
    assert AnonymisedCase.objects.get().people_kept == 1


def test_unknown_marac_is_a_clear_error(db):
    with pytest.raises(CommandError, match="No active Marac"):
        call_command("retention", "--marac", "nowhere")


def test_run_scheduled_applies_retention(marac, old_case):
    out = StringIO()
    call_command("run_scheduled", stdout=out)
    assert "Cases anonymised: 1." in out.getvalue()
    assert AnonymisedCase.objects.filter(case=old_case.case).exists()


def test_retention_years_is_a_marac_setting_of_at_least_one_year(marac):
    from openmarac.accounts.forms import MaracSettingsForm

    form = MaracSettingsForm(instance=marac)
    data = {name: form.initial.get(name) for name in form.fields}
    assert data["retention_years"] == 6
    assert MaracSettingsForm({**{k: v for k, v in data.items() if v is not None}, "retention_years": 0}, instance=marac).errors.get("retention_years")
    saved = MaracSettingsForm({**{k: v for k, v in data.items() if v is not None}, "retention_years": 7}, instance=marac)
    assert saved.is_valid(), saved.errors
    saved.save()
    marac.refresh_from_db()
    assert marac.retention_years == 7
