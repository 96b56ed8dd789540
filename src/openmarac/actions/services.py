"""Writes for the meeting's record of a case and its action plan. Two people editing
the same thing never silently overwrite each other: each edit names the version it
started from, and a stale one raises EditConflict with the current record."""

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from openmarac.access import policy
from openmarac.accounts.models import Role
from openmarac.accounts.selectors import users_with_role
from openmarac.audit import services as audit
from openmarac.core import compiled
from openmarac.meetings.dates import Operation
from openmarac.meetings.models import Attendance, Hearing, RepeatDecision, Risk
from openmarac.meetings.services import require_day
from openmarac.notifications.services import notify
from openmarac.referrals.services import tell_referrer

from . import flags
from .models import Action, ActionKind, ActionProposal, ActionReminder, ActionUpdate, ChaseReminder, ForWhom
from .selectors import hearing_children

FLAG_MONTHS = flags.FLAG_MONTHS
DUE_SOON_DAYS = 3
# Agencies update their own systems after the hearing: by the next day where the risk
# escalated (seed 002: "within 24 hours"), otherwise within this many working days.
RECORDS_UPDATE_WORKING_DAYS = 3
RECORDS_UPDATE_NOTE = "Updated our records"


class EditConflict(Exception):
    """Someone else saved first. `current` is the record as it now stands."""

    def __init__(self, current):
        super().__init__("Someone else changed this while you were editing.")
        self.current = current


def _require(allowed):
    if not allowed:
        raise PermissionDenied


def hearing_for(item):
    # With the people the case screen names beside the record (who confirmed the plan
    # and the children), and the item it was read by, so neither is read again. Read by
    # a query compiled once (core/compiled.py): the case screen reads it on every poll;
    # made (get_or_create, which copes with two requests making it at once) the first
    # time only.
    found = compiled.objects(_hearing_of_item, item_id=item.pk)
    if found:
        hearing = found[0]
    else:
        hearing, _ = Hearing.objects.select_related(*_HEARING_RELATED).get_or_create(item=item)
    hearing.item = item
    return hearing


_HEARING_RELATED = ("idva_confirmed_by", "children_confirmed_by")


def _hearing_of_item(*, item_id):
    return Hearing.objects.filter(item_id=item_id).select_related(*_HEARING_RELATED)


HEARING_FIELDS = {"minutes", "victim_views", "single_point_of_contact", "referrer_summary"}


@transaction.atomic
def hearing_save(*, by, hearing, version, request=None, **fields):
    meeting = hearing.item.meeting
    _require(policy.can_record_hearing(by, meeting) or (set(fields) <= {"victim_views"} and policy.can_confirm_plan_safe(by, meeting)))
    unknown = set(fields) - HEARING_FIELDS
    if unknown:
        raise ValueError(f"Not hearing fields: {unknown}")
    if hearing.closed_at:
        raise ValidationError("This case has been closed for the meeting.")
    require_day(meeting=meeting, operation=Operation.HEAR)
    updated = Hearing.objects.filter(pk=hearing.pk, version=version).update(
        **fields, version=F("version") + 1, updated_by=by, updated_at=timezone.now()
    )
    if not updated:
        raise EditConflict(Hearing.objects.get(pk=hearing.pk))
    audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=hearing, marac=meeting.marac, summary=", ".join(sorted(fields)))
    return Hearing.objects.get(pk=hearing.pk)


@transaction.atomic
def hearing_children_confirm(*, by, hearing, confirmed: bool, corrections: str = "", request=None) -> Hearing:
    """The chair reiterates the number of children and their dates of birth (seed 003):
    confirmed as listed, or with the corrections the meeting agreed."""
    meeting = hearing.item.meeting
    _require(policy.can_record_hearing(by, meeting))
    if hearing.closed_at:
        raise ValidationError("This case has been closed for the meeting.")
    if not confirmed and not corrections.strip():
        raise ValidationError({"children_corrections": "Say what is different about the children or their dates of birth"})
    Hearing.objects.filter(pk=hearing.pk).update(
        children_confirmed=confirmed, children_corrections="" if confirmed else corrections.strip(),
        children_confirmed_at=timezone.now(), children_confirmed_by=by,
    )
    audit.record(
        action=audit.Action.CHANGED, actor=by, request=request, obj=hearing, marac=meeting.marac,
        summary="Children confirmed" if confirmed else "Children confirmed with corrections",
    )
    hearing.refresh_from_db()
    return hearing


