"""The meeting room: the register in the chair's hands, the run-the-meeting screen, the
case screen's closing and next case, and minutes (page and PDF) that stand on their own."""

import html
import re
import subprocess
from datetime import time, timedelta

import pytest
from django.test.utils import CaptureQueriesContext
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from openmarac.actions import services
from openmarac.actions.models import ActionKind
from openmarac.meetings import selectors as meeting_selectors
from openmarac.meetings import services as meeting_services
from openmarac.meetings.models import Attendance, DeclarationSignature, Hearing
from openmarac.referrals import services as referral_services

from ..conftest import sign_in


def _sign(meeting, *users):
    """Signed at the meeting: a signature made after its day does not count as attending."""
    for user in users:
        DeclarationSignature.objects.get_or_create(meeting=meeting, user=user, defaults={"statement": "x"})
    DeclarationSignature.objects.filter(meeting=meeting, user__in=users).update(signed_at=meeting.starts_at)


@pytest.fixture
def held(marac, staff, generator):
    """A meeting held two days ago with cases on it, each a number of children."""

    def make(*children_counts):
        coordinator = staff["coordinator"]
        meeting = meeting_services.meeting_add(by=coordinator, marac=marac, starts_at=timezone.now() + timedelta(days=20))
        hearings = []
        for children in children_counts:
            data = generator.referral(marac=marac, referring_agency=staff["referrer"].agency, children=children)
            data.referred_on = timezone.localdate() - timedelta(days=22)
            referral = referral_services.referral_record(marac=marac, data=data, by=staff["referrer"], notify_agencies=False)
            hearings.append(services.hearing_for(meeting_services.referral_list(by=coordinator, referral=referral, meeting=meeting)))
        meeting.starts_at = timezone.now() - timedelta(days=2)
        meeting.save()
        meeting_services.meeting_publish(by=coordinator, meeting=meeting)
        return meeting, hearings

    return make


@pytest.fixture
def two_cases(held):
    """Two cases, the first with a child."""
    meeting, (first, second) = held(1, 0)
    return meeting, first, second


def test_the_chair_takes_the_register_and_is_warned_of_unsigned_attendees(client, staff, two_cases):
    meeting, _, _ = two_cases
    chair = staff["chair"]
    _sign(meeting, chair, staff["housing_rep"])
    sign_in(client, chair)
    url = reverse("meetings:register", args=[meeting.public_id])
    page = client.get(url).content.decode()
    # The chair's own agency (police) counts as represented; its people are named on demand.
    register = meeting_selectors.register(user=chair, meeting=meeting)
    rows = {row["link"].agency_id: row for row in register["rows"]}
    assert rows[chair.agency_id]["represented"]
    assert any("chair" in rep["roles"] for rep in rows[chair.agency_id]["representatives"])
    assert "Who speaks for it" in page and "Represented" in page
    probation = staff["probation_rep"].agency_id
    data = {"save-register": "1", f"agency-{probation}-status": "present", f"agency-{staff['housing_rep'].agency_id}-status": "present"}
    # "Arrived late at" is typed as hour and minute; a minute past 59 is explained and kept.
    response = client.post(url, {**data, f"agency-{probation}-arrived_at_hour": "9", f"agency-{probation}-arrived_at_minute": "75"})
    page = response.content.decode()
    assert response.status_code == 200 and "Enter the minute, from 0 to 59" in page and 'value="75"' in page
    # Summed up at the top, naming the agency, linked to the field folded in its row.
    summary = page[page.index("There is a problem"):page.index("Attendance register")]
    agency = html.escape(staff["probation_rep"].agency.name)
    assert f'href="#id_agency-{probation}-arrived_at_minute">{agency}: Enter the minute, from 0 to 59' in summary
    assert not meeting.attendance.exists()
    response = client.post(url, {**data, f"agency-{probation}-arrived_at_hour": "9", f"agency-{probation}-arrived_at_minute": "50"})
    assert response.status_code == 302
    assert meeting.attendance.get(agency_id=probation).recorded_by == chair
    assert meeting.attendance.get(agency_id=probation).arrived_at == time(9, 50)
    run = client.get(reverse("actions:run-meeting", args=[meeting.public_id])).content.decode()
    assert run.index("Register and confidentiality statement") < run.index("Outstanding actions")
    assert meeting_services.schedule_for(meeting.marac).confidentiality_statement[:40] in run
    assert "Marked present but not signed the confidentiality declaration" in run and staff["probation_rep"].agency.name in run


