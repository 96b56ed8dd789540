"""Forms rendered with GOV.UK Design System classes (templates/includes/field.html)."""

import datetime
import re
import threading

from django import forms
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField
from django.forms.renderers import DjangoTemplates
from django.utils import timezone
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe

from . import language
from .display import escaped

_WIDGET_CLASSES = [
    (forms.CheckboxSelectMultiple, "govuk-checkboxes__input"),
    (forms.RadioSelect, "govuk-radios__input"),
    (forms.CheckboxInput, "govuk-checkboxes__input"),
    (forms.Textarea, "govuk-textarea"),
    (forms.Select, "govuk-select"),
    (forms.widgets.Input, "govuk-input"),
]
_ERROR_SUFFIX = {"govuk-input": "govuk-input--error", "govuk-textarea": "govuk-textarea--error", "govuk-select": "govuk-select--error"}


_QUESTION_WORDS = ("who", "whom", "whose", "what", "when", "where", "why", "how", "which")


def _is_question(label):
    words = label.lower().split()
    return label.rstrip().endswith("?") or bool(words) and words[0].strip(",") in _QUESTION_WORDS or label.lower().startswith(("on what ", "if yes"))


def _required_message(field):
    """GOV.UK style: say what to do ("Enter your email address"), not "This field is required".
    A label that is a question ("Does the victim know about this referral?", "What was
    shared") is quoted whole: "Choose the does the victim know…" is not English."""
    label = str(field.label or "an answer")
    choice = isinstance(field.widget, (forms.Select, forms.RadioSelect, forms.CheckboxSelectMultiple))
    if field.label and _is_question(label):
        return f"Choose an answer to “{label}”" if choice else f"Answer “{label}”"
    label = label[:1].lower() + label[1:]
    if choice:
        return f"Choose {label}" if label.startswith(("a ", "an ", "the ")) else f"Choose the {label}"
    return f"Enter {label}" if label.startswith(("a ", "an ", "the ", "your ")) else f"Enter the {label}"


def _number_messages(field):
    """GOV.UK style for a number out of range or not a number, naming the field: "Minutes
    per case must be 1 or more", not Django's "Ensure this value is greater than or
    equal to 1". Messages a form set itself are kept."""
    label = str(field.label or "The number")
    label = label[:1].upper() + label[1:]
    if field.error_messages.get("invalid") == forms.IntegerField.default_error_messages["invalid"]:
        field.error_messages["invalid"] = f"{label} must be a whole number"
    # These two are %-formatted with the limit: a % in the label is doubled.
    label = label.replace("%", "%%")
    field.error_messages.setdefault("min_value", f"{label} must be %(limit_value)s or more")
    field.error_messages.setdefault("max_value", f"{label} must be %(limit_value)s or less")


_DATE_PARTS = ("day", "month", "year")
_MONTH_NAMES = {
    name: number
    for number in range(1, 13)
    for name in (datetime.date(2000, number, 1).strftime("%B").lower(), datetime.date(2000, number, 1).strftime("%b").lower())
}


class GovukSelect(forms.Select):
    """A select drawn in Python with the markup of Django's own templates, which render
    two templates for every option: on a list page's filter form that cost more than
    all the page's queries. The same markup, selection and escaping
    (tests/core/test_select.py draws both)."""

    def render(self, name, value, attrs=None, renderer=None):
        # What `get_context` gives the templates, without its dictionary of a dozen keys
        # for every option (`optgroups`, `create_option`): the select's attributes, and
        # each option selected by Django's rule (the first whose value is among the
        # values, or every such one for a multiple select).
        values = self.format_value(value)
        select_attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            select_attrs["multiple"] = True
        has_selected = False
        groups = []
        for option_value, option_label in self.choices:
            grouped = isinstance(option_label, (list, tuple))
            options = []
            for subvalue, sublabel in option_label if grouped else [("" if option_value is None else option_value, option_label)]:
                selected = (not has_selected or self.allow_multiple_selected) and str(subvalue) in values
                has_selected |= selected
                # Escaped as `format_html` escapes its arguments (`conditional_escape`), in
                # one join: a filter of two years of meetings has a couple of hundred
                # options, and `format_html` for each cost more than the page's queries.
                options.append(f'\n  <option value="{_escaped(subvalue)}"{" selected" if selected else ""}>{_escaped(sublabel)}</option>')
            items = "".join(options)
            groups.append(f'\n  <optgroup label="{_escaped(option_value)}">{items}\n  </optgroup>' if grouped and option_value else items)
        return format_html('<select name="{}"{}>{}\n</select>', name, mark_safe(_attrs_html(select_attrs)), mark_safe("".join(groups)))