@transaction.atomic
def risk_add(*, by, hearing, request=None, **fields):
    _require(policy.can_record_hearing(by, hearing.item.meeting))
    _require_open(hearing)
    require_day(meeting=hearing.item.meeting, operation=Operation.HEAR)
    risk = Risk.objects.create(hearing=hearing, **fields)
    audit.record(action=audit.Action.CREATED, actor=by, request=request, obj=risk, marac=hearing.item.meeting.marac)
    return risk


def _require_open(hearing):
    """Closing a case ends its hearing: nothing more is recorded on it at this meeting."""
    if hearing.closed_at:
        raise ValidationError("This case has been closed for the meeting.")


def _meeting_date(hearing):
    return timezone.localtime(hearing.item.meeting.starts_at).date()


@transaction.atomic
def action_add(*, by, hearing, owner_agency, description, for_whom, due_on, kind=ActionKind.OTHER, owner_name="",
               children=(), risk=None, joint_agencies=(), flag_expires_on=None, flag_short_reason="", request=None):
    """An action an agency volunteered. Every action is SMART: one owning agency, what,
    for whom and by when."""
    meeting = hearing.item.meeting
    _require(policy.can_record_hearing(by, meeting))
    _require_open(hearing)
    require_day(meeting=meeting, operation=Operation.HEAR)
    case = hearing.item.referral.case
    if case.marac_id != meeting.marac_id:
        # The case has since moved to another Marac: its actions are agreed there now.
        raise ValidationError("This case has moved to another Marac: actions for it are agreed there.")
    problems = {}
    if not meeting.marac.agency_links.filter(agency=owner_agency, is_active=True).exists():
        problems["owner_agency"] = "Choose one of this Marac’s agencies"
    if due_on < _meeting_date(hearing):
        problems["due_on"] = "The due date cannot be before the meeting"
    children = list(children) if for_whom == ForWhom.CHILD else []
    if for_whom == ForWhom.CHILD and not children:
        problems["children"] = "Choose which child or children the action is for"
    elif not {child.pk for child in children} <= set(hearing_children(hearing).values_list("pk", flat=True)):
        problems["children"] = "Choose children named on this referral"
    if kind == ActionKind.FLAG and flag_expires_on is None:
        # Flags stay on agency files for 12 months from the meeting (longer when set).
        flag_expires_on = flags.default_expiry(_meeting_date(hearing))
    if kind != ActionKind.FLAG:
        flag_expires_on, flag_short_reason = None, ""
    elif flag_expires_on <= _meeting_date(hearing):
        problems["flag_expires_on"] = "The flag must end after the meeting"
    elif not flags.needs_reason(meeting_on=_meeting_date(hearing), expires_on=flag_expires_on):
        flag_short_reason = ""
    elif not flag_short_reason.strip():
        problems["flag_short_reason"] = (
            f"A flag ending before {flags.default_expiry(_meeting_date(hearing)):%-d %B %Y} (12 months after the meeting) "
            "needs a reason: say why it can come off sooner"
        )
    if problems:
        raise ValidationError(problems)
    action = Action.objects.create(
        case=case, hearing=hearing, kind=kind, owner_agency=owner_agency, owner_name=owner_name,
        description=description, for_whom=for_whom, risk=risk, due_on=due_on, flag_expires_on=flag_expires_on,
        flag_short_reason=flag_short_reason, created_by=by,
    )
    action.children.set(children)
    action.joint_agencies.set(joint_agencies)
    ActionUpdate.objects.create(action=action, status=Action.Status.OPEN, note="Agreed at the meeting", reported_by=by)
    audit.record(action=audit.Action.CREATED, actor=by, request=request, obj=action, marac=meeting.marac)
    return action