@pytest.mark.parametrize("minutes_published", [True, False])
def test_signing_after_the_meeting_does_not_rewrite_who_attended(client, staff, two_cases, minutes_published):
    """The walk-through: the police representative signed the declaration months later to
    read the published minutes, and the minutes then listed the police as present."""
    meeting, _, _ = two_cases
    police, housing = staff["police_rep"], staff["housing_rep"]
    _sign(meeting, housing)
    if minutes_published:
        services.minutes_publish(by=staff["coordinator"], meeting=meeting)
    meeting_services.declaration_sign(by=police, meeting=meeting)
    meeting.refresh_from_db()
    rows = {row["link"].agency_id: row for row in meeting_selectors.register(user=staff["coordinator"], meeting=meeting)["rows"]}
    assert rows[housing.agency_id]["represented"]
    # Shown as signed, with the date, but not as attending.
    assert rows[police.agency_id]["signatures"] and not rows[police.agency_id]["represented"]
    # Unpublished minutes are the coordinator's (who signed at the meeting) to read.
    reader = police if minutes_published else staff["coordinator"]
    if not minutes_published:
        _sign(meeting, reader)
    sign_in(client, reader)
    page = client.get(reverse("actions:minutes", args=[meeting.public_id])).content.decode()
    present = re.search(r'Present</th><td class="govuk-table__cell">(.*?)</td>', page, re.S).group(1)
    assert housing.agency.name in present
    assert police.agency.name not in present and police.full_name not in present


def test_marked_present_but_signed_only_after_the_meeting_is_still_present_not_signed(staff, two_cases):
    """A declaration signed after the meeting (to read its minutes) does not make it
    signed at the meeting: the register still warns that the agency was present
    without signing."""
    meeting, _, _ = two_cases
    police = staff["police_rep"]
    Attendance.objects.create(meeting=meeting, agency_id=police.agency_id, status=Attendance.Status.PRESENT, recorded_by=staff["coordinator"])
    meeting_services.declaration_sign(by=police, meeting=meeting)
    assert DeclarationSignature.objects.get(meeting=meeting, user=police).signed_at.date() > meeting.starts_at.date()
    register = meeting_selectors.register(user=staff["coordinator"], meeting=meeting)
    rows = {row["link"].agency_id: row for row in register["rows"]}
    assert rows[police.agency_id]["signatures"] and rows[police.agency_id]["present_unsigned"]
    assert police.agency in register["unsigned"]


@pytest.mark.parametrize("role", ["housing_rep", "idva", "referrer"])
def test_only_those_running_the_meeting_take_the_register(client, staff, two_cases, role):
    meeting, _, _ = two_cases
    sign_in(client, staff[role])
    response = client.post(reverse("meetings:register", args=[meeting.public_id]), {"add-observer": "1", "observer_name": "Student"})
    assert response.status_code == 404
    assert not meeting.attendance.exists()


def test_the_agenda_shows_each_case_s_state_and_the_case_screen_goes_on(client, staff, two_cases):
    meeting, first, second = two_cases
    chair = staff["chair"]
    _sign(meeting, chair)
    sign_in(client, chair)
    Hearing.objects.filter(pk=second.pk).delete()
    run = client.get(reverse("actions:run-meeting", args=[meeting.public_id])).content.decode()
    assert "In progress" in run and "Not started" in run and "0 of 2 closed" in run
    order = [entry.item.pk for entry in meeting_selectors.case_list(user=chair, meeting=meeting)]
    url = reverse("actions:hearing", args=[meeting.public_id, order[0]])
    # Closing asks for confirmation; nothing is closed without it.
    page = client.post(url, {"action": "close", "close-reason": "Idva called away"}).content.decode()
    assert "Confirm that the plan is agreed" in page
    assert not Hearing.objects.filter(item_id=order[0], closed_at__isnull=False).exists()
    client.post(url, {"action": "close", "close-reason": "Idva called away", "close-confirm": "on", "close-children_reason": "Confirmed with the school after the meeting"})
    page = client.get(url).content.decode()
    assert "Go on to the next case" in page
    assert reverse("actions:hearing", args=[meeting.public_id, order[1]]) in page
    run = client.get(reverse("actions:run-meeting", args=[meeting.public_id])).content.decode()
    assert "Closed" in run and "1 of 2 closed" in run
    last = client.get(reverse("actions:hearing", args=[meeting.public_id, order[1]])).content.decode()
    assert "Next case" not in last