def _escaped(value):
    """What `conditional_escape` gives, without its check of every argument for a lazy
    string (a couple of hundred options, two values each): safe text as it is, anything
    else (a lazy label too) escaped as Django escapes it."""
    return value.__html__() if hasattr(value, "__html__") else escaped(value)


def _attrs_html(attrs):
    """As django/forms/widgets/attrs.html writes them."""
    return "".join(f" {_escaped(name)}" if value is True else f' {_escaped(name)}="{_escaped(value)}"' for name, value in attrs.items() if value is not False)


def _input_html(widget):
    """django/forms/widgets/input.html (which text.html, hidden.html and the rest include)."""
    value = "" if widget["value"] is None else f' value="{_escaped(widget["value"])}"'
    return f'<input type="{_escaped(widget["type"])}" name="{_escaped(widget["name"])}"{value}{_attrs_html(widget["attrs"])}>'


def _textarea_html(widget):
    """django/forms/widgets/textarea.html."""
    value = _escaped(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{_escaped(widget["name"])}"{_attrs_html(widget["attrs"])}>\n{value}</textarea>'


def _select_html(widget):
    """django/forms/widgets/select.html, with select_option.html for each option."""
    parts = [f'<select name="{_escaped(widget["name"])}"{_attrs_html(widget["attrs"])}>']
    for group_name, options, _ in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_escaped(group_name)}">')
        parts.extend(
            f'\n  <option value="{_escaped(option["value"])}"{_attrs_html(option["attrs"])}>{_escaped(option["label"])}</option>\n' for option in options
        )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


INPUT_WIDGETS = (
    forms.TextInput, forms.NumberInput, forms.EmailInput, forms.URLInput, forms.PasswordInput, forms.HiddenInput,
    forms.CheckboxInput, forms.DateInput, forms.DateTimeInput, forms.TimeInput, forms.SearchInput, forms.TelInput,
)
_WIDGET_WRITERS = {
    **{widget.template_name: _input_html for widget in INPUT_WIDGETS},
    forms.Textarea.template_name: _textarea_html,
    forms.Select.template_name: _select_html,
}