def _agreed_on(action):
    """The first day an action can have been done: the day it was agreed. That is its
    meeting's day, or the day it was recorded when the meeting went ahead early under a
    recorded override (the agency may act at once)."""
    return min(_meeting_date(action.hearing), timezone.localdate(action.created_at))


@transaction.atomic
def action_report(*, by, action, version, status, note="", completed_on=None, not_possible_reason="", request=None):
    """An agency reports progress: completed (with the date), not possible (with the
    reason), or still open with a note. Recorded in the action tracking record."""
    _require(policy.can_report_on_action(by, action))
    if status == Action.Status.TRANSFERRED or action.status == Action.Status.TRANSFERRED:
        # Only accepting a transfer ends an action this way; the agency that took it on
        # reports on its own copy.
        raise ValidationError({"status": "An action ended with a transfer cannot be reported on here"})
    problems = {}
    if status == Action.Status.COMPLETED and not completed_on:
        problems["completed_on"] = "Enter the date the action was completed"
    if completed_on and completed_on > timezone.localdate():
        problems["completed_on"] = "The completion date cannot be in the future"
    elif completed_on and completed_on < _agreed_on(action):
        problems["completed_on"] = f"The completion date cannot be before the action was agreed, on {_agreed_on(action):%-d %B %Y}"
    if status == Action.Status.NOT_POSSIBLE and not not_possible_reason:
        problems["not_possible_reason"] = "Say why the action was not possible"
    if problems:
        raise ValidationError(problems)
    fields = {
        "status": status,
        "completed_on": completed_on if status == Action.Status.COMPLETED else None,
        "not_possible_reason": not_possible_reason if status == Action.Status.NOT_POSSIBLE else "",
        "outcome_note": note,
    }
    updated = Action.objects.filter(pk=action.pk, version=version).update(**fields, version=F("version") + 1, updated_at=timezone.now())
    if not updated:
        raise EditConflict(Action.objects.get(pk=action.pk))
    ActionUpdate.objects.create(action=action, status=status, note=note, reported_by=by)
    audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=action, marac=action.case.marac, summary=status)
    return Action.objects.get(pk=action.pk)


@transaction.atomic
def plan_confirm_safe(*, by, hearing, request=None):
    """The Idva confirms the plan is as safe as possible for the victim."""
    meeting = hearing.item.meeting
    _require(policy.can_confirm_plan_safe(by, meeting))
    hearing.idva_confirmed_at = timezone.now()
    hearing.idva_confirmed_by = by
    hearing.save(update_fields=["idva_confirmed_at", "idva_confirmed_by"])
    audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=hearing, marac=meeting.marac, summary="Idva confirmed the plan")
    return hearing


@transaction.atomic
def hearing_close(*, by, hearing, reason="", children_reason="", request=None):
    """Close the case for this meeting. Without the Idva's confirmation a reason is
    required and recorded; so is one when the case has children and the chair has not
    confirmed their number and dates of birth."""
    meeting = hearing.item.meeting
    _require(policy.can_record_hearing(by, meeting))
    require_day(meeting=meeting, operation=Operation.CLOSE)
    if hearing.proposals.filter(status=ActionProposal.Status.PROPOSED).exists():
        # A proposal left undecided would be an agency's offer nobody answered.
        raise ValidationError({"reason": "Accept or decline every action the agencies proposed before you close the case"})
    problems = {}
    if hearing.idva_confirmed_at is None and not reason.strip():
        problems["reason"] = "The Idva has not confirmed the plan is safe: record why the case is closed without it"
    children_unconfirmed = hearing.children_confirmed is None and hearing_children(hearing).exists()
    if children_unconfirmed and not children_reason.strip():
        problems["children_reason"] = (
            "The chair has not confirmed the number of children and their dates of birth: confirm them, "
            "or record why the case is closed without it"
        )
    if problems:
        raise ValidationError(problems)
    hearing.closed_at = timezone.now()
    hearing.closed_without_idva_reason = "" if hearing.idva_confirmed_at else reason
    hearing.children_unconfirmed_reason = children_reason.strip() if children_unconfirmed else ""
    hearing.save(update_fields=["closed_at", "closed_without_idva_reason", "children_unconfirmed_reason"])
    referral = hearing.item.referral
    referral.status = referral.Status.HEARD
    referral.heard_on = _meeting_date(hearing)
    referral.save(update_fields=["status", "heard_on"])
    case = referral.case
    case.last_heard_on = referral.heard_on
    case.save(update_fields=["last_heard_on"])
    audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=hearing, marac=meeting.marac, summary="Closed for the meeting")
    records_updates_create(by=by, hearing=hearing)
    tell_referrer(
        referral,
        subject="A referral you made has been heard",
        message=f"A referral you made to {meeting.marac.name} was heard on {referral.heard_on:%-d %B %Y}. Sign in to see the outcome for you.",
    )
    return hearing


