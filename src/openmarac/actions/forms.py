from django import forms

from openmarac.core.forms import GovukForm
from openmarac.meetings.models import Risk

from .models import Action, ActionKind, ForWhom

# Updating an agency's own records is made for every agency when the case closes, never
# volunteered on the hearing screen.
VOLUNTEERED_KINDS = [choice for choice in ActionKind.choices if choice[0] != ActionKind.UPDATE_RECORDS]


def _date(label, required=True, help_text=""):
    return forms.DateField(
        label=label, required=required, help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date", "class": "govuk-input--width-10"}, format="%Y-%m-%d"),
    )


class HearingForm(GovukForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    children_confirmed = forms.ChoiceField(
        label="The number of children and their dates of birth are confirmed",
        choices=[("", "Not yet"), ("yes", "Yes, as listed"), ("no", "No: corrections below")],
        required=False,
    )
    children_corrections = forms.CharField(label="Corrections to the children’s details", required=False, widget=forms.Textarea(attrs={"rows": 2}))
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
        data["children_confirmed"] = {"yes": True, "no": False}.get(data["children_confirmed"])
        return data


class RiskForm(GovukForm):
    who_at_risk = forms.CharField(label="Who is at risk", max_length=200)
    from_whom = forms.CharField(label="From whom", max_length=200)
    harm = forms.CharField(label="What harm", widget=forms.Textarea(attrs={"rows": 2}))
    likelihood = forms.ChoiceField(label="How likely", choices=Risk.Likelihood.choices, widget=forms.RadioSelect)
    to_staff = forms.BooleanField(label="A risk to agency staff (weapons, violence to professionals)", required=False)


class ActionForm(GovukForm):
    kind = forms.ChoiceField(label="Kind of action", choices=VOLUNTEERED_KINDS, initial=ActionKind.OTHER)
    owner_agency = forms.ModelChoiceField(label="Owning agency", queryset=None, empty_label="Choose the agency")
    owner_name = forms.CharField(label="Named person", max_length=150, required=False)
    description = forms.CharField(label="What will be done", widget=forms.Textarea(attrs={"rows": 3}))
    for_whom = forms.ChoiceField(label="For whom", choices=ForWhom.choices, widget=forms.RadioSelect)
    child = forms.ModelChoiceField(label="Which child", queryset=None, required=False, empty_label="Not for a child")
    risk = forms.ModelChoiceField(label="Risk it addresses", queryset=None, required=False, empty_label="Choose a risk")
    due_on = _date("Due by")
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
        self.fields["child"].queryset = children
        self.fields["child"].label_from_instance = lambda person: f"{person} (born {person.date_of_birth:%-d %b %Y})" if person.date_of_birth else str(person)
        self.fields["risk"].queryset = risks


class ActionReportForm(GovukForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    # "Ended with the transfer" is set only by accepting a transfer, never reported.
    status = forms.ChoiceField(
        label="Status", choices=[c for c in Action.Status.choices if c[0] != Action.Status.TRANSFERRED], widget=forms.RadioSelect
    )
    completed_on = _date("Date completed", required=False)
    not_possible_reason = forms.ChoiceField(
        label="If not possible, why", choices=[("", "Choose a reason")] + Action.NotPossibleReason.choices, required=False
    )
    note = forms.CharField(label="Update", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class CloseForm(GovukForm):
    reason = forms.CharField(
        label="If the Idva has not confirmed the plan: why close the case now", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ProposalForm(GovukForm):
    """An agency's own proposed action in a round held in writing."""

    kind = forms.ChoiceField(label="Kind of action", choices=VOLUNTEERED_KINDS, initial=ActionKind.OTHER)
    description = forms.CharField(label="What your agency will do", widget=forms.Textarea(attrs={"rows": 3}))
    for_whom = forms.ChoiceField(label="For whom", choices=ForWhom.choices)
    due_on = _date("Due by")
    owner_name = forms.CharField(label="Named person (optional)", max_length=150, required=False)


class ProposalAcceptForm(GovukForm):
    """The chair's agreement, with the proposal's words and date to edit if needed."""

    description = forms.CharField(label="What will be done", widget=forms.Textarea(attrs={"rows": 3}))
    due_on = _date("Due by")
    owner_name = forms.CharField(label="Named person (optional)", max_length=150, required=False)
    child = forms.ChoiceField(label="Which child (for an action for a child)", required=False)

    def __init__(self, *args, children, **kwargs):
        # `children` is a list read once for all the proposals on the page.
        super().__init__(*args, **kwargs)
        self._children = {str(child.pk): child for child in children}
        self.fields["child"].choices = [("", "Not for a child")] + [(pk, str(child)) for pk, child in self._children.items()]

    def clean_child(self):
        return self._children.get(self.cleaned_data["child"])


class ProposalDeclineForm(GovukForm):
    reason = forms.CharField(label="Why the action is declined", widget=forms.Textarea(attrs={"rows": 2}))


class VictimToldForm(GovukForm):
    told = forms.ChoiceField(
        label="Has the victim been told of the plan?",
        choices=[("yes", "Yes"), ("no", "No: it was not safe, or not possible")],
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the victim has been told of the plan"},
    )
    told_on = forms.DateField(
        label="Date the victim was told", required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "govuk-input--width-10"}, format="%Y-%m-%d"),
    )
    not_told_reason = forms.CharField(
        label="Why it was not safe, or not possible, to tell them", required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: the perpetrator is living at the address and reads her messages.",
    )

    def service_fields(self):
        data = self.cleaned_data
        return {"told": data["told"] == "yes", "told_on": data.get("told_on"), "not_told_reason": data.get("not_told_reason", "")}
