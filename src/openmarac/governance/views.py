"""Governance pages: the dashboard (figures only, never a person) and the coordinator's
data return. Views only format what `figures` computes."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from openmarac.access import policy
from openmarac.audit import services as audit
from openmarac.core.pagination import paginate
from openmarac.core.views import marac_or_404, not_found

from . import display, figures, writers
from .forms import period_form

RETURN_ROWS_PER_PAGE = 31


@login_required
def dashboard(request, slug):
    marac = marac_or_404(request, slug, policy.can_see_figures)
    form = period_form(request)
    context = {
        "marac": marac, "form": form, "can_download": policy.can_download_data_return(request.user, marac),
        # Every figure links to its definition: the address is worked out once, not per link.
        "definitions_url": reverse("governance:definitions", args=[marac.slug]),
    }
    if form.is_valid():
        period = form.period
        shown = figures.kept_dashboard(marac=marac, period=period)
        context.update(
            period=period,
            previous=period.previous(),
            principles=display.principles(shown.now, shown.before, open_after_two=shown.open_after_two, definitions_url=context["definitions_url"]),
            outcome_rows=display.figure_rows(display.outcome_items(shown.outcomes), context["definitions_url"], compared=False),
            alert_decisions=[(label, display.count_text(n)) for label, n in shown.outcomes.alert_decisions],
            has_cases=shown.now.totals is not None,
            worked_out_at=shown.worked_out_at,
            kept_minutes=max(1, round(settings.OPENMARAC_FIGURES_KEEP_SECONDS / 60)) if settings.OPENMARAC_FIGURES_KEEP_SECONDS else 0,
        )
    return render(request, "governance/dashboard.html", context)


@login_required
def definitions(request, slug):
    marac = marac_or_404(request, slug, policy.can_see_figures)
    return render(request, "governance/definitions.html", {"marac": marac, "definitions": [(key, title, text) for key, (title, text) in figures.DEFINITIONS.items()]})


@login_required
def data_return(request, slug):
    marac = marac_or_404(request, slug, policy.can_download_data_return)
    form = period_form(request)
    context = {"marac": marac, "form": form, "columns": [heading for _, heading in figures.RETURN_COLUMNS]}
    if form.is_valid():
        period = form.period
        rows = figures.data_return(marac=marac, period=period)
        page = paginate(request, figures.return_table(rows), per_page=RETURN_ROWS_PER_PAGE)
        query = urlencode({"start": period.start.isoformat(), "end": period.end.isoformat()})
        context.update(
            period=period,
            page=page,
            total=len(rows),
            query=query,
            downloads=[
                (label, f"{reverse('governance:data-return-download', args=[marac.slug, fmt])}?{query}")
                for fmt, label in (("csv", "CSV"), ("xlsx", "Excel (XLSX)"), ("json", "JSON"))
            ],
        )
    return render(request, "governance/data_return.html", context)


@login_required
def data_return_download(request, slug, fmt):
    marac = marac_or_404(request, slug, policy.can_download_data_return)
    form = period_form(request)
    if fmt not in writers.FORMATS or not form.is_valid():
        not_found(request, "governance.data_return", fmt)
    period = form.period
    rows = figures.data_return(marac=marac, period=period)
    content = writers.render(rows, fmt)
    audit.record(
        action=audit.Action.EXPORTED, request=request, marac=marac, record_type="governance.data_return",
        record_id=f"{period.start}..{period.end}", summary=f"Data return {period} as {fmt}",
    )
    response = HttpResponse(content, content_type=writers.FORMATS[fmt][0])
    response["Content-Disposition"] = f'attachment; filename="{writers.filename(marac, period, fmt)}"'
    return response
