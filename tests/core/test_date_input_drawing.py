"""The GOV.UK date inputs draw in Python exactly what templates/includes/date_input.html
draws from the same context: the same markup, byte for byte, and the same escaping. (How
the boxes read, check and keep what was typed: test_date_input.py.)"""

from django.template.loader import render_to_string
from hypothesis import given
from hypothesis import strategies as st

from openmarac.core.forms import GovukDateInput, GovukDateTimeInput, GovukTimeInput

WIDGETS = (GovukDateInput, GovukDateTimeInput, GovukTimeInput)


def _same(widget, name, value, attrs):
    drawn = widget.render(name, value, attrs)
    assert drawn == render_to_string("includes/date_input.html", widget.date_context(name, value, attrs))
    return drawn


def test_each_widget_draws_as_the_template_does():
    for widget_class in WIDGETS:
        widget = widget_class()
        _same(widget, "due_on", None, {"id": "id_due_on"})
        _same(widget, "due_on", ["3", "4", "1990", "14:30"], {"id": "id_due_on", "autocomplete": "bday"})
        widget.error_parts = widget.parts[:2]
        _same(widget, "due_on", ["", "<b>", "19&0"], {"id": "id_due_on"})
        _same(widget, "due_on", None, {})


def test_typed_values_are_escaped():
    html = _same(GovukDateInput(), "when", ['"><script>', "4", "1990"], {"id": "id_when", "autocomplete": 'b"day'})
    assert "<script>" not in html and 'value="&quot;&gt;&lt;script&gt;"' in html and 'autocomplete="b&quot;day-day"' in html


@given(
    values=st.lists(st.one_of(st.none(), st.text(max_size=8), st.integers(-5, 3000)), min_size=4, max_size=4),
    errors=st.integers(0, 4),
    with_id=st.booleans(),
    autocomplete=st.sampled_from(["", "bday", "a&b"]),
)
def test_any_values_and_errors_draw_as_the_template_does(values, errors, with_id, autocomplete):
    for widget_class in WIDGETS:
        widget = widget_class()
        widget.error_parts = widget.parts[:errors]
        attrs = {"id": "id_x"} if with_id else {}
        if autocomplete:
            attrs["autocomplete"] = autocomplete
        _same(widget, "x", values[: len(widget.parts)], attrs)