def minutes_recipients(meeting):
    """Everyone who needs the minutes: each person who signed the declaration, and the
    representatives and Idvas of every agency that was present or sent apologies (an
    agency that sent apologies still has actions and must hear the plan)."""
    agency_ids = set(
        meeting.attendance.filter(status__in=[Attendance.Status.PRESENT, Attendance.Status.APOLOGIES], agency__isnull=False).values_list(
            "agency_id", flat=True
        )
    )
    users = {signature.user_id: signature.user for signature in meeting.signatures.select_related("user")}
    for user in users_with_role(meeting.marac, Role.REPRESENTATIVE, Role.IDVA, Role.COORDINATOR, Role.CHAIR):
        if user.agency_id in agency_ids:
            users.setdefault(user.pk, user)
    return list(users.values())


@transaction.atomic
def victim_told_record(*, by, hearing, told: bool, told_on=None, not_told_reason="", request=None):
    """The Idva records whether and when the victim was told of the plan, or why it was
    not safe (or possible) to tell them."""
    meeting = hearing.item.meeting
    _require(policy.can_confirm_plan_safe(by, meeting) or policy.has_role(by, meeting.marac, Role.COORDINATOR))
    problems = {}
    if hearing.closed_at is None:
        raise ValidationError("The case has not yet been closed for the meeting: there is no plan to tell the victim of.")
    if told and told_on is None:
        problems["told_on"] = "Enter the date the victim was told"
    elif told and not _meeting_date(hearing) <= told_on <= timezone.localdate():
        problems["told_on"] = "The date must be on or after the meeting, and not in the future"
    if not told and not (not_told_reason or "").strip():
        problems["not_told_reason"] = "Say why it was not safe, or not possible, to tell the victim"
    if problems:
        raise ValidationError(problems)
    hearing.victim_told_of_plan = told
    hearing.victim_told_on = told_on if told else None
    hearing.victim_not_told_reason = "" if told else not_told_reason.strip()
    hearing.victim_told_recorded_by = by
    hearing.victim_told_recorded_at = timezone.now()
    hearing.save(update_fields=["victim_told_of_plan", "victim_told_on", "victim_not_told_reason", "victim_told_recorded_by", "victim_told_recorded_at"])
    audit.record(
        action=audit.Action.CHANGED, actor=by, request=request, obj=hearing, marac=meeting.marac,
        summary="Victim told of the plan" if told else "Victim not told of the plan",
    )
    return hearing


@transaction.atomic
def action_propose(*, by, hearing, description, for_whom, due_on, kind=ActionKind.OTHER, owner_name="", request=None) -> ActionProposal:
    """An agency proposes an action of its own for a case in a round held in writing,
    before the closing date."""
    meeting = hearing.item.meeting
    _require(policy.can_propose_action(by, meeting, now=timezone.now()))
    problems = {}
    if hearing.closed_at:
        problems["description"] = "The chair has already agreed this case’s plan"
    if not description.strip():
        problems["description"] = "Say what your agency will do"
    if due_on < _meeting_date(hearing):
        problems["due_on"] = "The due date cannot be before the closing date"
    if kind == ActionKind.UPDATE_RECORDS:
        problems["kind"] = "Choose the kind of action"
    if problems:
        raise ValidationError(problems)
    proposal = ActionProposal.objects.create(
        hearing=hearing, agency=by.agency, kind=kind, description=description, for_whom=for_whom, due_on=due_on,
        owner_name=owner_name, proposed_by=by,
    )
    audit.record(action=audit.Action.CREATED, actor=by, request=request, obj=proposal, marac=meeting.marac, summary="Action proposed")
    return proposal


