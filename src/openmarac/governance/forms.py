from openmarac.core.forms import GovukForm, date_field

from . import figures


def _date(label):
    return date_field(label, required=True)


class PeriodForm(GovukForm):
    """The period of a return or the dashboard; a quarter unless the user chooses."""

    start = _date("First day")
    end = _date("Last day")

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", "The last day must be the same as or after the first day")
        return data

    @property
    def period(self):
        return figures.Period(self.cleaned_data["start"], self.cleaned_data["end"])


def period_form(request):
    """The form bound to the query string, or to the default period when none is given."""
    # The date boxes send start_day, start_month, ...; links carry start=YYYY-MM-DD.
    if any(key.startswith(("start", "end")) for key in request.GET):
        return PeriodForm(request.GET)
    default = figures.last_complete_quarter()
    return PeriodForm({"start": default.start.isoformat(), "end": default.end.isoformat()})
