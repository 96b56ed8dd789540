"""`core.forms.FormRenderer` writes the plainest widgets in Python: exactly what
Django's own templates write (the reference), escaping and all, for every widget it
writes and any value or attribute."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from hypothesis import given
from hypothesis import strategies as st

from openmarac.core.forms import INPUT_WIDGETS, FormRenderer, GovukForm

TEMPLATES, PYTHON = DjangoTemplates(), FormRenderer()

ATTRS = {"class": "govuk-input govuk-input--error", "aria-describedby": 'id_x-hint "q"', "required": True, "disabled": False, "maxlength": 20}
CHOICES = [("", "Choose"), ("a", "A & B"), ("Group <1>", [("b", "<b>"), (2, "Zoë’s")]), (None, "None")]

text = st.text(max_size=12)
attrs = st.dictionaries(st.sampled_from(["class", "data-x", "autocomplete", "required", "readonly", "min"]), st.one_of(text, st.booleans(), st.integers()), max_size=4)


def _both(widget, value, extra=None):
    return (
        widget.render("field", value, {"id": "id_field", **(extra or {})}, renderer=TEMPLATES),
        widget.render("field", value, {"id": "id_field", **(extra or {})}, renderer=PYTHON),
    )


@pytest.mark.parametrize("widget_class", INPUT_WIDGETS)
@pytest.mark.parametrize("value", [None, "", "typed <text> & “quotes”", mark_safe("<i>safe</i>"), 0, 17, True])
def test_every_input_is_written_as_djangos_template_writes_it(widget_class, value):
    templates, python = _both(widget_class(attrs=ATTRS), value)
    assert python == templates


@pytest.mark.parametrize("value", [None, "", "Line one\nLine <two> & three", mark_safe("<i>safe</i>")])
def test_a_text_area_is_written_as_djangos_template_writes_it(value):
    templates, python = _both(forms.Textarea(attrs=ATTRS), value)
    assert python == templates


SELECTS = [
    (widget_class, value)
    for widget_class in (forms.Select, forms.SelectMultiple, forms.NullBooleanSelect)
    for value in (None, "", "a", "b", ["a", "2"], "2", True)
    if not (widget_class is forms.NullBooleanSelect and isinstance(value, list))  # not a value it takes
]


@pytest.mark.parametrize("widget_class, value", SELECTS)
def test_selects_their_groups_and_selection_are_written_as_djangos_templates_write_them(widget_class, value):
    widget = widget_class(attrs=ATTRS) if widget_class is forms.NullBooleanSelect else widget_class(attrs=ATTRS, choices=CHOICES)
    templates, python = _both(widget, value)
    assert python == templates


@given(value=st.one_of(st.none(), text, st.integers()), extra=attrs, labels=st.lists(text, max_size=4))
def test_any_value_attributes_and_labels_are_written_as_djangos_templates_write_them(value, extra, labels):
    for widget in (forms.TextInput(), forms.Textarea(), forms.Select(choices=[(str(i), label) for i, label in enumerate(labels)])):
        templates, python = _both(widget, value, extra)
        assert python == templates


def test_forms_are_drawn_by_it_and_other_widgets_still_by_their_templates():
    class Form(GovukForm):
        name = forms.CharField(label="Name")
        kind = forms.ChoiceField(label="Kind", choices=[("a", "A")], widget=forms.RadioSelect)

    form, by_templates = Form(), Form(renderer=TEMPLATES)
    assert isinstance(form.renderer, FormRenderer)
    assert str(form["name"]) == str(by_templates["name"])
    # Radios are not among the widgets written in Python: their template draws them.
    assert str(form["kind"]) == str(by_templates["kind"])