def _pending(proposal):
    locked = ActionProposal.objects.select_for_update().get(pk=proposal.pk)
    if locked.status != ActionProposal.Status.PROPOSED:
        raise ValidationError("This proposal has already been decided.")
    return locked


@transaction.atomic
def proposal_accept(*, by, proposal, description, due_on, owner_name="", children=(), request=None) -> Action:
    """The chair agrees a proposed action, as it stands or edited: it becomes an action
    of the plan, owned by the agency that proposed it."""
    hearing = proposal.hearing
    _require(policy.can_record_hearing(by, hearing.item.meeting))
    proposal = _pending(proposal)
    action = action_add(
        by=by, hearing=hearing, owner_agency=proposal.agency, description=description, for_whom=proposal.for_whom,
        due_on=due_on, kind=proposal.kind, owner_name=owner_name, children=children, request=request,
    )
    proposal.status, proposal.action, proposal.decided_by, proposal.decided_at = ActionProposal.Status.ACCEPTED, action, by, timezone.now()
    proposal.save(update_fields=["status", "action", "decided_by", "decided_at"])
    audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=proposal, marac=hearing.item.meeting.marac, summary="Proposal accepted")
    return action


@transaction.atomic
def proposal_decline(*, by, proposal, reason, request=None) -> ActionProposal:
    """The chair declines a proposed action; the reason is shown to the agency."""
    _require(policy.can_record_hearing(by, proposal.hearing.item.meeting))
    if not reason.strip():
        raise ValidationError({"reason": "Say why the action is declined: the agency sees it"})
    proposal = _pending(proposal)
    proposal.status, proposal.decline_reason, proposal.decided_by, proposal.decided_at = ActionProposal.Status.DECLINED, reason, by, timezone.now()
    proposal.save(update_fields=["status", "decline_reason", "decided_by", "decided_at"])
    audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=proposal, marac=proposal.hearing.item.meeting.marac, summary="Proposal declined")
    return proposal


def risk_escalated(*, score: int | None, previous_score: int | None, meets_escalation: bool) -> bool:
    """Whether the hearing records an escalation of risk: the referral met the potential
    escalation criterion (police-reported incidents), or its checklist score is higher
    than the score of the case's previous referral heard at Marac."""
    if meets_escalation:
        return True
    return score is not None and previous_score is not None and score > previous_score


def working_days_after(day: date, count: int) -> date:
    """The date `count` working days (Monday to Friday) after `day`."""
    while count:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def records_update_due(*, heard_on: date, escalated: bool) -> date:
    return heard_on + timedelta(days=1) if escalated else working_days_after(heard_on, RECORDS_UPDATE_WORKING_DAYS)


def _agencies_knowing(hearing):
    """Agencies that hold information on the case: they returned research with something
    in it for this meeting, or own or share an action agreed at the hearing."""
    from openmarac.accounts.models import Agency
    from openmarac.meetings.models import ResearchReturn

    item = hearing.item
    researched = ResearchReturn.objects.filter(
        meeting=item.meeting, referral=item.referral, returned_at__isnull=False, no_trace=False
    ).values("agency")
    acting = Action.objects.filter(hearing=hearing).exclude(kind=ActionKind.UPDATE_RECORDS)
    active = item.meeting.marac.agency_links.filter(is_active=True).values("agency")
    return (
        Agency.objects.filter(
            Q(pk__in=researched) | Q(pk__in=acting.values("owner_agency")) | Q(pk__in=acting.values("joint_agencies"))
        )
        .filter(pk__in=active)
        .order_by("name")
    )


