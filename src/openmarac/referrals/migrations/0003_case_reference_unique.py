"""References become unique across the deployment and come from a counter that never
goes back.

Before this, the next number was the count of the Marac's cases, so a case transferred
out left a gap that the next referral filled with a number already in use. Any case
that shares its reference with an earlier case is given a new number here (the earlier
case keeps the reference that its minutes quote), and the change is written to the
audit trail, chained like every other event. Counters then start above the highest
number in use for each prefix and year."""

import re

from django.db import connection, migrations, models
from django.utils import timezone

REFERENCE = re.compile(r"^(?P<prefix>[A-Z0-9]{1,4}-\d{4}-)(?P<number>\d+)")
# The same lock the audit service takes to serialise appends to the chain.
CHAIN_LOCK_ID = 7_311_962
GENESIS_HASH = "0" * 64


def _prefix_of(case):
    match = REFERENCE.match(case.reference)
    if match:
        return match.group("prefix")
    return f"{case.marac.slug[:4].upper()}-{case.created_at.year}-"


def _highest_numbers(Case):
    highest = {}
    for reference in Case.objects.values_list("reference", flat=True).iterator():
        match = REFERENCE.match(reference)
        if match:
            prefix, number = match.group("prefix"), int(match.group("number"))
            highest[prefix] = max(highest.get(prefix, 0), number)
    return highest


def _append_audit_event(AuditEvent, **fields):
    # Migrations see the historical model, which has none of the real model's methods;
    # the hash is computed by the real model's function, so `verify-audit` checks it
    # exactly like any other row.
    from openmarac.audit.models import AuditEvent as CurrentAuditEvent

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_ID])
    event = AuditEvent(occurred_at=timezone.now(), **fields)
    last = AuditEvent.objects.order_by("-id").values_list("row_hash", flat=True).first()
    event.previous_hash = last or GENESIS_HASH
    event.row_hash = CurrentAuditEvent.compute_hash(event)
    event.save()


def repair_duplicate_references(apps, schema_editor=None):
    """Renumber every case whose reference an earlier case already holds; return the
    (case id, old reference, new reference) of each change."""
    Case = apps.get_model("referrals", "Case")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    highest = _highest_numbers(Case)
    seen = set()
    changes = []
    for case in Case.objects.select_related("marac").order_by("created_at", "id").iterator():
        if case.reference not in seen:
            seen.add(case.reference)
            continue
        prefix = _prefix_of(case)
        number = highest.get(prefix, 0) + 1
        while f"{prefix}{number:04d}" in seen or Case.objects.filter(reference=f"{prefix}{number:04d}").exists():
            number += 1
        highest[prefix] = number
        old, case.reference = case.reference, f"{prefix}{number:04d}"
        seen.add(case.reference)
        case.save(update_fields=["reference"])
        _append_audit_event(
            AuditEvent,
            action="changed",
            record_type="referrals.case",
            record_id=str(case.pk),
            marac_id=case.marac_id,
            summary=(
                f"Reference {old} was also held by an earlier case; this case is now {case.reference} "
                "so that each reference names one case"
            ),
        )
        changes.append((case.pk, old, case.reference))
    return changes


def start_counters(apps, schema_editor=None):
    Case = apps.get_model("referrals", "Case")
    ReferenceCounter = apps.get_model("referrals", "ReferenceCounter")
    for prefix, number in _highest_numbers(Case).items():
        ReferenceCounter.objects.update_or_create(prefix=prefix, defaults={"last_number": number})


def forwards(apps, schema_editor):
    repair_duplicate_references(apps, schema_editor)
    start_counters(apps, schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_marac_repeat_alert_count_marac_repeat_alert_months"),
        ("audit", "0002_append_only_trigger"),
        ("people", "0001_initial"),
        ("referrals", "0002_casetransfer"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReferenceCounter",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("prefix", models.CharField(max_length=24, unique=True)),
                ("last_number", models.PositiveIntegerField(default=0)),
            ],
        ),
        migrations.RemoveConstraint(model_name="case", name="unique_case_reference"),
        # Renumbering is not undone: the new references are in the audit trail.
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="case",
            constraint=models.UniqueConstraint(fields=("reference",), name="unique_case_reference_everywhere"),
        ),
    ]