def test_the_case_screen_puts_the_plan_above_the_add_action_form_and_joint_agencies_folded(client, staff, two_cases):
    meeting, first, _ = two_cases
    _sign(meeting, staff["chair"])
    sign_in(client, staff["chair"])
    page = client.get(reverse("actions:hearing", args=[meeting.public_id, first.item_id])).content.decode()
    assert page.index("Actions agreed for this case") < page.index("Add an action an agency has volunteered")
    assert page.index("Add an action an agency has volunteered") < page.index("Close the case for this meeting")
    assert "Joint with other agencies" in page


def _plan(staff, meeting, first, second):
    """A register and a plan with every column filled."""
    police, housing, probation, childrens = (staff[k].agency for k in ("chair", "housing_rep", "probation_rep", "childrens_rep"))
    meeting_services.attendance_save(
        by=staff["coordinator"], meeting=meeting,
        rows=[
            {"agency": housing.pk, "status": "present", "name": "Hana Rep", "arrived_at": time(9, 50)},
            {"agency": probation.pk, "status": "apologies", "information_sent_in_advance": True},
            {"agency": childrens.pk, "status": "absent"},
            {"is_observer": True, "name": "Student social worker", "observer_signed": True},
        ],
    )
    child = first.item.referral.people.filter(role="child").first().person
    day = timezone.localtime(meeting.starts_at).date()
    services.action_add(
        by=staff["coordinator"], hearing=first, owner_agency=housing, owner_name="Pat Officer", description="Offer a management transfer",
        for_whom="child", children=[child], due_on=day + timedelta(days=14), joint_agencies=[police],
    )
    services.action_add(
        by=staff["coordinator"], hearing=first, owner_agency=police, description="Flag the address", kind=ActionKind.FLAG,
        for_whom="household", due_on=day + timedelta(days=2), flag_expires_on=day + timedelta(days=400),
    )
    first = services.hearing_save(by=staff["coordinator"], hearing=first, version=first.version, minutes="The chair summarised the history once.")
    return child, day + timedelta(days=14)


def test_minutes_open_with_the_register_and_carry_every_action_column(client, staff, two_cases, tmp_path):
    meeting, first, second = two_cases
    child, housing_due_on = _plan(staff, meeting, first, second)
    chair = staff["chair"]
    _sign(meeting, chair)
    sign_in(client, chair)
    url = reverse("actions:minutes", args=[meeting.public_id])
    page = client.get(url).content.decode()
    assert page.index("Attendance") < page.index(f"Case {first.item.referral.case.reference}")
    assert page.count("The chair summarised the history once.") == 1
    response = client.get(url + "?format=pdf")
    pdf = tmp_path / "minutes.pdf"
    pdf.write_bytes(response.content)
    text = " ".join(subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.split())
    for expected in [
        # The register.
        "Present", "Hana Rep", "arrived 09:50", chair.agency.name,
        "Apologies", f"{staff['probation_rep'].agency.name} (information sent in advance)",
        "Absent", staff["childrens_rep"].agency.name,
        "Observers", "Student social worker (signed the declaration)",
        "Research not returned on every case",
        f"No one to research (no representative) {staff['chair'].agency.name.replace('police', 'adult_social_care')}",
        # Every action column.
        "Agency and named person", "Joint with", "For", "Due", "Flag until",
        f"{staff['housing_rep'].agency.name}: Pat Officer", "Offer a management transfer", f"Child: {child}",
        housing_due_on.strftime("%-d %b %Y"),
    ]:
        assert expected in text, f"{expected!r} not in {text}"
    assert text.count("The chair summarised the history once.") == 1


def test_minutes_queries_do_not_grow_with_cases(client, staff, held):
    def count(meeting):
        _sign(meeting, staff["chair"])
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("actions:minutes", args=[meeting.public_id])).status_code == 200
            assert client.get(reverse("actions:run-meeting", args=[meeting.public_id])).status_code == 200
        return len(queries)

    sign_in(client, staff["chair"])
    few = count(held(1)[0])
    assert count(held(1, 0, 2, 1)[0]) <= few + 2


def _research(meeting, referral, user, **fields):
    meeting_services.research_save(by=user, meeting=meeting, referral=referral, data=fields, submit=True)