def records_updates_create(*, by, hearing):
    """One "update our agency's records" action per agency that knows the case, made when
    the case is closed at the hearing (within hearing_close's transaction)."""
    referral = hearing.item.referral
    previous = (
        referral.case.referrals.filter(status=referral.Status.HEARD, checklist_score__isnull=False)
        .exclude(pk=referral.pk)
        .order_by("-heard_on", "-submitted_at")
        .first()
    )
    escalated = risk_escalated(
        score=referral.checklist_score,
        previous_score=previous.checklist_score if previous else None,
        meets_escalation=referral.meets_escalation,
    )
    heard_on = _meeting_date(hearing)
    due_on = records_update_due(heard_on=heard_on, escalated=escalated)
    description = (
        "The risk escalated: update your agency’s own systems (flags, alerts, case notes) within 24 hours of the hearing."
        if escalated
        else "Update your agency’s own systems (flags, alerts, case notes) with the outcome of the hearing."
    )
    made = []
    for agency in _agencies_knowing(hearing):
        if Action.objects.filter(hearing=hearing, kind=ActionKind.UPDATE_RECORDS, owner_agency=agency).exists():
            continue
        action = Action.objects.create(
            case=referral.case, hearing=hearing, kind=ActionKind.UPDATE_RECORDS, owner_agency=agency,
            description=description, for_whom=ForWhom.HOUSEHOLD, due_on=due_on, created_by=by,
        )
        ActionUpdate.objects.create(action=action, status=Action.Status.OPEN, note="Made when the case was closed at the hearing", reported_by=by)
        made.append(action)
    if made:
        audit.record(
            action=audit.Action.CREATED, actor=by, record_type="actions.action", marac=hearing.item.meeting.marac,
            summary=f"{len(made)} records updates{' (risk escalated)' if escalated else ''}",
        )
    return made


@transaction.atomic
def records_updated(*, by, action, version, request=None):
    """The agency ticks that it has updated its own records; who and when are kept in
    the action tracking record."""
    if action.kind != ActionKind.UPDATE_RECORDS:
        raise ValidationError("Only a records update can be ticked off like this.")
    return action_report(
        by=by, action=action, version=version, status=Action.Status.COMPLETED, note=RECORDS_UPDATE_NOTE,
        completed_on=timezone.localdate(), request=request,
    )


def action_reminders_send(*, today=None):
    """One reminder when an open action is due soon, and one when it becomes overdue,
    to the owning agency's representatives. Running it again sends nothing twice."""
    today = today or timezone.localdate()
    sent = 0
    due = Action.objects.filter(status=Action.Status.OPEN, due_on__lte=today + relativedelta(days=DUE_SOON_DAYS)).select_related(
        "case__marac", "owner_agency"
    )
    for action in due:
        kind = ActionReminder.Kind.OVERDUE if action.due_on < today else ActionReminder.Kind.DUE_SOON
        marac = action.case.marac
        sent += _remind_owning_agency_once(
            action,
            kind,
            today,
            subject=f"{marac.name}: an action is {'overdue' if kind == ActionReminder.Kind.OVERDUE else 'due soon'}",
            message=(
                f"An action {action.owner_agency} agreed at {marac.name} "
                f"{'was' if kind == ActionReminder.Kind.OVERDUE else 'is'} due on {action.due_on:%-d %B %Y}. "
                "Please report whether it is done."
            ),
        )
    return sent


def _remind_owning_agency_once(action, kind, today, *, subject, message):
    """Send one reminder of this kind to the owning agency's representatives and IDVAs,
    unless it went before: the unique reminder row is the record that it went.
    Returns 1 if sent, 0 if not."""
    _, created = ActionReminder.objects.get_or_create(action=action, kind=kind, defaults={"sent_on": today})
    if not created:
        return 0
    notify(
        users=users_with_role(action.case.marac, Role.REPRESENTATIVE, Role.IDVA, agency=action.owner_agency),
        subject=subject,
        message=message,
        path=reverse("actions:action", args=[action.pk]),
    )
    return 1


def _chase_recipients(marac, agency):
    """Who a chase reaches: the agency's representatives and Idvas. With nobody, the
    coordinator is told so rather than that a reminder went."""
    recipients = users_with_role(marac, Role.REPRESENTATIVE, Role.IDVA, agency=agency)
    if not recipients:
        raise ValidationError(f"{agency} has nobody to remind: no one there is a representative or Idva of {marac.name}. Add one under Users.")
    return recipients


