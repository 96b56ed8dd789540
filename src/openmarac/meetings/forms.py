from django import forms
from django.utils import timezone

from openmarac.core.forms import GovukForm, GovukModelForm, date_field, datetime_field, time_field

from openmarac.accounts.models import Marac

from .dates import Operation
from . import listing
from .models import Attendance, MeetingMode, MeetingSchedule, ResearchReturn


def _datetime(label, help_text=""):
    return datetime_field(label, help_text=help_text)


class GenerateForm(GovukForm):
    """Adding meetings from the pattern: from which date, and what to do with a bank
    holiday of the Marac's nation."""

    first_on = date_field(
        "Date of the first new meeting", help_text="Suggested from the pattern. Meetings are added from this date up to the pattern’s horizon."
    )
    on_holiday = forms.ChoiceField(
        label="When a meeting falls on a bank holiday", choices=listing.ON_HOLIDAY_CHOICES, initial="move", widget=forms.RadioSelect, required=False
    )


class ScheduleForm(GovukModelForm):
    """The whole meeting pattern in one place: how often (a Marac setting, saved on the
    Marac), which day, when, where, and the first date (which fixes the fortnight)."""

    meeting_cadence = forms.ChoiceField(label="How often meetings are held", widget=forms.RadioSelect, choices=Marac.Cadence.choices)
    video_link = forms.URLField(label="Video link", required=False, assume_scheme="https")
    start_time = time_field("Start time", required=True, help_text="24-hour clock: for 2:30pm enter hour 14 and minute 30.")
    first_meeting_on = date_field(
        "Date of the first meeting",
        help_text="For fortnightly meetings this sets which fortnight they fall in. It must be on the day of the week chosen.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting_cadence"].initial = self.instance.marac.meeting_cadence

    class Meta:
        model = MeetingSchedule
        fields = [
            "meeting_cadence", "weekday", "start_time", "first_meeting_on", "location", "video_link", "capacity", "mode",
            "research_deadline_working_days", "research_visible_before_meeting", "confidentiality_statement", "weeks_ahead",
        ]
        widgets = {
            "weekday": forms.RadioSelect,
            "mode": forms.RadioSelect,
            "confidentiality_statement": forms.Textarea(attrs={"rows": 5}),
        }
        labels = {"weekday": "Day of the week", "mode": "How cases are coordinated", "location": "Venue"}


class MeetingAddForm(GovukForm):
    starts_at = _datetime("Date and time", help_text="The time is 24-hour, for example 14:30. For asynchronous coordination, the closing date and time.")
    mode = forms.ChoiceField(label="Kind", choices=MeetingMode.choices, widget=forms.RadioSelect, initial=MeetingMode.MEETING)
    location = forms.CharField(label="Place", max_length=200, required=False)
    video_link = forms.URLField(label="Video link", required=False, assume_scheme="https")
    capacity = forms.IntegerField(label="Most cases", min_value=1, max_value=100, required=False, widget=forms.NumberInput(attrs={"class": "govuk-input--width-3"}))

    def clean_starts_at(self):
        value = self.cleaned_data["starts_at"]
        if value <= timezone.now():
            raise forms.ValidationError("The meeting must be in the future")
        return value


class MeetingChangeForm(GovukForm):
    action = forms.ChoiceField(label="What do you want to do?", choices=[("move", "Move the meeting"), ("cancel", "Cancel the meeting")], widget=forms.RadioSelect)
    starts_at = datetime_field("New date and time", required=False, help_text="Only when moving the meeting. The time is 24-hour, for example 14:30.")
    note = forms.CharField(label="Reason, as agencies will be told", widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self):
        data = super().clean()
        if data.get("action") == "move" and not data.get("starts_at"):
            self.add_error("starts_at", "Enter the new date and time")
        return data


