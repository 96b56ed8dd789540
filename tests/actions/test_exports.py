"""Every export says whose copy it is and when it was produced, and is audited."""

import subprocess

from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from openmarac.accounts.models import AgencyKind, Role
from openmarac.audit.models import AuditEvent
from openmarac.core.provenance import produced_for
from openmarac.meetings.models import DeclarationSignature

from ..conftest import sign_in
from ..factories import member


def test_minutes_pdf_names_its_reader_and_time_on_every_page_and_is_audited(tmp_path, client, staff, heard):
    hearing = heard()
    meeting = hearing.item.meeting
    chair = staff["chair"]
    DeclarationSignature.objects.create(meeting=meeting, user=chair, statement="x")
    sign_in(client, chair)
    moment = timezone.now().replace(second=0, microsecond=0)
    with freeze_time(moment):
        response = client.get(reverse("actions:minutes", args=[meeting.public_id]) + "?format=pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "minutes.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    line = produced_for(chair, at=moment)
    assert line.startswith(f"Produced for {chair.full_name} ({chair.agency}) on ")
    pages = max(text.count("\f"), 1)
    assert text.count(line) >= pages
    event = AuditEvent.objects.get(action="exported", actor=chair, summary="Minutes PDF")
    assert event.record_id == str(meeting.pk)


def test_the_reader_line_names_an_account_without_an_agency(db, marac):
    admin = member(marac, Role.COORDINATOR, agency_kind=AgencyKind.IDVA)
    admin.agency = None
    moment = timezone.make_aware(timezone.datetime(2026, 3, 5, 9, 7))
    assert produced_for(admin, at=moment) == f"Produced for {admin.full_name} on 5 March 2026 at 09:07"