class GovukDateInput(forms.MultiWidget):
    """The GOV.UK date input: day, month and year boxes, never the browser's
    locale-dependent date picker. What was typed is shown again as typed.

    A date sent under the field's own name as YYYY-MM-DD (an import, a script, a
    draft saved before the boxes existed) is read too."""

    parts = _DATE_PARTS
    widths = {"day": 2, "month": 2, "year": 4, "time": 5}

    def __init__(self, attrs=None):
        super().__init__({part: forms.TextInput() for part in self.parts}, attrs)
        self.error_parts = ()

    def decompress(self, value):
        if isinstance(value, datetime.date):
            return [value.day, value.month, value.year]
        if isinstance(value, str) and value:
            try:
                return self.decompress(datetime.date.fromisoformat(value))
            except ValueError:
                parts = re.split(r"[/.\s-]+", value.strip())
                return parts if len(parts) == 3 else [value, "", ""]
        return [None, None, None]

    def value_from_datadict(self, data, files, name):
        parts = super().value_from_datadict(data, files, name)
        if not any(parts) and data.get(name):
            return self.decompress(data.get(name))
        return parts

    def value_omitted_from_data(self, data, files, name):
        return name not in data and super().value_omitted_from_data(data, files, name)

    def render(self, name, value, attrs=None, renderer=None):
        """The markup of templates/includes/date_input.html, drawn in Python as
        `GovukSelect` is (a list page's filter form has two of these; through the
        template each cost about as much as one of the page's queries). The template
        stays the reference: tests/core/test_date_input.py checks the two agree."""
        context = self.date_context(name, value, attrs)
        attrs = context["widget"]["attrs"]
        autocomplete = attrs.get("autocomplete")
        items = format_html_join(
            "",
            '\n  <div class="govuk-date-input__item">\n    <div class="govuk-form-group">\n'
            '      <label class="govuk-label govuk-date-input__label" for="{}">{}</label>\n'
            '      <input class="govuk-input govuk-date-input__input govuk-input--width-{}{}" id="{}" name="{}" type="text" inputmode="numeric" value="{}"{}>\n'
            "    </div>\n  </div>\n  ",
            (
                (
                    part["id"], part["label"], part["width"], " govuk-input--error" if part["error"] else "", part["id"], part["name"], part["value"],
                    format_html(' autocomplete="{}-day"', autocomplete) if part["label"] == "Day" and autocomplete else "",
                )
                for part in context["parts"]
            ),
        )
        return format_html('<div class="govuk-date-input" id="{}">\n  {}\n</div>\n', attrs.get("id", ""), items)

    def date_context(self, name, value, attrs):
        """The context templates/includes/date_input.html draws: the widget's, with a
        `parts` entry per box."""
        context = self.get_context(name, value, attrs)
        context["parts"] = [
            {
                "label": part.capitalize(),
                "name": sub["name"],
                "id": f"{context['widget']['attrs']['id']}_{part}" if context["widget"]["attrs"].get("id") else "",
                "value": "" if sub["value"] is None else sub["value"],
                "width": self.widths[part],
                "error": part in self.error_parts,
            }
            for part, sub in zip(self.parts, context["widget"]["subwidgets"])
        ]
        return context


class GovukDateField(forms.MultiValueField):
    """A date typed into the GOV.UK date input, with the GOV.UK messages: "Date of
    birth must include a month", "Date of birth must be a real date", "Year must include
    4 numbers". Month names ("March", "mar") are accepted as well as numbers."""

    widget = GovukDateInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(fields=[forms.CharField(required=False) for _ in _DATE_PARTS], require_all_fields=False, **kwargs)
        self.error_parts = ()

    @property
    def error_anchor(self):
        """The box the error summary links to: the first one outlined."""
        return (self.widget.error_parts or self.widget.parts)[0]

    def _fail(self, message, parts=_DATE_PARTS):
        self.error_parts = tuple(parts)
        raise ValidationError(message, code="invalid")

    def _texts(self, value):
        if not isinstance(value, (list, tuple)):
            value = self.widget.decompress(value)
        return [str(part if part is not None else "").strip() for part in value]

    def clean(self, value):
        self.error_parts = ()
        texts = self._texts(value)
        if not any(texts):
            if self.required:
                self._fail(self.error_messages["required"])
            return None
        return self._clean_date(*texts)

    def _clean_date(self, day, month, year):
        what = str(self.label or "The date")
        missing = [part for part, text in zip(_DATE_PARTS, (day, month, year)) if not text]
        if missing:
            self._fail(f"{what} must include a {' and a '.join(missing)}", missing)
        month = str(_MONTH_NAMES.get(month.lower(), month))
        if not (day.isdigit() and month.isdigit() and year.isdigit()):
            self._fail(f"{what} must be a real date", [p for p, t in zip(_DATE_PARTS, (day, month, year)) if not t.isdigit()])
        if len(year) != 4:
            self._fail("Year must include 4 numbers", ["year"])
        try:
            result = datetime.date(int(year), int(month), int(day))
        except ValueError:
            self._fail(f"{what} must be a real date")
        self.run_validators(result)
        return result

    def has_changed(self, initial, data):
        if self.disabled:
            return False
        try:
            new = self.clean(data)
        except ValidationError:
            return True
        finally:
            self.error_parts = ()
        if isinstance(initial, str):
            try:
                initial = self.clean(initial) if initial else None
            except ValidationError:
                return True
            finally:
                self.error_parts = ()
        return new != initial


