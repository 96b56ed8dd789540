"""The printable case list (WeasyPrint PDF) and calendars (ICS). Both go through the
same selectors as the pages, so sealed values stay out."""

from datetime import timedelta

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event
from weasyprint import HTML

from openmarac.core.provenance import produced_for


def case_list_pdf(*, meeting, entries, viewer):
    html = render_to_string(
        "meetings/case_list_pdf.html",
        {"meeting": meeting, "entries": entries, "viewer": viewer, "produced_for": produced_for(viewer)},
    )
    return HTML(string=html, base_url=str(settings.PROJECT_DIR)).write_pdf()


def _calendar(reader):
    calendar = Calendar()
    calendar.add("prodid", "-//OpenMarac//Marac calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("x-openmarac-produced-for", produced_for(reader))
    return calendar


def _event(uid, summary, start, end, meeting, reader):
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", start)
    event.add("dtend", end)
    # Titles carry no names: calendars are often shared or synced to phones.
    event.add("summary", summary)
    if meeting.location:
        event.add("location", meeting.location)
    link = settings.OPENMARAC_BASE_URL + reverse("meetings:meeting", args=[meeting.public_id])
    event.add("url", meeting.video_link or link)
    description = f"Case list (sign in to OpenMarac): {link}" + (f"\nVideo link: {meeting.video_link}" if meeting.video_link else "")
    # Calendar programs show the description but not the calendar's own properties.
    event.add("description", f"{description}\n{produced_for(reader)}")
    return event


def meeting_ics(meeting, case_count, *, reader):
    calendar = _calendar(reader)
    start = meeting.starts_at
    end = start + timedelta(minutes=meeting.minutes_per_case * (case_count + 1))
    kind = "closing date" if meeting.is_async else "meeting"
    calendar.add_component(_event(f"meeting-{meeting.public_id}@openmarac", f"{meeting.marac.name} {kind}", start, end, meeting, reader))
    return calendar.to_ical()


def slots_ics(marac, slots, *, reader):
    calendar = _calendar(reader)
    for meeting, entry, key_worker in slots:
        start = entry.slot.starts_at or meeting.starts_at
        end = entry.slot.ends_at or start
        summary = f"{marac.name}: case {entry.referral.case.reference} (slot {entry.slot.number})"
        if key_worker:
            summary += f", key worker {key_worker.full_name} invited"
        calendar.add_component(_event(f"slot-{entry.item.pk}-{meeting.public_id}@openmarac", summary, start, end, meeting, reader))
    return calendar.to_ical()
