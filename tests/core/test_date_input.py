"""The GOV.UK date input: day, month and year boxes, clear messages, typed text kept."""

import datetime

import pytest
from django import forms
from hypothesis import given
from hypothesis import strategies as st

from openmarac.core.forms import GovukForm, date_field


class BirthForm(GovukForm):
    date_of_birth = date_field("Date of birth", required=True)
    seen_on = date_field("Date seen")


def _form(**parts):
    data = {f"date_of_birth_{part}": value for part, value in parts.items()}
    return BirthForm(data)


def test_three_boxes_make_a_date():
    form = _form(day="3", month="4", year="1990")
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"date_of_birth": datetime.date(1990, 4, 3), "seen_on": None}


def test_month_names_are_accepted():
    form = _form(day="3", month="March", year="1990")
    assert form.is_valid()
    assert form.cleaned_data["date_of_birth"] == datetime.date(1990, 3, 3)


@pytest.mark.parametrize(
    "parts, message, error_parts",
    [
        ({"day": "", "month": "", "year": ""}, "Enter the date of birth", ("day", "month", "year")),
        ({"day": "3", "month": "", "year": "1990"}, "Date of birth must include a month", ("month",)),
        ({"day": "", "month": "", "year": "1990"}, "Date of birth must include a day and a month", ("day", "month")),
        ({"day": "31", "month": "2", "year": "1990"}, "Date of birth must be a real date", ("day", "month", "year")),
        ({"day": "x", "month": "2", "year": "1990"}, "Date of birth must be a real date", ("day",)),
        ({"day": "3", "month": "2", "year": "90"}, "Year must include 4 numbers", ("year",)),
    ],
)
def test_each_problem_has_its_own_message_and_outlines_only_its_boxes(parts, message, error_parts):
    form = _form(**parts)
    assert not form.is_valid()
    assert form.errors["date_of_birth"] == [message]
    html = str(form["date_of_birth"])
    for part in ("day", "month", "year"):
        box = html.split(f'id="id_date_of_birth_{part}"')[0].rsplit("<input", 1)[1]
        assert ("govuk-input--error" in box) is (part in error_parts)


def test_what_was_typed_is_shown_again():
    form = _form(day="31", month="feb", year="1990")
    assert not form.is_valid()
    html = str(form["date_of_birth"])
    assert 'value="31"' in html and 'value="feb"' in html and 'value="1990"' in html
    assert 'type="date"' not in html


def test_an_iso_date_under_the_field_name_is_read():
    form = BirthForm({"date_of_birth": "1990-04-03"})
    assert form.is_valid()
    assert form.cleaned_data["date_of_birth"] == datetime.date(1990, 4, 3)


def test_initial_date_fills_the_boxes():
    form = BirthForm(initial={"date_of_birth": datetime.date(2024, 12, 1)})
    html = str(form["date_of_birth"])
    assert 'name="date_of_birth_day"' in html and 'value="1"' in html and 'value="12"' in html and 'value="2024"' in html


def test_rendered_as_a_fieldset_with_a_legend_and_labelled_boxes():
    from django.template.loader import render_to_string

    form = _form(day="", month="", year="")
    form.is_valid()
    html = render_to_string("includes/form_fields.html", {"form": form})
    assert '<fieldset class="govuk-fieldset" role="group"' in html
    assert "Date seen (optional)</legend>" in html
    for part in ("Day", "Month", "Year"):
        assert f'govuk-date-input__label" for="id_seen_on_{part.lower()}">{part}</label>' in html


def test_empty_optional_date_is_unchanged():
    form = BirthForm({"date_of_birth_day": "1", "date_of_birth_month": "1", "date_of_birth_year": "2000", "seen_on_day": "", "seen_on_month": "", "seen_on_year": ""})
    assert form.is_valid()
    assert form.changed_data == ["date_of_birth"]


@given(st.dates(min_value=datetime.date(1000, 1, 1)))
def test_any_real_date_round_trips(value):
    form = BirthForm({"date_of_birth_day": str(value.day), "date_of_birth_month": f"{value.month:02d}", "date_of_birth_year": str(value.year)})
    assert form.is_valid()
    assert form.cleaned_data["date_of_birth"] == value


@given(st.integers(1, 31), st.integers(1, 12), st.integers(1000, 9999))
def test_impossible_dates_are_refused_never_shifted(day, month, year):
    try:
        expected = datetime.date(year, month, day)
    except ValueError:
        expected = None
    form = BirthForm({"date_of_birth_day": str(day), "date_of_birth_month": str(month), "date_of_birth_year": str(year)})
    assert form.is_valid() is (expected is not None)
    if expected:
        assert form.cleaned_data["date_of_birth"] == expected


def test_field_is_a_form_field():
    assert isinstance(BirthForm.base_fields["date_of_birth"], forms.MultiValueField)


class MeetingForm(GovukForm):
    starts_at = __import__("openmarac.core.forms", fromlist=["datetime_field"]).datetime_field("Date and time")


def _when(**parts):
    return MeetingForm({f"starts_at_{part}": value for part, value in parts.items()})


@pytest.mark.parametrize("typed, hour, minute", [("14:30", 14, 30), ("2:30pm", 14, 30), ("1430", 14, 30), ("9", 9, 0), ("12am", 0, 0)])
def test_a_date_and_time_in_four_boxes(typed, hour, minute):
    from django.utils import timezone

    form = _when(day="27", month="3", year="2027", time=typed)
    assert form.is_valid(), form.errors
    value = timezone.localtime(form.cleaned_data["starts_at"])
    assert (value.date(), value.hour, value.minute) == (datetime.date(2027, 3, 27), hour, minute)


@pytest.mark.parametrize("time, message", [("", "Date and time must include a time"), ("25:00", "Enter the time as hours and minutes, for example 14:30")])
def test_a_missing_or_impossible_time_is_explained(time, message):
    form = _when(day="27", month="3", year="2027", time=time)
    assert form.errors["starts_at"] == [message]
    assert 'name="starts_at_time"' in str(form["starts_at"]) and "govuk-input--error" in str(form["starts_at"]).split('id="id_starts_at_time"')[0].rsplit("<input", 1)[1]


def test_an_iso_date_and_time_under_the_field_name_is_read():
    form = MeetingForm({"starts_at": "2027-03-27T14:30"})
    assert form.is_valid()
    assert 'type="datetime-local"' not in str(form["starts_at"])
