"""Writes for the meeting's record of a case and its action plan. Two people editing
the same thing never silently overwrite each other: each edit names the version it
started from, and a stale one raises EditConflict with the current record."""

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from openmarac.access import policy
from openmarac.accounts.models import Role
from openmarac.accounts.selectors import users_with_role
from openmarac.audit import services as audit
from openmarac.meetings.models import Hearing, Risk
from openmarac.notifications.services import notify

from . import flags
from .models import Action, ActionKind, ActionReminder, ActionUpdate

FLAG_MONTHS = flags.FLAG_MONTHS
DUE_SOON_DAYS = 3


class EditConflict(Exception):
    """Someone else saved first. `current` is the record as it now stands."""

    def __init__(self, current):
        super().__init__("Someone else changed this while you were editing.")
        self.current = current


def _require(allowed):
    if not allowed:
        raise PermissionDenied


def hearing_for(item):
    hearing, _ = Hearing.objects.get_or_create(item=item)
    return hearing


HEARING_FIELDS = {"minutes", "victim_views", "single_point_of_contact", "children_confirmed", "children_corrections"}


@transaction.atomic
def hearing_save(*, by, hearing, version, request=None, **fields):
    meeting = hearing.item.meeting
    _require(policy.can_record_hearing(by, meeting) or (set(fields) <= {"victim_views"} and policy.can_confirm_plan_safe(by, meeting)))
    unknown = set(fields) - HEARING_FIELDS
    if unknown:
        raise ValueError(f"Not hearing fields: {unknown}")
    if hearing.closed_at:
        raise ValidationError("This case has been closed for the meeting.")
    updated = Hearing.objects.filter(pk=hearing.pk, version=version).update(
        **fields, version=F("version") + 1, updated_by=by, updated_at=timezone.now()
    )
    if not updated:
        raise EditConflict(Hearing.objects.get(pk=hearing.pk))
    audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=hearing, marac=meeting.marac, summary=", ".join(sorted(fields)))
    return Hearing.objects.get(pk=hearing.pk)


@transaction.atomic
def risk_add(*, by, hearing, request=None, **fields):
    _require(policy.can_record_hearing(by, hearing.item.meeting))
    risk = Risk.objects.create(hearing=hearing, **fields)
    audit.record(action=audit.Action.CREATED, actor=by, request=request, obj=risk, marac=hearing.item.meeting.marac)
    return risk


def _meeting_date(hearing):
    return timezone.localtime(hearing.item.meeting.starts_at).date()


@transaction.atomic
def action_add(*, by, hearing, owner_agency, description, for_whom, due_on, kind=ActionKind.OTHER, owner_name="",
               child=None, risk=None, joint_agencies=(), flag_expires_on=None, flag_short_reason="", request=None):
    """An action an agency volunteered. Every action is SMART: one owning agency, what,
    for whom and by when."""
    meeting = hearing.item.meeting
    _require(policy.can_record_hearing(by, meeting))
    case = hearing.item.referral.case
    if case.marac_id != meeting.marac_id:
        # The case has since moved to another Marac: its actions are agreed there now.
        raise ValidationError("This case has moved to another Marac: actions for it are agreed there.")
    problems = {}
    if not meeting.marac.agency_links.filter(agency=owner_agency, is_active=True).exists():
        problems["owner_agency"] = "Choose one of this Marac’s agencies"
    if due_on < _meeting_date(hearing):
        problems["due_on"] = "The due date cannot be before the meeting"
    if for_whom == "child" and child is None:
        problems["child"] = "Choose which child"
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
        description=description, for_whom=for_whom, child=child, risk=risk, due_on=due_on, flag_expires_on=flag_expires_on,
        flag_short_reason=flag_short_reason, created_by=by,
    )
    action.joint_agencies.set(joint_agencies)
    ActionUpdate.objects.create(action=action, status=Action.Status.OPEN, note="Agreed at the meeting", reported_by=by)
    audit.record(action=audit.Action.CREATED, actor=by, request=request, obj=action, marac=meeting.marac)
    return action


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
def hearing_close(*, by, hearing, reason="", request=None):
    """Close the case for this meeting. Without the Idva's confirmation a reason is
    required and recorded."""
    meeting = hearing.item.meeting
    _require(policy.can_record_hearing(by, meeting))
    if hearing.idva_confirmed_at is None and not reason.strip():
        raise ValidationError({"reason": "The Idva has not confirmed the plan is safe: record why the case is closed without it"})
    hearing.closed_at = timezone.now()
    hearing.closed_without_idva_reason = "" if hearing.idva_confirmed_at else reason
    hearing.save(update_fields=["closed_at", "closed_without_idva_reason"])
    referral = hearing.item.referral
    referral.status = referral.Status.HEARD
    referral.heard_on = _meeting_date(hearing)
    referral.save(update_fields=["status", "heard_on"])
    case = referral.case
    case.last_heard_on = referral.heard_on
    case.save(update_fields=["last_heard_on"])
    audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=hearing, marac=meeting.marac, summary="Closed for the meeting")
    return hearing


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
        _, created = ActionReminder.objects.get_or_create(action=action, kind=kind, defaults={"sent_on": today})
        if not created:
            continue
        marac = action.case.marac
        notify(
            users=users_with_role(marac, Role.REPRESENTATIVE, Role.IDVA, agency=action.owner_agency),
            subject=f"{marac.name}: an action is {'overdue' if kind == ActionReminder.Kind.OVERDUE else 'due soon'}",
            message=(
                f"An action {action.owner_agency} agreed at {marac.name} "
                f"{'was' if kind == ActionReminder.Kind.OVERDUE else 'is'} due on {action.due_on:%-d %B %Y}. "
                "Please report whether it is done."
            ),
            path=reverse("actions:action", args=[action.pk]),
        )
        sent += 1
    return sent


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
        _, created = ActionReminder.objects.get_or_create(action=action, kind=kind, defaults={"sent_on": today})
        if not created:
            continue
        marac = action.case.marac
        ends = f"{action.flag_expires_on:%-d %B %Y}"
        notify(
            users=users_with_role(marac, Role.REPRESENTATIVE, Role.IDVA, agency=action.owner_agency),
            subject=f"{marac.name}: a flag {'ends today' if kind == ActionReminder.Kind.FLAG_DUE else 'ends in a month'}",
            message=(
                f"A flag {action.owner_agency} placed on its files after a {marac.name} meeting "
                f"{'ends today' if kind == ActionReminder.Kind.FLAG_DUE else 'ends on ' + ends}"
                f"{' (' + ends + ')' if kind == ActionReminder.Kind.FLAG_DUE else ''}. "
                "Please take it off your files on that date and confirm it has been removed."
            ),
            path=reverse("actions:action", args=[action.pk]),
        )
        sent += 1
    return sent
