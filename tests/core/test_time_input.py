"""The GOV.UK-style time input: Hour and Minute boxes (24-hour), clear messages, typed
text kept, never the browser's `type=time` picker."""

import datetime

import pytest
from django.template.loader import render_to_string
from hypothesis import given
from hypothesis import strategies as st

from openmarac.core.forms import GovukForm, time_field


class ArrivalForm(GovukForm):
    starts = time_field("Start time", required=True)
    arrived_at = time_field("Arrived late at")


def _form(**parts):
    return ArrivalForm({f"starts_{part}": value for part, value in parts.items()})


def _box(html, name, part):
    return html.split(f'id="id_{name}_{part}"')[0].rsplit("<input", 1)[1]


def test_two_boxes_make_a_time():
    form = _form(hour="9", minute="05")
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"starts": datetime.time(9, 5), "arrived_at": None}


@pytest.mark.parametrize(
    "hour, minute, message, error_parts",
    [
        ("", "", "Enter the start time", ("hour", "minute")),
        ("", "30", "Start time must include an hour", ("hour",)),
        ("14", "", "Start time must include a minute", ("minute",)),
        ("24", "00", "Enter the hour, from 0 to 23", ("hour",)),
        ("-1", "00", "Enter the hour, from 0 to 23", ("hour",)),
        ("9", "60", "Enter the minute, from 0 to 59", ("minute",)),
        ("9", "3.5", "Enter the minute, from 0 to 59", ("minute",)),
        ("two", "thirty", "Enter a real time", ("hour", "minute")),
        ("²", "00", "Enter the hour, from 0 to 23", ("hour",)),
    ],
)
def test_each_problem_has_its_own_message_and_outlines_only_its_boxes(hour, minute, message, error_parts):
    form = _form(hour=hour, minute=minute)
    assert not form.is_valid()
    assert form.errors["starts"] == [message]
    html = str(form["starts"])
    for part in ("hour", "minute"):
        assert ("govuk-input--error" in _box(html, "starts", part)) is (part in error_parts)


def test_what_was_typed_is_shown_again():
    form = _form(hour="25", minute="7x")
    assert not form.is_valid()
    html = str(form["starts"])
    assert 'value="25"' in html and 'value="7x"' in html
    assert 'type="time"' not in html


def test_initial_time_fills_the_boxes():
    html = str(ArrivalForm(initial={"starts": datetime.time(9, 30)})["starts"])
    assert 'name="starts_hour"' in html and 'value="09"' in html and 'value="30"' in html


def test_a_time_under_the_field_name_is_read():
    """A script or an older form posting "10:00" under the field's own name."""
    form = ArrivalForm({"starts": "10:00"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["starts"] == datetime.time(10, 0)


def test_rendered_as_a_fieldset_with_a_legend_and_labelled_boxes_and_error_link():
    form = _form(hour="9", minute="")
    form.is_valid()
    fields = render_to_string("includes/form_fields.html", {"form": form})
    assert '<fieldset class="govuk-fieldset" role="group"' in fields
    assert "Arrived late at (optional)</legend>" in fields
    for part in ("Hour", "Minute"):
        assert f'govuk-date-input__label" for="id_arrived_at_{part.lower()}">{part}</label>' in fields
    summary = render_to_string("includes/error_summary.html", {"form": form})
    assert 'href="#id_starts_minute"' in summary


def test_an_empty_optional_time_is_unchanged():
    form = ArrivalForm({"starts_hour": "10", "starts_minute": "0", "arrived_at_hour": "", "arrived_at_minute": ""}, initial={"starts": datetime.time(10, 0)})
    assert form.is_valid()
    assert form.changed_data == []


@given(st.times().map(lambda t: t.replace(second=0, microsecond=0)), st.booleans())
def test_every_valid_hour_and_minute_round_trips(value, padded):
    """Typed with or without a leading zero, and as the boxes show it again."""
    typed = (f"{value.hour:02d}", f"{value.minute:02d}") if padded else (str(value.hour), str(value.minute))
    form = _form(hour=typed[0], minute=typed[1])
    assert form.is_valid(), form.errors
    assert form.cleaned_data["starts"] == value
    hour, minute = ArrivalForm.base_fields["starts"].widget.decompress(value)
    again = ArrivalForm({"starts_hour": hour, "starts_minute": minute})
    assert again.is_valid() and again.cleaned_data["starts"] == value


@given(st.integers(24, 99), st.integers(0, 59))
def test_an_hour_beyond_23_is_refused(hour, minute):
    form = _form(hour=str(hour), minute=str(minute))
    assert form.errors["starts"] == ["Enter the hour, from 0 to 23"]


@given(st.integers(0, 23), st.integers(60, 99))
def test_a_minute_beyond_59_is_refused(hour, minute):
    form = _form(hour=str(hour), minute=str(minute))
    assert form.errors["starts"] == ["Enter the minute, from 0 to 59"]


@given(st.text(max_size=4), st.text(max_size=4))
def test_any_typing_gives_a_time_or_a_message_never_an_exception(hour, minute):
    form = _form(hour=hour, minute=minute)
    if form.is_valid():
        assert form.cleaned_data["starts"] == datetime.time(int(hour.strip()), int(minute.strip()))
    else:
        assert len(form.errors["starts"]) == 1
