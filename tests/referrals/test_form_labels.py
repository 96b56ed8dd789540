"""A field that one answer makes required is never labelled "(optional)": the walk-through
found "Why not? (optional)" above "Required if the victim does not know"."""

import pytest
from django.template.loader import render_to_string

from openmarac.accounts.models import User
from openmarac.referrals import forms
from openmarac.risk.definitions import default_definition


def _labels(form):
    return render_to_string("includes/form_fields.html", {"form": form})


@pytest.mark.parametrize(
    ("form", "label"),
    [
        (lambda: forms.JudgementForm(definition=default_definition()), "Why do you believe the risk is high?"),
        (lambda: forms.ConsentForm(), "Why not?"),
        (lambda: forms.SharingForm(owners=User.objects.none()), "If yes, which protocol, and how it applies"),
        (lambda: forms.SharingForm(owners=User.objects.none()), "Legal grounds for sharing"),
        (lambda: forms.SharingForm(owners=User.objects.none()), "If other, what"),
        (lambda: forms.SharingForm(owners=User.objects.none()), "Date they were told"),
        (lambda: forms.SharingForm(owners=User.objects.none()), "Why have they not been told?"),
        (lambda: forms.ChildrenPromptForm(), "Notes"),
        (lambda: forms.TransferDecisionForm(), "Note for the sending coordinator"),
    ],
)
def test_a_conditionally_required_field_is_not_labelled_optional(db, form, label):
    html = _labels(form())
    assert label in html
    assert f"{label} (optional)" not in html


def test_a_truly_optional_field_still_says_so(db):
    assert "Whom is the victim afraid of? (optional)" in _labels(forms.ConsentForm())