_TIME = re.compile(r"^(\d{1,2})(?:[:.]?(\d{2}))?\s*(am|pm)?$", re.IGNORECASE)


class GovukDateTimeInput(GovukDateInput):
    """The GOV.UK date input with a fourth box for the time (24-hour, 14:30): never
    the browser's date-and-time picker."""

    parts = (*_DATE_PARTS, "time")

    def decompress(self, value):
        if isinstance(value, datetime.datetime):
            local = timezone.localtime(value) if timezone.is_aware(value) else value
            return [local.day, local.month, local.year, f"{local:%H:%M}"]
        if isinstance(value, str) and value:
            try:
                return self.decompress(datetime.datetime.fromisoformat(value))
            except ValueError:
                return [value, "", "", ""]
        return [None, None, None, None]


class GovukDateTimeField(GovukDateField):
    """A date and a time of day (local time), typed into boxes: "14:30", "2:30pm" or
    "1430". Returns an aware datetime."""

    widget = GovukDateTimeInput

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fields = (*self.fields, forms.CharField(required=False))

    def clean(self, value):
        self.error_parts = ()
        texts = self._texts(value)
        if not any(texts):
            if self.required:
                self._fail(self.error_messages["required"], self.widget.parts)
            return None
        day, month, year, time = texts
        if not time:
            self._fail(f"{self.label or 'The date and time'} must include a time", ["time"])
        when = self._clean_date(day, month, year)
        match = _TIME.match(time)
        hour, minute = (int(match.group(1)), int(match.group(2) or 0)) if match else (99, 0)
        if match and match.group(3):
            hour = hour % 12 + (12 if match.group(3).lower() == "pm" else 0)
        time_of_day = _time_of_day(hour, minute)
        if time_of_day is None:
            self._fail("Enter the time as hours and minutes, for example 14:30", ["time"])
        return timezone.make_aware(datetime.datetime.combine(when, time_of_day))


def _time_of_day(hour, minute):
    """The time, or None when the hour or minute is beyond a 24-hour clock."""
    return datetime.time(hour, minute) if 0 <= hour < 24 and 0 <= minute < 60 else None


_TIME_PARTS = ("hour", "minute")
# One or two ASCII digits: str.isdigit() would let "²" or "٣" through.
_CLOCK_NUMBER = re.compile(r"[0-9]{1,2}")


class GovukTimeInput(GovukDateInput):
    """A time of day as two boxes, Hour and Minute (24-hour), in the GOV.UK date
    input's markup: never the browser's locale-dependent `type=time` picker, which
    shows a 12-hour clock on some machines and a spinner on others."""

    parts = _TIME_PARTS
    widths = {"hour": 2, "minute": 2}

    def decompress(self, value):
        if isinstance(value, datetime.time):
            return [f"{value.hour:02d}", f"{value.minute:02d}"]
        if isinstance(value, str) and value:
            try:
                return self.decompress(datetime.time.fromisoformat(value))
            except ValueError:
                parts = re.split(r"[:.\s]+", value.strip())
                return parts if len(parts) == 2 else [value, ""]
        return [None, None]


