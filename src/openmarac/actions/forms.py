from datetime import date

from django import forms
from django.db.models.functions import TruncDate

from openmarac.core.forms import GovukForm, GovukSelect, date_field
from openmarac.meetings.models import RepeatDecision, Risk

from .models import Action, ActionKind, ForWhom

# Updating an agency's own records is made for every agency when the case closes, never
# volunteered on the hearing screen.
# Month names as `%B` writes them ("1 December 2026"), looked up rather than formatted
# for each of a couple of hundred meeting options.
_MONTHS = [None, *(date(2000, month, 1).strftime("%B") for month in range(1, 13))]
VOLUNTEERED_KINDS = [choice for choice in ActionKind.choices if choice[0] != ActionKind.UPDATE_RECORDS]


def child_label(person):
    """A child as a choice: "Lily Hartley (born 3 Apr 2019)", "Unborn Hartley (unborn, expected 03/2027)"."""
    return f"{person} ({person.birth_text})"


def _date(label, required=True, help_text=""):
    return date_field(label, required=required, help_text=help_text)


class HearingForm(GovukForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    victim_views = forms.CharField(label="The Idva’s account of the victim’s views, fears and priorities", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    minutes = forms.CharField(label="Minutes", required=False, widget=forms.Textarea(attrs={"rows": 8}))
    single_point_of_contact = forms.CharField(label="Single point of contact", max_length=200, required=False, help_text="Usually the Idva.")
    referrer_summary = forms.CharField(
        label="The outcome for the referrer", required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the Marac decided, for the person who referred the case to act on and pass to colleagues. No addresses.",
    )

    def hearing_fields(self):
        data = dict(self.cleaned_data)
        data.pop("version")
        return data


class RiskForm(GovukForm):
    who_at_risk = forms.CharField(label="Who is at risk", max_length=200)
    from_whom = forms.CharField(label="From whom", max_length=200)
    harm = forms.CharField(label="What harm", widget=forms.Textarea(attrs={"rows": 2}))
    likelihood = forms.ChoiceField(label="How likely", choices=Risk.Likelihood.choices, widget=forms.RadioSelect)
    to_staff = forms.BooleanField(label="A risk to agency staff (weapons, violence to professionals)", required=False)
    contributory_factors = forms.CharField(
        label="Contributory factors", required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What makes the harm more likely or worse, such as substance use, debt or a court date.",
    )
    protective_factors = forms.CharField(
        label="Protective factors", required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What keeps people safer, such as a supportive relative or a school that knows.",
    )


class ActionForm(GovukForm):
    kind = forms.ChoiceField(label="Kind of action", choices=VOLUNTEERED_KINDS, initial=ActionKind.OTHER)
    owner_agency = forms.ModelChoiceField(label="Owning agency", queryset=None, empty_label="Choose the agency")
    owner_name = forms.CharField(label="Named person", max_length=150, required=False)
    description = forms.CharField(label="What will be done", widget=forms.Textarea(attrs={"rows": 3}))
    # Said in full: from the label alone the error summary read "Choose the for whom" and
    # "Enter the due by" on the chair's screen.
    for_whom = forms.ChoiceField(
        label="For whom", choices=ForWhom.choices, widget=forms.RadioSelect, error_messages={"required": "Choose who the action is for"}
    )
    children = forms.ModelMultipleChoiceField(label="Which children", queryset=None, required=False, widget=forms.CheckboxSelectMultiple)
    risk = forms.ModelChoiceField(label="Risk it addresses", queryset=None, required=False, empty_label="Choose a risk")
    due_on = date_field("Due by", required=True, error_messages={"required": "Enter the date the action is due by"})
    joint_agencies = forms.ModelMultipleChoiceField(label="Joint with", queryset=None, required=False, widget=forms.CheckboxSelectMultiple)
    flag_expires_on = _date(
        "Flag expires on", required=False,
        help_text="For flags: leave empty for 12 months after the meeting. A later date is allowed; an earlier one needs a reason.",
    )
    flag_short_reason = forms.CharField(
        label="Why the flag can end sooner than 12 months after the meeting", required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only for a flag ending earlier than 12 months after the meeting.",
    )

    def __init__(self, *args, agencies, children, risks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_agency"].queryset = agencies
        self.fields["joint_agencies"].queryset = agencies
        self.fields["children"].queryset = children
        self.fields["children"].label_from_instance = child_label
        # Asked for in some cases only, so not marked "(optional)": the service decides.
        for name in ("children", "flag_short_reason"):
            self.fields[name].conditionally_required = True
        self.fields["risk"].queryset = risks

    reveals = {"for_whom": {ForWhom.CHILD: ["children"]}}


class ActionReportForm(GovukForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    # "Ended with the transfer" is set only by accepting a transfer, never reported.
    status = forms.ChoiceField(
        label="Status", choices=[c for c in Action.Status.choices if c[0] != Action.Status.TRANSFERRED], widget=forms.RadioSelect
    )
    completed_on = _date("Date completed", required=False)
    not_possible_reason = forms.ChoiceField(
        label="Why it was not possible", choices=Action.NotPossibleReason.choices, required=False, widget=forms.RadioSelect
    )
    note = forms.CharField(label="Update", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    # The date is asked for only under "Completed" and the reason only under "Not
    # possible"; the service requires each in its case.
    reveals = {"status": {Action.Status.COMPLETED: ["completed_on"], Action.Status.NOT_POSSIBLE: ["not_possible_reason"]}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("completed_on", "not_possible_reason"):
            self.fields[name].conditionally_required = True


class ChildrenConfirmForm(GovukForm):
    """The chair reiterates the number of children and their dates of birth."""

    confirmed = forms.TypedChoiceField(
        label="Are the number of children and their dates of birth as listed?",
        choices=[("yes", "Yes, confirmed as listed"), ("no", "No: the meeting corrected them")],
        coerce=lambda value: value == "yes", widget=forms.RadioSelect,
        error_messages={"required": "Say whether the children and their dates of birth are as listed"},
    )
    corrections = forms.CharField(
        label="What is different", required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: a fourth child, Sam, born 2 May 2021; Lily’s date of birth is 3 April 2019.",
    )
    reveals = {"confirmed": {"no": ["corrections"]}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["corrections"].conditionally_required = True


class CloseForm(GovukForm):
    reason = forms.CharField(
        label="If the Idva has not confirmed the plan: why close the case now", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    # Closing cannot be undone at the meeting: the chair confirms it, away from the plan.
    confirm = forms.BooleanField(
        label="The plan is agreed and the case can close", error_messages={"required": "Confirm that the plan is agreed and the case can close"}
    )
    children_reason = forms.CharField(
        label="The children’s details are not confirmed: why close the case now", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, hearing=None, children_listed=False, **kwargs):
        super().__init__(*args, **kwargs)
        # Each reason is asked for only when it is needed.
        if hearing is not None and hearing.idva_confirmed_at:
            del self.fields["reason"]
        if hearing is not None and (hearing.children_confirmed is not None or not children_listed):
            del self.fields["children_reason"]
        for field in self.fields.values():
            field.conditionally_required = True


class ProposalForm(GovukForm):
    """An agency's own proposed action in a round held in writing."""

    kind = forms.ChoiceField(label="Kind of action", choices=VOLUNTEERED_KINDS, initial=ActionKind.OTHER)
    description = forms.CharField(label="What your agency will do", widget=forms.Textarea(attrs={"rows": 3}))
    for_whom = forms.ChoiceField(label="For whom", choices=ForWhom.choices)
    due_on = _date("Due by")
    owner_name = forms.CharField(label="Named person", max_length=150, required=False)


class ProposalAcceptForm(GovukForm):
    """The chair's agreement, with the proposal's words and date to edit if needed."""

    description = forms.CharField(label="What will be done", widget=forms.Textarea(attrs={"rows": 3}))
    due_on = _date("Due by")
    owner_name = forms.CharField(label="Named person", max_length=150, required=False)
    children = forms.MultipleChoiceField(label="Which children (for an action for children)", required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, children, **kwargs):
        # `children` is a list read once for all the proposals on the page.
        super().__init__(*args, **kwargs)
        self._children = {str(child.pk): child for child in children}
        self.fields["children"].choices = [(pk, child_label(child)) for pk, child in self._children.items()]

    def clean_children(self):
        return [self._children[pk] for pk in self.cleaned_data["children"]]


class ProposalDeclineForm(GovukForm):
    reason = forms.CharField(label="Why the action is declined", widget=forms.Textarea(attrs={"rows": 2}))


class RepeatDecisionForm(GovukForm):
    """What the chair decides when a case reaches the repeat-alert threshold."""

    kind = forms.ChoiceField(label="What is decided", choices=RepeatDecision.Kind.choices, widget=forms.RadioSelect)
    details = forms.CharField(label="Details", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    due_on = _date("Held or done by")
    owner_agency = forms.ModelChoiceField(label="Agency that owns it", queryset=None, empty_label="Choose the agency")
    owner_name = forms.CharField(label="Named person", max_length=150, required=False)

    def __init__(self, *args, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_agency"].queryset = agencies


class RepeatDecisionDoneForm(GovukForm):
    decision = forms.IntegerField(widget=forms.HiddenInput)
    done_on = _date("Done on")
    note = forms.CharField(label="What happened", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ActionFilterForm(GovukForm):
    """Narrows the Marac's action list (a GET form: nothing typed is lost on error)."""

    agency = forms.ModelChoiceField(label="Agency", queryset=None, required=False, empty_label="Any agency", widget=GovukSelect)
    meeting = forms.ModelChoiceField(
        label="Agreed at", queryset=None, required=False, empty_label="Any meeting", to_field_name="public_id", widget=GovukSelect
    )
    status = forms.ChoiceField(label="Status", choices=[("", "Any status"), *Action.Status.choices], required=False, widget=GovukSelect)
    due_from = _date("Due on or after", required=False)
    due_to = _date("Due on or before", required=False)

    def __init__(self, *args, agencies, meetings, meeting_options=None, agency_options=None, **kwargs):
        """`meeting_options`: (public id, day) of each of `meetings`, in order, when the
        caller has read them (`selectors.action_list_reads`); else read here.
        `agency_options`: (id, name) of each of `agencies`, in order, likewise; or set
        both later (`set_options`), once read with the list's other reads."""
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies
        self.fields["meeting"].queryset = meetings
        if meeting_options is None:
            meeting_options = meetings.annotate(day=TruncDate("starts_at")).values_list("public_id", "day")
        self.set_options(meeting_options=meeting_options, agency_options=agency_options)

    def set_options(self, *, meeting_options, agency_options=None):
        """The options from two values a meeting (its day in the current time zone, as
        `timezone.localtime` gives it, from the database) and an agency (its key and
        name, as the field labels an agency), not from an instance each as the field
        would make them (two years of meetings, a couple of hundred): the querysets still
        decide what may be chosen, as they did."""
        # Given to the widgets, which draw them: the fields check a choice against their
        # querysets, never these, and setting a field's choices would check the couple
        # of hundred pairs once for the field and again for its widget.
        meeting = self.fields["meeting"]
        meeting.widget.choices = [("", meeting.empty_label), *((str(public_id), f"{day.day} {_MONTHS[day.month]} {day.year}") for public_id, day in meeting_options)]
        if agency_options is not None:
            agency = self.fields["agency"]
            agency.widget.choices = [("", agency.empty_label), *((str(pk), name) for pk, name in agency_options)]

    def filters(self):
        """The selector's keyword arguments; an invalid filter is left out (and shown)."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}


class VictimToldForm(GovukForm):
    told = forms.ChoiceField(
        label="Has the victim been told of the plan?",
        choices=[("yes", "Yes"), ("no", "No: it was not safe, or not possible")],
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the victim has been told of the plan"},
    )
    told_on = date_field("Date the victim was told")
    not_told_reason = forms.CharField(
        label="Why it was not safe, or not possible, to tell them", required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: the perpetrator is living at the address and reads her messages.",
    )

    def service_fields(self):
        data = self.cleaned_data
        return {"told": data["told"] == "yes", "told_on": data.get("told_on"), "not_told_reason": data.get("not_told_reason", "")}
