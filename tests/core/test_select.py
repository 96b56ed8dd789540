"""GovukSelect draws in Python what Django's select templates draw: the same markup
(apart from blank lines between the options), the same escaping."""

import re

from django import forms
from hypothesis import given
from hypothesis import strategies as st

from openmarac.core.forms import GovukSelect

CHOICES = [("", "Any"), ("A & B", [("x<", "<x>"), ("y", '"y"')]), ("z", "Zoë’s")]


def _same(choices, value, attrs):
    def drawn(widget_class):
        widget = widget_class(attrs=attrs, choices=choices)
        return re.sub(r">\s+<", "><", widget.render("pick", value, {"id": "id_pick"}))

    return drawn(GovukSelect) == drawn(forms.Select)


def test_markup_and_escaping_are_djangos():
    assert _same(CHOICES, "y", {"class": "govuk-select govuk-select--error", "aria-invalid": "true", "disabled": True, "data-note": 'a"b'})
    html = GovukSelect(choices=CHOICES).render("pick", "x<", {"id": "id_pick"})
    assert '<optgroup label="A &amp; B">' in html and '<option value="x&lt;" selected>&lt;x&gt;</option>' in html


@given(
    labels=st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=6, unique=True),
    chosen=st.integers(min_value=0, max_value=5),
)
def test_any_labels_and_choice_draw_as_django_draws_them(labels, chosen):
    choices = [(str(i), label) for i, label in enumerate(labels)]
    assert _same(choices, str(chosen), {"class": "govuk-select"})