class MoveItemForm(GovukForm):
    meeting = forms.ModelChoiceField(label="Move to meeting", queryset=None, empty_label="Choose a meeting")

    def __init__(self, *args, meetings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = meetings


class ResearchForm(GovukModelForm):
    # The version of the return this form shows (0: none yet), so a colleague's save in
    # between is caught instead of overwritten.
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    class Meta:
        model = ResearchReturn
        fields = [
            "details_correct", "corrections", "last_contact", "recent_behaviour", "risk_information", "actions_taken",
            "victim_priorities", "victim_fears", "safe_and_unsafe_people", "about_children", "facts", "professional_opinion",
        ]
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in fields if name != "details_correct"}
        widgets["details_correct"] = forms.RadioSelect
        labels = {
            "details_correct": "Are the victim’s, children’s and perpetrator’s details on the case list correct?",
            "corrections": "Corrections (other names, dates of birth, addresses)",
            "last_contact": "Your agency’s last contact, with whom and when",
            "recent_behaviour": "Recent attitude and behaviour (victim and perpetrator)",
            "risk_information": "Information relevant to the risk factors",
            "actions_taken": "Actions your agency has already taken",
            "victim_priorities": "The victim’s priorities",
            "victim_fears": "The victim’s fears",
            "safe_and_unsafe_people": "People it is safe and not safe to talk to",
            "about_children": "What your agency knows about each child (name the child)",
            "facts": "Facts (what your records show)",
            "professional_opinion": "Professional opinion (your assessment, marked as opinion)",
        }

    # The form in the order a representative checks the case-list entry: the people
    # first, then what the agency has done and thinks.
    SECTIONS = [
        ("The victim", ["details_correct", "corrections", "last_contact", "victim_priorities", "victim_fears", "safe_and_unsafe_people"]),
        ("The perpetrator", ["recent_behaviour", "risk_information"]),
        ("The children", ["about_children"]),
        ("Your agency’s record", ["actions_taken", "facts", "professional_opinion"]),
    ]

    def sections(self):
        """(title, bound fields) in the order above; the children's section only when
        the case has children."""
        return [(title, [self[name] for name in names]) for title, names in self.SECTIONS if names != ["about_children"] or self.has_children]

    def __init__(self, *args, has_children=True, returning=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_children = has_children
        self.returning = returning
        self.fields["details_correct"].choices = ResearchReturn.DetailsCorrect.choices
        self.fields["details_correct"].required = False
        self.fields["version"].initial = self.instance.version if self.instance.pk else 0

    def clean(self):
        data = super().clean()
        # Returning an empty form would show the agency's research as "Returned" in the
        # grid with nothing in it; an agency that holds nothing records "no trace".
        if self.returning and not any(data.get(name) for name in self.Meta.fields):
            raise forms.ValidationError("Write what your agency holds on this case before returning it, or record “no trace” below")
        return data


class AttendanceRowForm(GovukForm):
    status = forms.ChoiceField(label="Attendance", choices=[("", "Not recorded")] + Attendance.Status.choices, required=False)
    name = forms.CharField(label="Who attended", max_length=150, required=False)
    information_sent_in_advance = forms.ChoiceField(
        label="If apologies: information sent in advance?", choices=[("", "Not recorded"), ("yes", "Yes"), ("no", "No")], required=False
    )
    arrived_at = time_field("Arrived late at", help_text="24-hour clock, for example hour 10 and minute 15.")
    left_at = time_field("Left early at", help_text="24-hour clock, for example hour 12 and minute 40.")

    def clean(self):
        data = super().clean()
        if data.get("information_sent_in_advance") and data.get("status") != Attendance.Status.APOLOGIES:
            self.add_error("information_sent_in_advance", "Only record this for an agency that sent apologies")
        return data


class ObserverForm(GovukForm):
    observer_name = forms.CharField(label="Observer’s name and role", max_length=150)
    observer_signed = forms.BooleanField(label="Signed the confidentiality declaration", required=False)


class DelegationForm(GovukForm):
    """Hand one case's research to the key worker: a colleague of the same agency."""

    delegate = forms.ChoiceField(label="Colleague who knows the family")
    invited_to_slot = forms.BooleanField(label="Invite them to the meeting for this case’s slot", required=False)

    def __init__(self, *args, colleagues, has_slots=True, **kwargs):
        # `colleagues` is a list read once for the whole research list, so the page's
        # queries do not grow with its cases.
        super().__init__(*args, **kwargs)
        if not has_slots:
            # A round held in writing has no slot to be invited to.
            del self.fields["invited_to_slot"]
        self._colleagues = {str(user.pk): user for user in colleagues}
        self.fields["delegate"].choices = [("", "Choose a colleague")] + [
            (pk, f"{user.full_name} ({user.job_title})" if user.job_title else user.full_name) for pk, user in self._colleagues.items()
        ]

    def clean_delegate(self):
        return self._colleagues[self.cleaned_data["delegate"]]


class DateOverrideForm(GovukForm):
    """Why steps of a meeting go ahead before their day (meetings/dates.py)."""

    # Said in full: the page shows both in one banner, where the messages made from the
    # labels ran together as "Choose an answer to “What goes ahead early” Answer “Why”".
    operations = forms.MultipleChoiceField(
        label="What goes ahead early", widget=forms.CheckboxSelectMultiple, error_messages={"required": "Choose the steps that go ahead early"}
    )
    reason = forms.CharField(label="Why", widget=forms.Textarea(attrs={"rows": 2}), error_messages={"required": "Say why they go ahead early"})

    def __init__(self, *args, operations=tuple(Operation), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operations"].choices = [(operation.value, operation.label.capitalize()) for operation in operations]
