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


class _GovukSelectMultiple(GovukSelect):
    allow_multiple_selected = True


@given(
    labels=st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=6, unique=True),
    chosen=st.lists(st.integers(min_value=0, max_value=7), max_size=3),
    grouped=st.booleans(),
    group_name=st.sampled_from(["", "Group & co", None]),
)
def test_selection_groups_and_empty_values_are_djangos(labels, chosen, grouped, group_name):
    """Which options are selected (the first matching for a select, every one for a
    multiple select), a group without a name, an option whose value is None."""
    choices = [(None, "None"), *((str(i), label) for i, label in enumerate(labels))]
    if grouped:
        choices = [choices[0], (group_name, choices[1:])]
    value = [str(i) for i in chosen]
    for ours, djangos in ((GovukSelect, forms.Select), (_GovukSelectMultiple, forms.SelectMultiple)):
        def drawn(widget_class):
            return re.sub(r">\s+<", "><", widget_class(choices=choices).render("pick", value if ours is _GovukSelectMultiple else (value[:1] or None), {"id": "id_pick"}))

        assert drawn(ours) == drawn(djangos)
    # The same value twice in a select: only the first is selected, as Django selects.
    twice = [("a", "First"), ("a", "Second")]
    assert GovukSelect(choices=twice).render("pick", "a").count(" selected") == 1
