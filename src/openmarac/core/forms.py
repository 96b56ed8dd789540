"""Forms rendered with GOV.UK Design System classes (templates/includes/field.html)."""

from django import forms

from . import language

_WIDGET_CLASSES = [
    (forms.CheckboxSelectMultiple, "govuk-checkboxes__input"),
    (forms.RadioSelect, "govuk-radios__input"),
    (forms.CheckboxInput, "govuk-checkboxes__input"),
    (forms.Textarea, "govuk-textarea"),
    (forms.Select, "govuk-select"),
    (forms.widgets.Input, "govuk-input"),
]
_ERROR_SUFFIX = {"govuk-input": "govuk-input--error", "govuk-textarea": "govuk-textarea--error", "govuk-select": "govuk-select--error"}


def _required_message(field):
    """GOV.UK style: say what to do ("Enter your email address"), not "This field is required"."""
    label = str(field.label or "an answer")
    label = label[:1].lower() + label[1:]
    if isinstance(field.widget, (forms.Select, forms.RadioSelect, forms.CheckboxSelectMultiple)):
        return f"Choose {label}" if label.startswith(("a ", "an ", "the ")) else f"Choose the {label}"
    return f"Enter {label}" if label.startswith(("a ", "an ", "the ", "your ")) else f"Enter the {label}"


class GovukFormMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._styled = set()
        self.style_fields()

    def style_fields(self):
        """Give each field its GOV.UK classes, hint link and a helpful required message.
        Forms that add fields after construction call this again."""
        for name, field in self.fields.items():
            if name in self._styled:
                continue
            self._styled.add(name)
            base = next(css for widget_class, css in _WIDGET_CLASSES if isinstance(field.widget, widget_class))
            existing = field.widget.attrs.get("class", "")
            field.widget.attrs["class"] = f"{base} {existing}".strip()
            if field.error_messages.get("required") == forms.Field.default_error_messages["required"]:
                field.error_messages["required"] = _required_message(field)
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"{self[name].auto_id}-hint"

    def full_clean(self):
        super().full_clean()
        if self.is_bound and not self._errors:
            # Advice, never a block: see core/language.py.
            language.note_form(self)
        # Mark fields in error so the input is outlined in red, as GOV.UK users expect.
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                base = widget.attrs.get("class", "").split(" ")[0]
                if base in _ERROR_SUFFIX and _ERROR_SUFFIX[base] not in widget.attrs["class"]:
                    widget.attrs["class"] += " " + _ERROR_SUFFIX[base]
                hint = widget.attrs.get("aria-describedby", "")
                if "-error" not in hint:
                    widget.attrs["aria-describedby"] = f"{hint} {self[name].auto_id}-error".strip()


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
