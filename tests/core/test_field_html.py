"""`core.forms.field_html` writes a select, text or date field as
templates/includes/field.html writes it: labelled, optional or not, with a hint and
errors."""

import pytest
from django.template.loader import render_to_string

from openmarac.accounts.models import Agency
from openmarac.actions.forms import ActionFilterForm, ActionForm, ActionReportForm
from openmarac.core.forms import field_html
from openmarac.meetings.models import Meeting


def _as_template(field):
    return render_to_string("includes/field.html", {"field": field})


FILTER_DATA = [
    {},
    {"status": "open", "due_from_day": "1", "due_from_month": "2", "due_from_year": "2026"},
    {"agency": "nonsense", "meeting": "nonsense", "status": "<nope>", "due_to_day": "31", "due_to_month": "2", "due_to_year": "2026"},
    {"due_from": "2026-01-01", "due_to_day": "x"},
]


@pytest.mark.django_db
@pytest.mark.parametrize("data", FILTER_DATA)
def test_the_filter_forms_fields_are_written_as_the_include_writes_them(data):
    Agency.objects.create(name="Housing & <Partners>")
    form = ActionFilterForm(data or None, agencies=Agency.objects.all(), meetings=Meeting.objects.all())
    form.is_valid()
    for name in form.fields:
        assert field_html(form[name]) == _as_template(form[name]), name


@pytest.mark.django_db
@pytest.mark.parametrize("data", [None, {"description": "", "owner_name": "x" * 200, "flag_expires_on_day": "40", "flag_short_reason": "<b>"}])
def test_required_conditional_hinted_and_other_fields_are_written_as_the_include_writes_them(data):
    Agency.objects.create(name="Police")
    form = ActionForm(data, agencies=Agency.objects.all(), children=Agency.objects.none(), risks=Agency.objects.none())
    if data:
        assert not form.is_valid()
    report = ActionReportForm(data)
    for bound in [*form, *report]:
        assert field_html(bound) == _as_template(bound), bound.name


def _forms_of_the_project():
    """Every GOV.UK form of the project that can be made with no arguments, unbound and
    bound to data that leaves its required fields empty (so errors show)."""
    import importlib
    import pkgutil

    import openmarac
    from openmarac.core.forms import GovukFormMixin

    for module in pkgutil.walk_packages(openmarac.__path__, "openmarac."):
        if module.name.endswith(".forms"):
            importlib.import_module(module.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    for form_class in sorted(set(subclasses(GovukFormMixin)), key=lambda c: c.__qualname__):
        for data in (None, {"unknown": "x"}):
            try:
                form = form_class(data)
            except (TypeError, KeyError, AttributeError, ValueError):
                continue  # needs arguments of its own; the forms above are drawn with them
            form.is_valid() if data else None
            yield form


@pytest.mark.django_db
def test_every_kind_of_field_of_every_form_is_written_as_the_include_writes_it():
    kinds, reveals, forms_drawn = set(), 0, 0
    for form in _forms_of_the_project():
        forms_drawn += 1
        for bound in form:
            assert field_html(bound) == _as_template(bound), f"{type(form).__qualname__}.{bound.name}"
            kinds.add(bound.widget_type)
            reveals += bool(getattr(bound.field, "reveal_options", None))
    assert forms_drawn > 40
    assert {"text", "textarea", "select", "govukdate", "radioselect", "checkboxselectmultiple", "checkbox", "hidden"} <= kinds
    assert reveals  # radios that reveal fields beneath a choice


@pytest.mark.django_db
def test_forms_draw_their_fields_with_it():
    form = ActionReportForm()
    bound = next(iter(form))
    assert bound.as_field_group() == field_html(bound)
    assert render_to_string("includes/form_fields.html", {"form": form}) == "".join(field_html(b) for b in form if not getattr(b.field, "revealed_by", None)) + "\n"