class GovukTimeField(GovukDateField):
    """A time of day typed into Hour and Minute boxes (24-hour), with GOV.UK messages:
    "Enter the hour, from 0 to 23", "Enter the minute, from 0 to 59", "Enter a real
    time". What was typed is shown again as typed. Returns a `datetime.time`."""

    widget = GovukTimeInput

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fields = tuple(forms.CharField(required=False) for _ in _TIME_PARTS)

    def clean(self, value):
        self.error_parts = ()
        texts = self._texts(value)
        if not any(texts):
            if self.required:
                self._fail(self.error_messages["required"], _TIME_PARTS)
            return None
        hour, minute = texts
        what = str(self.label or "The time")
        missing = [part for part, text in zip(_TIME_PARTS, texts) if not text]
        if missing:
            self._fail(f"{what} must include {'an hour' if missing == ['hour'] else 'a minute'}", missing)
        hour_ok = bool(_CLOCK_NUMBER.fullmatch(hour)) and int(hour) < 24
        minute_ok = bool(_CLOCK_NUMBER.fullmatch(minute)) and int(minute) < 60
        if not hour_ok and not minute_ok:
            self._fail("Enter a real time", _TIME_PARTS)
        if not hour_ok:
            self._fail("Enter the hour, from 0 to 23", ["hour"])
        if not minute_ok:
            self._fail("Enter the minute, from 0 to 59", ["minute"])
        result = _time_of_day(int(hour), int(minute))
        self.run_validators(result)
        return result


def datetime_field(label, required=True, help_text="", **kwargs):
    """The one way to ask for a date and time (GOV.UK date input and a time box)."""
    return GovukDateTimeField(label=label, required=required, help_text=help_text, **kwargs)


def time_field(label, required=False, help_text="", **kwargs):
    """The one way to ask for a time of day (Hour and Minute boxes, 24-hour)."""
    return GovukTimeField(label=label, required=required, help_text=help_text, **kwargs)


def date_field(label, required=False, help_text="", **kwargs):
    """The one way to ask for a date (GOV.UK date input)."""
    return GovukDateField(label=label, required=required, help_text=help_text, **kwargs)


class GovukFormMixin:
    #: GOV.UK conditional reveal: {radio field: {choice: [fields shown beneath that choice]}}.
    #: Without JavaScript the revealed fields simply show; the server decides what counts.
    reveals = {}

    def __init__(self, *args, **kwargs):
        _style_declared_fields(type(self))
        super().__init__(*args, **kwargs)
        self._styled = set()
        self.style_fields()
        for name, by_choice in self.reveals.items():
            self.fields[name].reveal_options = [(choice, [self[shown] for shown in names]) for choice, names in by_choice.items()]
            for names in by_choice.values():
                for shown in names:
                    self.fields[shown].revealed_by = name

    def style_fields(self):
        """Give each field its GOV.UK classes, hint link and a helpful required message.
        Forms that add fields after construction call this again."""
        for name, field in self.fields.items():
            if name in self._styled:
                continue
            self._styled.add(name)
            _style_field(field)
            # The hint's id is the form's own (its prefix): set on each form's copy.
            if field.help_text and not isinstance(field.widget, GovukDateInput):
                field.widget.attrs["aria-describedby"] = f"{self[name].auto_id}-hint"

    def full_clean(self):
        super().full_clean()
        if self.is_bound and not self._errors:
            # Advice, never a block: see core/language.py.
            language.note_form(self)
        self.mark_errors()

    def mark_errors(self):
        """Mark fields in error so the input is outlined in red, as GOV.UK users expect,
        and points at its message. Again after a service's errors are added
        (`apply_validation_error`)."""
        for name in self.errors:
            if name in self.fields and isinstance(self.fields[name], GovukDateField):
                self.fields[name].widget.error_parts = self.fields[name].error_parts or self.fields[name].widget.parts
            elif name in self.fields:
                widget = self.fields[name].widget
                base = widget.attrs.get("class", "").split(" ")[0]
                if base in _ERROR_SUFFIX and _ERROR_SUFFIX[base] not in widget.attrs["class"]:
                    widget.attrs["class"] += " " + _ERROR_SUFFIX[base]
                hint = widget.attrs.get("aria-describedby", "")
                if "-error" not in hint:
                    widget.attrs["aria-describedby"] = f"{hint} {self[name].auto_id}-error".strip()