def test_the_chair_s_case_screen_has_everything_with_constant_queries(client, staff, two_cases):
    meeting, first, _ = two_cases
    referral = first.item.referral
    type(referral).objects.filter(pk=referral.pk).update(
        reasons="Strangled last week", meets_professional_judgement=True, professional_judgement_rationale="Escalating control",
        consent_given=False, victim_aware=False, victim_not_aware_reason="Not safe to tell her yet",
        victim_afraid_of="Her former partner's brother", safe_to_talk_to="Her sister", unsafe_to_talk_to="Her mother-in-law",
    )
    chair = staff["chair"]
    _sign(meeting, chair)
    sign_in(client, chair)
    url = reverse("actions:hearing", args=[meeting.public_id, first.item_id])

    def count():
        with CaptureQueriesContext(connection) as queries:
            page = client.get(url).content.decode()
        return len(queries), page

    few, _ = count()
    _research(meeting, referral, staff["housing_rep"], facts="Rent arrears", professional_opinion="Isolated", risk_information="Threats at the door",
              actions_taken="Locks changed", victim_priorities="Keep the tenancy")
    _research(meeting, referral, staff["police_rep"], no_trace=True)
    services.hearing_save(by=staff["idva"], hearing=first, version=first.version, victim_views="She wants to stay in the area")
    many, page = count()
    for text in [
        "Strangled last week", "Escalating control", "Not given: shared without consent", "Not safe to tell her yet",
        "Her former partner&#x27;s brother", "Her sister", "Her mother-in-law", "She wants to stay in the area",
        "Rent arrears", "Isolated", "Threats at the door", "Locks changed", "Keep the tenancy", "2 agencies returned research, 1 with no trace",
    ]:
        assert text in page, text
    for _, shown in meeting_selectors.case_screen(user=chair, meeting=meeting, item=first.item)[0].children:
        assert f"born {shown.date_of_birth:%-d %b %Y}" in page
    assert many <= few + 1  # research rows come in one query whatever their number


def test_contributory_and_protective_factors_sit_beside_the_named_risk(client, staff, two_cases):
    meeting, first, _ = two_cases
    _sign(meeting, staff["chair"])
    sign_in(client, staff["chair"])
    url = reverse("actions:hearing", args=[meeting.public_id, first.item_id])
    client.post(url, {
        "action": "add-risk", "risk-who_at_risk": "The victim", "risk-from_whom": "Her partner", "risk-harm": "Assault", "risk-likelihood": "high",
        "risk-contributory_factors": "Heavy drinking at weekends", "risk-protective_factors": "Her sister lives next door",
    })
    risk = first.risks.get()
    assert risk.contributory_factors == "Heavy drinking at weekends" and risk.protective_factors == "Her sister lives next door"
    page = client.get(url).content.decode()
    assert "Contributory: Heavy drinking at weekends" in page and "Protective: Her sister lives next door" in page


def _alert(marac, hearing):
    from openmarac.referrals.models import Referral

    case = hearing.item.referral.case
    Referral.objects.filter(pk=hearing.item.referral.pk).update(meets_repeat=True)
    for days_ago in (100, 200):
        Referral.objects.create(marac=marac, case=case, status="heard", meets_repeat=True, referred_on=timezone.localdate() - timedelta(days=days_ago))


def test_a_repeat_alert_gets_a_decision_shown_until_done_and_counted(client, marac, staff, heard):
    from openmarac.governance import figures

    hearing = heard()
    _alert(marac, hearing)
    meeting = hearing.item.meeting
    chair = staff["chair"]
    _sign(meeting, chair)
    sign_in(client, chair)
    url = reverse("actions:hearing", args=[meeting.public_id, hearing.item_id])
    page = client.get(url).content.decode()
    assert "reached the repeat-alert threshold" in page
    day = timezone.localtime(meeting.starts_at).date()
    data = {"action": "repeat-decision", "repeat-kind": "marm", "repeat-due_on": (day + timedelta(days=7)).isoformat(), "repeat-details": "Convene a MARM"}
    # Without an owner, nothing is recorded and the form keeps what was typed.
    page = client.post(url, data).content.decode()
    assert "Convene a MARM" in page and not hasattr(type(hearing).objects.get(pk=hearing.pk), "repeat_decision")
    data["repeat-owner_agency"] = staff["police_rep"].agency_id
    assert client.post(url, data).status_code == 302
    page = client.get(url).content.decode()
    assert "Repeat-alert decision, not yet done: a multi-agency risk management meeting" in page
    assert "decide a different approach" not in page
    case_page = client.get(reverse("referrals:case", args=[hearing.item.referral.case.public_id])).content.decode()
    assert "Repeat-alert decision, not yet done" in case_page and "Record it as done" not in case_page
    services.hearing_close(by=chair, hearing=type(hearing).objects.get(pk=hearing.pk), reason="Idva away", children_reason="Confirmed after the meeting")
    period = figures.Period(day - timedelta(days=30), day + timedelta(days=1))
    outcomes = figures.outcomes(marac=marac, period=period)
    assert (outcomes.alert_cases, outcomes.alert_decided, outcomes.alert_decisions_done) == (1, 1, 0)
    decision = hearing.item.referral.case.repeat_decisions.get()
    assert client.post(url, {"action": "repeat-decision-done", "done-decision": decision.pk, "done-done_on": timezone.localdate().isoformat()}).status_code == 302
    assert "not yet done" not in client.get(url).content.decode()
    assert figures.outcomes(marac=marac, period=period).alert_decisions_done == 1