def _chase_once(*, by, marac, agency, action=None):
    """The row that records a reminder sent by hand today; a second one the same day is
    refused, so agencies are not flooded."""
    today = timezone.localdate()
    _, created = ChaseReminder.objects.get_or_create(marac=marac, agency=agency, action=action, sent_on=today, defaults={"sent_by": by})
    if not created:
        raise ValidationError(f"{agency} was already reminded {'of this action ' if action else ''}today. You can remind them again tomorrow.")


@transaction.atomic
def action_chase(*, by, action: Action, request=None) -> None:
    """The coordinator reminds the owning agency of one open action. The email names no
    case and no person: only a link to the action."""
    marac = action.case.marac
    _require(policy.can_chase_actions(by, marac))
    if action.status != Action.Status.OPEN:
        raise ValidationError("Only an open action can be chased.")
    recipients = _chase_recipients(marac, action.owner_agency)
    _chase_once(by=by, marac=marac, agency=action.owner_agency, action=action)
    notify(
        users=recipients,
        subject=f"{marac.name}: the coordinator asks about an action",
        message=f"The {marac.name} coordinator asks {action.owner_agency} to report progress on an action due on {action.due_on:%-d %B %Y}.",
        path=reverse("actions:action", args=[action.pk]),
    )
    audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=action, marac=marac, summary=f"Reminder sent to {action.owner_agency}")


@transaction.atomic
def agency_chase(*, by, marac, agency, request=None) -> int:
    """The coordinator reminds an agency of all its open actions at once; the email
    links to the agency's action list. Returns how many actions are open."""
    _require(policy.can_chase_actions(by, marac))
    open_count = Action.objects.filter(case__marac=marac, owner_agency=agency, status=Action.Status.OPEN).count()
    if not open_count:
        raise ValidationError(f"{agency} has no open actions.")
    recipients = _chase_recipients(marac, agency)
    _chase_once(by=by, marac=marac, agency=agency)
    notify(
        users=recipients,
        subject=f"{marac.name}: the coordinator asks about your agency’s actions",
        message=f"The {marac.name} coordinator asks {agency} to report progress on its open actions.",
        path=reverse("actions:mine", args=[marac.slug]),
    )
    audit.record(
        action=audit.Action.CHANGED, actor=by, request=request, record_type="accounts.agency", record_id=str(agency.pk), marac=marac,
        summary=f"Reminder sent to {agency} about {open_count} open action{'s' if open_count != 1 else ''}",
    )
    return open_count


@transaction.atomic
def flag_removed_confirm(*, by, action, request=None):
    """The owning agency confirms it has taken the flag off its files: who and when,
    once. The coordinator may record it for them."""
    _require(action.kind == ActionKind.FLAG and policy.can_report_on_action(by, action))
    updated = Action.objects.filter(pk=action.pk, flag_removed_at__isnull=True).update(
        flag_removed_at=timezone.now(), flag_removed_by=by, version=F("version") + 1, updated_at=timezone.now()
    )
    if not updated:
        raise ValidationError("The flag has already been confirmed as removed.")
    ActionUpdate.objects.create(action=action, status=action.status, note="Flag removed from our files", reported_by=by)
    audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=action, marac=action.case.marac, summary="Flag removed from agency files")
    return Action.objects.get(pk=action.pk)


