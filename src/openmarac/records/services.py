"""Writes for subject access and rectification. Each checks the actor's permission
itself and writes its audit row in the same transaction. Audit summaries name fields
and kinds, never a value: the audit trail is append-only and must hold no personal data."""

from datetime import date

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from openmarac.access import policy
from openmarac.audit import services as audit
from openmarac.people.models import Person
from openmarac.people.services import match_keys_refresh

from .models import Correction, SubjectAccessRequest


def due_on_for(received_on: date) -> date:
    """One calendar month after receipt (UK GDPR, Article 12(3)): the same day of the
    next month, or that month's last day when it has no such day (31 January gives
    28 or 29 February)."""
    return received_on + relativedelta(months=1)


@transaction.atomic
def sar_record(*, by, marac, received_on: date, person: Person | None = None, requester_name: str = "", note: str = "", request=None) -> SubjectAccessRequest:
    if not policy.can_handle_subject_access(by, marac):
        raise PermissionDenied
    errors = {}
    if person is None and not requester_name.strip():
        errors["requester_name"] = "Enter the name of the person asking, or choose their record"
    if person is not None and person.marac_id != marac.pk:
        errors["person"] = "Choose a person known to this Marac"
    if received_on > timezone.localdate():
        errors["received_on"] = "The date received must be today or in the past"
    if errors:
        raise ValidationError(errors)
    sar = SubjectAccessRequest.objects.create(
        marac=marac,
        person=person,
        requester_name=requester_name.strip(),
        received_on=received_on,
        due_on=due_on_for(received_on),
        note=note,
        created_by=by,
    )
    audit.record(action=audit.Action.CREATED, actor=by, request=request, obj=sar, marac=marac, summary="Subject access request recorded")
    return sar


@transaction.atomic
def sar_link_person(*, by, sar: SubjectAccessRequest, person: Person, request=None) -> SubjectAccessRequest:
    if not policy.can_handle_subject_access(by, sar.marac):
        raise PermissionDenied
    if person.marac_id != sar.marac_id:
        raise ValidationError({"person": "Choose a person known to this Marac"})
    sar.person = person
    sar.save(update_fields=["person"])
    audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=sar, marac=sar.marac, summary=f"Linked to person {person.pk}")
    return sar


@transaction.atomic
def sar_complete(*, by, sar: SubjectAccessRequest, completed_on: date, request=None) -> SubjectAccessRequest:
    if not policy.can_handle_subject_access(by, sar.marac):
        raise PermissionDenied
    if completed_on < sar.received_on or completed_on > timezone.localdate():
        raise ValidationError({"completed_on": "The date completed must be between the date received and today"})
    sar.completed_on = completed_on
    sar.completed_by = by
    sar.save(update_fields=["completed_on", "completed_by"])
    audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=sar, marac=sar.marac, summary="Completed")
    return sar


# Fields a coordinator may correct, in the order the form shows them.
CORRECTABLE_FIELDS = ("given_name", "family_name", "date_of_birth", "gender", "ethnicity", "language")


def _as_text(value):
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


@transaction.atomic
def person_correct(*, by, person: Person, changes: dict, reason: str, request=None) -> list[Correction]:
    """Correct a person's details. Each changed field is recorded with its old and new
    value, who and why; the audit row names the fields only."""
    if not policy.can_correct_person(by, person.marac):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError({"reason": "Enter why the details are being corrected"})
    unknown = set(changes) - set(CORRECTABLE_FIELDS)
    if unknown:
        raise ValidationError(f"These details cannot be corrected here: {', '.join(sorted(unknown))}")
    if "given_name" in changes and not str(changes["given_name"] or "").strip():
        raise ValidationError({"given_name": "Enter the first name"})
    person = Person.objects.select_for_update().get(pk=person.pk)
    corrections = []
    for name in CORRECTABLE_FIELDS:
        if name not in changes:
            continue
        old, new = getattr(person, name), changes[name]
        if isinstance(new, str):
            new = new.strip()
        if _as_text(old) == _as_text(new):
            continue
        corrections.append(Correction(person=person, field=name, old_value=_as_text(old), new_value=_as_text(new), reason=reason.strip(), corrected_by=by))
        setattr(person, name, new)
    if not corrections:
        raise ValidationError("Nothing was changed: change at least one detail, or go back")
    person.save(update_fields=[c.field for c in corrections])
    Correction.objects.bulk_create(corrections)
    if {c.field for c in corrections} & {"given_name", "family_name", "date_of_birth"}:
        match_keys_refresh(person)
    audit.record(
        action=audit.Action.CHANGED,
        actor=by,
        request=request,
        obj=person,
        marac=person.marac,
        summary="Corrected: " + ", ".join(c.field for c in corrections),
    )
    return corrections
