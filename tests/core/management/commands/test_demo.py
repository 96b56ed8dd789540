"""`openmarac demo`: the demo Marac, one account per role, current referrals and two
quarters of past cases heard. Only for a demo deployment."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from openmarac.accounts.models import Marac, Membership, Role, User
from openmarac.synthetic.accounts import DEMO_ACCOUNTS


def test_demo_creates_one_account_per_role_and_is_repeatable(db, settings, capsys):
    settings.OPENMARAC_DEMO_SHOW_MFA_CODE = True
    call_command("demo")
    call_command("demo")
    out = capsys.readouterr().out
    marac = Marac.objects.get(slug="northshire")
    assert {m.role for m in Membership.objects.filter(marac=marac)} == {r.value for r in Role}
    assert User.objects.filter(is_system_admin=True).count() == 1
    assert User.objects.count() == len(DEMO_ACCOUNTS) + 1
    assert "coordinator@demo.openmarac.invalid" in out
    core_kinds = set(marac.agency_links.filter(is_core=True).values_list("agency__kind", flat=True))
    assert core_kinds == {
        "police", "idva", "housing", "childrens_social_care", "probation", "health",
        "mental_health", "substance_misuse", "adult_social_care",
    }
    assert all(user.totpdevice_set.filter(confirmed=True).exists() for user in User.objects.all())
    from openmarac.referrals.models import MatchCandidate, Referral

    assert Referral.objects.filter(marac=marac, heard_on__isnull=True).count() == 5
    assert MatchCandidate.objects.filter(referral__marac=marac, decision="pending").exists()



def test_demo_refuses_without_the_demo_setting(db, settings):
    settings.OPENMARAC_DEMO_SHOW_MFA_CODE = False
    with pytest.raises(CommandError):
        call_command("demo")



def test_demo_has_past_cases_for_the_data_return_and_the_figures(db, settings):
    from datetime import date

    from openmarac.governance import figures
    from openmarac.referrals.models import Referral

    settings.OPENMARAC_DEMO_SHOW_MFA_CODE = True
    call_command("demo")
    marac = Marac.objects.get(slug="northshire")
    heard = Referral.objects.filter(marac=marac, heard_on__isnull=False)
    period = figures.last_complete_quarter(date.today())
    rows = figures.data_return(marac=marac, period=period)
    assert rows and sum(row.cases for row in rows) == heard.filter(heard_on__range=(period.start, period.end)).count()
    assert any(row.repeats for row in rows)
    assert heard.filter(heard_on__gte=date.today()).count() == 0


def test_demo_shows_a_working_marac(db, settings):
    """Meetings ahead, one past meeting with published minutes and actions in every
    state, and a referral near its six-week target; a second run adds nothing."""
    from django.utils import timezone

    from openmarac.actions.models import Action
    from openmarac.meetings import listing
    from openmarac.meetings.models import Meeting
    from openmarac.referrals.models import Referral

    settings.OPENMARAC_DEMO_SHOW_MFA_CODE = True
    call_command("demo")
    counts = (Meeting.objects.count(), Action.objects.count())
    call_command("demo")
    assert (Meeting.objects.count(), Action.objects.count()) == counts
    marac = Marac.objects.get(slug="northshire")
    assert Meeting.objects.filter(marac=marac, starts_at__gt=timezone.now()).count() >= 2
    past = Meeting.objects.get(marac=marac, starts_at__lt=timezone.now(), items__isnull=False)
    assert past.minutes_published_at and past.items.filter(hearing__closed_at__isnull=False).exists()
    actions = Action.objects.filter(hearing__item__meeting=past)
    today = timezone.localdate()
    assert {a.status for a in actions} == {"open", "completed", "not_possible"}
    assert actions.filter(status="open", due_on__lt=today).exists() and actions.filter(status="open", due_on__gte=today).exists()
    waiting = Referral.objects.filter(marac=marac, status="awaiting_listing")
    assert any(0 <= listing.six_week_target(r.referred_on, today).days_left <= 7 for r in waiting)
    assert Referral.objects.filter(marac=marac, status="listed").exists()


def test_demo_people_read_true_to_a_newcomer(db):
    # The walk-through: "Martin Burgess; Wife" on the case list, and a housing
    # colleague offered as "Dawn Warren (Production assistant, television)".
    from openmarac.synthetic.accounts import demo_deployment
    from openmarac.synthetic.referrals import ReferralGenerator

    marac, _ = demo_deployment()
    generator = ReferralGenerator(seed=3)
    agency = marac.agency_links.first().agency
    for _ in range(40):
        (perpetrator,) = generator.referral(marac=marac, referring_agency=agency).perpetrators
        assert perpetrator.data.gender == "Male" and perpetrator.relationship_to_victim != "Wife"
    titles = dict(User.objects.filter(memberships__marac=marac).values_list("email", "job_title"))
    assert titles["housing@demo.openmarac.invalid"] == "Marac representative"
    assert titles["referrer@demo.openmarac.invalid"] == "Frontline practitioner"


def test_demo_dates_and_people_hold_together(db, settings):
    """The walk: a published meeting's research was due an hour after the demo loaded,
    the checklist was signed by someone other than the referrer, and past quarters showed
    no attendance on the governance page."""
    from datetime import date

    from django.utils import timezone

    from openmarac.governance import figures
    from openmarac.meetings.models import Attendance, Meeting
    from openmarac.referrals.models import Referral
    from openmarac.risk.models import RiskAssessment

    settings.OPENMARAC_DEMO_SHOW_MFA_CODE = True
    call_command("demo")
    marac = Marac.objects.get(slug="northshire")
    ahead = Meeting.objects.filter(marac=marac, starts_at__gt=timezone.now()).order_by("starts_at")
    # No case list is due as the demo loads: research is due days ahead, never within hours.
    assert (timezone.localtime(ahead[0].starts_at).date() - timezone.localdate()).days >= marac.case_list_lead_days + 3
    assert all(m.research_deadline - timezone.now() > timezone.timedelta(days=3) for m in ahead)
    for referral in Referral.objects.filter(marac=marac, referrer__isnull=False):
        assessment = RiskAssessment.objects.filter(referral=referral).first()
        assert referral.referrer_name == referral.referrer.full_name
        assert assessment is None or assessment.completed_by in (None, referral.referrer)
    held = Meeting.objects.get(marac=marac, starts_at__lt=timezone.now(), items__isnull=False)
    assert Attendance.objects.filter(meeting=held, status="present").exists()
    period = figures.last_complete_quarter(date.today())
    heard_days = set(Referral.objects.filter(marac=marac, heard_on__range=(period.start, period.end)).values_list("heard_on", flat=True))
    registered = {timezone.localtime(m.starts_at).date() for m in Meeting.objects.filter(marac=marac, attendance__isnull=False).distinct()}
    assert heard_days and heard_days <= registered
    attendance = figures.period_figures(marac=marac, period=period).breakdowns["attendance"]
    assert f"({len(heard_days)} meetings with a register)" in attendance.title
    present = sum(values[0] for _, values, _ in attendance.rows)
    assert present > 0