def flag_reminders_send(*, today=None):
    """A month before a flag's end and on the day (or at the first run after either, if
    the scheduler missed it), the owning agency is asked to take the flag off its files
    and confirm it. One reminder of each kind per flag, whatever the number of runs: the
    unique reminder row is the record that it went."""
    today = today or timezone.localdate()
    candidates = (
        Action.objects.filter(kind=ActionKind.FLAG, flag_removed_at__isnull=True, flag_expires_on__lte=flags.due_horizon(today))
        .exclude(status=Action.Status.TRANSFERRED)
        .select_related("case__marac", "owner_agency")
    )
    sent = 0
    for action in candidates:
        if action.flag_expires_on <= today:
            kind = ActionReminder.Kind.FLAG_DUE
        elif flags.month_before(action.flag_expires_on) <= today:
            kind = ActionReminder.Kind.FLAG_MONTH_BEFORE
        else:
            continue
        marac = action.case.marac
        ends = f"{action.flag_expires_on:%-d %B %Y}"
        sent += _remind_owning_agency_once(
            action,
            kind,
            today,
            subject=f"{marac.name}: a flag {'ends today' if kind == ActionReminder.Kind.FLAG_DUE else 'ends in a month'}",
            message=(
                f"A flag {action.owner_agency} placed on its files after a {marac.name} meeting "
                f"{'ends today' if kind == ActionReminder.Kind.FLAG_DUE else 'ends on ' + ends}"
                f"{' (' + ends + ')' if kind == ActionReminder.Kind.FLAG_DUE else ''}. "
                "Please take it off your files on that date and confirm it has been removed."
            ),
        )
    return sent


@transaction.atomic
def minutes_publish(*, by, meeting, request=None):
    """Publish the minutes and action plan, once the meeting has happened (or the
    coordinator recorded why sooner). Everyone who signed the declaration, and the
    representatives and Idvas of every agency present or that sent apologies, are told,
    with a link and no case content."""
    _require(policy.can_prepare_meetings(by, meeting.marac))
    if meeting.minutes_published_at:
        return meeting
    require_day(meeting=meeting, operation=Operation.MINUTES)
    meeting.minutes_published_at = timezone.now()
    meeting.save(update_fields=["minutes_published_at"])
    audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=meeting, marac=meeting.marac, summary="Minutes published")
    notify(
        users=minutes_recipients(meeting),
        subject=f"{meeting.marac.name}: minutes and action plan",
        message=(
            f"The minutes and action plan of the {meeting.marac.name} {meeting.title} are ready, "
            "with a summary of what your agency's frontline staff must know."
        ),
        path=reverse("actions:minutes", args=[meeting.public_id]),
    )
    return meeting


@transaction.atomic
def repeat_decision_record(*, by, hearing, kind, due_on, owner_agency, details="", owner_name="", request=None) -> RepeatDecision:
    """The chair records what is decided for a case at the repeat-alert threshold (for
    example a multi-agency risk management meeting, with its date and owner)."""
    meeting = hearing.item.meeting
    _require(policy.can_record_hearing(by, meeting))
    require_day(meeting=meeting, operation=Operation.HEAR)
    problems = {}
    if hasattr(hearing, "repeat_decision"):
        problems["kind"] = "A decision is already recorded for this hearing"
    if not meeting.marac.agency_links.filter(agency=owner_agency, is_active=True).exists():
        problems["owner_agency"] = "Choose one of this Marac’s agencies"
    if due_on < _meeting_date(hearing):
        problems["due_on"] = "The date cannot be before the meeting"
    if problems:
        raise ValidationError(problems)
    decision = RepeatDecision.objects.create(
        hearing=hearing, case=hearing.item.referral.case, kind=kind, details=details, due_on=due_on,
        owner_agency=owner_agency, owner_name=owner_name, recorded_by=by,
    )
    audit.record(action=audit.Action.CREATED, actor=by, request=request, obj=decision, marac=meeting.marac, summary="Repeat-alert decision")
    return decision


@transaction.atomic
def repeat_decision_done(*, by, decision, done_on, note="", request=None) -> RepeatDecision:
    """The decision has been carried out: the case stops showing it."""
    marac = decision.case.marac
    _require(policy.has_role(by, marac, *policy.ALL_CASES_ROLES))
    if decision.done_on:
        raise ValidationError({"done_on": "This decision is already recorded as done"})
    if done_on > timezone.localdate():
        raise ValidationError({"done_on": "The date cannot be in the future"})
    decision.done_on, decision.done_note, decision.done_by = done_on, note, by
    decision.save(update_fields=["done_on", "done_note", "done_by"])
    audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=decision, marac=marac, summary="Repeat-alert decision done")
    return decision
