"""The audit trail is append-only, so it must never hold personal data: summaries and
reasons carry ids, kinds and field names only."""

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from openmarac.audit.models import AuditEvent
from openmarac.records import bundle as bundles
from openmarac.records import services as record_services
from openmarac.referrals import transfer
from tests.conftest import sign_in
from tests.records.conftest import old_case  # noqa: F401 (fixture)


def test_no_personal_data_in_any_audit_row(marac, other_marac, staff, old_case):  # noqa: F811
    coordinator = staff["coordinator"]
    victim = old_case.case.victim
    record_services.person_correct(by=coordinator, person=victim, changes={"family_name": "Dunmore-Quillfeather", "date_of_birth": None}, reason="Zephyrine asked")
    sar = record_services.sar_record(by=coordinator, marac=marac, requester_name="Zephyrine Quillfeather", received_on=timezone.localdate())
    record_services.sar_link_person(by=coordinator, sar=sar, person=victim)
    bundles.subject_access_bundle(by=coordinator, sar=sar)
    transfer.case_bundle(by=coordinator, case=old_case.case)
    client = sign_in(Client(), coordinator)
    for url in (
        reverse("referrals:case", args=[old_case.case.public_id]),
        reverse("records:person-correct", args=[old_case.case.public_id, victim.pk]),
        reverse("records:sar", args=[sar.pk]) + "?q=Quillfeather",
        reverse("core:home"),
    ):
        assert client.get(url).status_code == 200
    texts = " ".join(
        " ".join(row) for row in AuditEvent.objects.values_list("summary", "reason", "record_id", "record_type", "user_agent")
    ).lower()
    assert AuditEvent.objects.count() > 20
    for secret in old_case.secrets + ["Dunmore-Quillfeather", "Zephyrine asked"]:
        assert secret.lower() not in texts, secret