def _style_field(field):
    """What `style_fields` gives a field whatever form it is in: its classes and its
    messages. Once per field: a form's copy of a declared field comes styled."""
    if getattr(field, "govuk_styled", False):
        return
    field.govuk_styled = True
    if field.error_messages.get("required") == forms.Field.default_error_messages["required"]:
        field.error_messages["required"] = _required_message(field)
    if isinstance(field, forms.IntegerField):
        _number_messages(field)
    if not isinstance(field.widget, GovukDateInput):
        base = next(css for widget_class, css in _WIDGET_CLASSES if isinstance(field.widget, widget_class))
        existing = field.widget.attrs.get("class", "")
        field.widget.attrs["class"] = f"{base} {existing}".strip()


_styling_classes = threading.Lock()


def _style_declared_fields(form_class):
    """Style a form class's declared fields once, before its first form is made, so
    each form's own copies of them come styled: done for every form made, it cost the
    chair's case screen (eight forms) more than a millisecond a request, most of it in
    comparing each field's required message with Django's, a translated string."""
    if form_class.__dict__.get("_govuk_fields_styled"):
        return
    with _styling_classes:
        for field in form_class.base_fields.values():
            _style_field(field)
        form_class._govuk_fields_styled = True


class GovukForm(GovukFormMixin, forms.Form):
    pass


class GovukModelForm(GovukFormMixin, forms.ModelForm):
    pass


def apply_validation_error(form, error):
    """Show a service's ValidationError on the form: field messages beside their fields,
    anything else at the top."""
    if hasattr(error, "message_dict"):
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)
    if isinstance(form, GovukFormMixin):
        form.mark_errors()


_DATE_WIDGETS = ("govukdate", "govukdatetime", "govuktime")


def field_html(field):
    """A form field (a bound field) as templates/includes/field.html writes it, in
    Python: labelled, optional or not, with a hint, errors and, for radios, the fields
    each choice reveals. Through the include, whose chain of conditions runs for every
    field, a form of a dozen fields cost more than any of its page's queries; the chair's
    case screen draws some thirty while a case is heard. Forms draw their fields with it
    (`GovukBoundField.as_field_group`, includes/form_fields.html); the template stays the
    reference (tests/core/test_field_html.py compares the two)."""
    kind = field.widget_type
    if kind == "hidden":
        return mark_safe(f"\n\n{field}\n\n")
    auto_id, errors, help_text = field.auto_id, field.errors, field.help_text
    optional = "" if field.field.required or getattr(field.field, "conditionally_required", False) else " (optional)"
    label = conditional_escape(field.label)
    shown = "".join(
        f'<p id="{auto_id}-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> {conditional_escape(error)}</p>' for error in errors
    )
    described = f' aria-describedby="{f"{auto_id}-hint " if help_text else ""}{f"{auto_id}-error" if errors else ""}"' if help_text or errors else ""
    hint = f'<div id="{auto_id}-hint" class="govuk-hint">{conditional_escape(help_text)}</div>' if help_text else ""
    if kind in ("radioselect", "checkboxselectmultiple"):
        choices = _radios_html(field) if kind == "radioselect" else _checkboxes_html(field)
        body = (
            f'  <fieldset class="govuk-fieldset"{described}>\n'
            f'    <legend class="govuk-fieldset__legend govuk-fieldset__legend--s">{label}</legend>\n'
            f"    {hint}\n    {shown}\n    {choices}\n  </fieldset>\n"
        )
    elif kind in _DATE_WIDGETS:
        body = (
            f'  <fieldset class="govuk-fieldset" role="group"{described}>\n'
            f'    <legend class="govuk-fieldset__legend govuk-fieldset__legend--s">{label}{optional}</legend>\n'
            f"    {hint}\n    {shown}\n    {field}\n  </fieldset>\n"
        )
    elif kind == "checkbox":
        hint = f'<div id="{auto_id}-hint" class="govuk-hint govuk-checkboxes__hint">{conditional_escape(help_text)}</div>' if help_text else ""
        body = (
            f'  {shown}\n  <div class="govuk-checkboxes govuk-checkboxes--small" data-module="govuk-checkboxes">\n'
            f'    <div class="govuk-checkboxes__item">\n      {field}\n'
            f'      <label class="govuk-label govuk-checkboxes__label" for="{auto_id}">{label}</label>\n      {hint}\n    </div>\n  </div>\n'
        )
    else:
        body = f'  <label class="govuk-label" for="{auto_id}">{label}{optional}</label>\n  {hint}\n  {shown}\n  {field}\n'
    return mark_safe(f'\n\n\n<div class="govuk-form-group{" govuk-form-group--error" if errors else ""}">\n\n{body}\n</div>\n\n\n')


