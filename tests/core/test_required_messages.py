"""The message for a required field left empty is English whatever the label: a label
that is a question is quoted whole, not glued after "Choose the" or "Enter the" (the
walk-through found "Choose the are you referring on professional judgement?")."""

from django import forms

from openmarac.core.forms import GovukForm
from openmarac.referrals.forms import ConsentForm, JudgementForm, ReferralReasonsForm
from openmarac.risk.definitions import default_definition


class Questions(GovukForm):
    knows = forms.ChoiceField(label="Does the victim know about this referral?", choices=[("yes", "Yes"), ("no", "No")], widget=forms.RadioSelect)
    who = forms.CharField(label="Who is at risk?")
    what = forms.CharField(label="What was shared")
    authority = forms.CharField(label="On what authority")
    name = forms.CharField(label="Family name")
    agency = forms.ChoiceField(label="Owning agency", choices=[("", "Choose"), ("1", "Police")])
    email = forms.CharField(label="Your work email address")


def test_a_question_label_is_quoted_whole_and_a_plain_label_keeps_its_message():
    errors = Questions(data={}).errors
    assert errors["knows"] == ["Choose an answer to “Does the victim know about this referral?”"]
    assert errors["who"] == ["Answer “Who is at risk?”"]
    assert errors["what"] == ["Answer “What was shared”"]
    assert errors["authority"] == ["Answer “On what authority”"]
    assert errors["name"] == ["Enter the family name"]
    assert errors["agency"] == ["Choose the owning agency"]
    assert errors["email"] == ["Enter your work email address"]


def test_the_referral_pages_questions_are_asked_back_in_english():
    judgement = JudgementForm(data={}, definition=default_definition()).errors
    assert judgement["professional_judgement"] == ["Choose an answer to “Are you referring on professional judgement?”"]
    reasons = ReferralReasonsForm(data={}).errors
    assert reasons["reasons"] == ["Answer “Why are you referring this case?”"]
    consent = ConsentForm(data={}).errors
    assert consent["victim_aware"] == ["Choose an answer to “Does the victim know about this referral?”"]
    for message in [m for errors in (judgement, reasons, consent) for messages in errors.values() for m in messages]:
        assert not message.startswith(("Choose the ", "Enter the ")), message


def test_a_number_out_of_range_or_not_a_number_names_the_field():
    from openmarac.accounts.forms import MaracSettingsForm
    from openmarac.accounts.models import Marac

    class Numbers(GovukForm):
        minutes = forms.IntegerField(label="Minutes per case", min_value=1, max_value=60)
        kept = forms.IntegerField(label="Years", min_value=1, error_messages={"min_value": "Keep records for at least a year"})

    assert Numbers(data={"minutes": "0", "kept": "0"}).errors == {
        "minutes": ["Minutes per case must be 1 or more"], "kept": ["Keep records for at least a year"],
    }
    assert Numbers(data={"minutes": "61", "kept": "x"}).errors == {
        "minutes": ["Minutes per case must be 60 or less"], "kept": ["Years must be a whole number"],
    }
    # The Marac settings page, where a walk-through met Django's "Ensure this value…".
    errors = MaracSettingsForm(data={"minutes_per_case": "-1", "agency_check_hours": "99999"}, instance=Marac(name="x", slug="x")).errors
    assert errors["minutes_per_case"] == ["Minutes per case must be 0 or more"]
    assert not [m for messages in errors.values() for m in messages if m.startswith("Ensure")]


def test_an_error_a_service_adds_marks_its_field_as_one_the_form_found_does():
    from django.core.exceptions import ValidationError

    from openmarac.core.forms import apply_validation_error

    class Named(GovukForm):
        name = forms.CharField(label="Name", help_text="As on the tenancy")

    form = Named(data={"name": "Jo"})
    assert form.is_valid()
    apply_validation_error(form, ValidationError({"name": "Another Marac already has this name"}))
    html = str(form["name"])
    assert 'aria-describedby="id_name-hint id_name-error"' in html and "govuk-input--error" in html


class Hinted(GovukForm):
    reference = forms.CharField(label="Case reference", help_text="As on the case list", max_length=20)
    minutes = forms.IntegerField(label="Minutes per case", min_value=1)


class MoreHinted(Hinted):
    note = forms.CharField(label="Note", required=False)


def test_every_form_of_a_class_is_styled_alike_and_links_its_own_hint():
    """A form class's declared fields are styled once, before its first form: each
    form made after is styled as the first was, with the hint link of its own prefix,
    and a subclass sharing the fields is not styled twice."""
    first, second, sub = Hinted(prefix="a"), Hinted(prefix="b", data={"b-minutes": "0"}), MoreHinted(prefix="c")
    for form, prefix in ((first, "a"), (second, "b"), (sub, "c")):
        widget = form.fields["reference"].widget
        assert widget.attrs["class"] == "govuk-input"
        assert widget.attrs["aria-describedby"] == f"id_{prefix}-reference-hint"
        assert form.fields["reference"].error_messages["required"] == "Enter the case reference"
    assert second.errors["minutes"] == ["Minutes per case must be 1 or more"]
    assert second.errors["reference"] == ["Enter the case reference"]
    # The class's own fields carry no form's hint link: each form sets its own.
    assert "aria-describedby" not in Hinted.base_fields["reference"].widget.attrs