@pytest.mark.parametrize("role", ["housing_rep", "idva"])
def test_only_the_chair_or_coordinator_records_a_repeat_decision(client, marac, staff, heard, role):
    hearing = heard()
    _alert(marac, hearing)
    meeting = hearing.item.meeting
    _sign(meeting, staff[role])
    sign_in(client, staff[role])
    day = timezone.localtime(meeting.starts_at).date()
    response = client.post(reverse("actions:hearing", args=[meeting.public_id, hearing.item_id]), {
        "action": "repeat-decision", "repeat-kind": "marm", "repeat-due_on": (day + timedelta(days=7)).isoformat(), "repeat-owner_agency": staff["police_rep"].agency_id,
    })
    assert response.status_code == 404
    assert not hearing.item.referral.case.repeat_decisions.exists()


def test_the_register_page_queries_do_not_grow_with_signatures_and_rows(client, marac, staff, two_cases):
    from openmarac.accounts.models import Role

    from ..factories import member

    meeting, _, _ = two_cases
    _sign(meeting, staff["chair"])
    sign_in(client, staff["chair"])
    url = reverse("meetings:register", args=[meeting.public_id])

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    few = count()
    meeting_services.attendance_save(
        by=staff["chair"], meeting=meeting,
        rows=[{"agency": staff[k].agency_id, "status": "present"} for k in ("housing_rep", "probation_rep", "childrens_rep")]
        + [{"is_observer": True, "name": f"Observer {n}", "observer_signed": True} for n in range(3)],
    )
    for _ in range(3):
        _sign(meeting, member(marac, Role.REPRESENTATIVE))
    assert count() <= few


def test_no_action_row_of_the_minutes_pdf_is_split_across_two_pages(client, staff, two_cases, tmp_path):
    """The walk-through's minutes PDF put an action's agency and text on page 2 and its
    "for", due date and status on page 1: each row stays whole on one page."""
    meeting, first, _ = two_cases
    housing = staff["housing_rep"].agency
    day = timezone.localtime(meeting.starts_at).date()
    for number in range(14):
        services.action_add(
            by=staff["coordinator"], hearing=first, owner_agency=housing, owner_name=f"Officer {number:02d}",
            description=f"Action number {number:02d}: " + "visit the victim at a safe time and agree the next steps " * 3,
            for_whom="household", due_on=day + timedelta(days=number + 1),
        )
    chair = staff["chair"]
    _sign(meeting, chair)
    sign_in(client, chair)
    pdf = tmp_path / "minutes.pdf"
    pdf.write_bytes(client.get(reverse("actions:minutes", args=[meeting.public_id]) + "?format=pdf").content)
    pages = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.split("\f")
    assert len([page for page in pages if page.strip()]) > 1
    for number in range(14):
        owner = [i for i, page in enumerate(pages) if f"Officer {number:02d}" in page]
        text = [i for i, page in enumerate(pages) if f"Action number {number:02d}" in " ".join(page.split())]
        due = f"{(day + timedelta(days=number + 1)):%-d %b}"
        assert owner == text and len(owner) == 1, f"action {number:02d} on pages {owner} and {text}"
        assert re.search(rf"(?<!\d){due}", " ".join(pages[owner[0]].split())), f"action {number:02d}'s due date is not on its page"