def _radios_html(field):
    """The radios of includes/field.html, each followed by the fields its choice reveals."""
    name, reveals = conditional_escape(field.html_name), getattr(field.field, "reveal_options", ())
    items = []
    for option in field:
        option_id, value = conditional_escape(option.id_for_label), option.data["value"]
        revealed = [shown for choice, shown in reveals if choice == value]
        reveals_attr = f' data-reveals="{option_id}-reveal"' * len(revealed)
        items.append(
            f'\n      <div class="govuk-radios__item">\n'
            f'        <input class="govuk-radios__input" id="{option_id}" name="{name}" type="radio" value="{conditional_escape(value)}"'
            f'{" checked" if option.data["selected"] else ""}{reveals_attr}>\n'
            f'        <label class="govuk-label govuk-radios__label" for="{option_id}">{conditional_escape(option.choice_label)}</label>\n'
            f"      </div>\n      "
            + "".join(
                f'\n      <div class="govuk-radios__conditional govuk-radios__conditional--hidden" id="{option_id}-reveal">\n'
                f'        {"".join(field_html(each) for each in shown)}\n      </div>\n      '
                for shown in revealed
            )
            + "\n      "
        )
    return f'\n    <div class="govuk-radios govuk-radios--small" data-module="govuk-radios">\n      {"".join(items)}\n    </div>\n    '


def _checkboxes_html(field):
    """The checkboxes of includes/field.html, for a choice of several."""
    name = conditional_escape(field.html_name)
    items = "".join(
        f'\n      <div class="govuk-checkboxes__item">\n'
        f'        <input class="govuk-checkboxes__input" id="{conditional_escape(option.id_for_label)}" name="{name}" type="checkbox" '
        f'value="{conditional_escape(option.data["value"])}"{" checked" if option.data["selected"] else ""}>\n'
        f'        <label class="govuk-label govuk-checkboxes__label" for="{conditional_escape(option.id_for_label)}">{conditional_escape(option.choice_label)}</label>\n'
        f"      </div>\n      "
        for option in field
    )
    return f'\n    <div class="govuk-checkboxes govuk-checkboxes--small" data-module="govuk-checkboxes">\n      {items}\n    </div>\n    '


class GovukBoundField(BoundField):
    """A form's field, drawn in GOV.UK markup by `{{ field.as_field_group }}`."""

    def as_field_group(self):
        return field_html(self)


class FormRenderer(DjangoTemplates):
    """Django's form renderer, with the templates of the plainest widgets (inputs, text
    areas, selects) written in Python from the context the widget gives them. Each
    widget drawn through its templates (two or three of them, one more per option) cost
    about a millisecond: the chair's case screen, whose forms are open while a case is
    heard, draws some thirty, a third of the page's time. The same markup: Django's
    templates are the reference (tests/core/test_form_renderer.py draws every widget
    both ways). Anything else goes through the templates as before."""

    # Every form's fields draw themselves in GOV.UK markup (`field_html`).
    bound_field_class = GovukBoundField

    def render(self, template_name, context, request=None):
        write = _WIDGET_WRITERS.get(template_name)
        if write is None:
            return super().render(template_name, context, request)
        return write(context["widget"])
