"""The dashboard and the coordinator's data return pages."""

import csv
import io
import json
import re
from datetime import date

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openmarac.audit.models import AuditEvent
from openmarac.governance import display, figures

from ..conftest import sign_in
from .conftest import EXPECTED, QUARTER

PERIOD = {"start": QUARTER[0], "end": QUARTER[1]}


def _get(user, name, slug="northshire", data=None, **kwargs):
    return sign_in(Client(), user).get(reverse(name, args=[slug, *kwargs.values()]), data or PERIOD)


def _figure(html, label):
    """The value shown for one figure of the dashboard."""
    match = re.search(rf'data-figure="{re.escape(label)}".*?<td[^>]*data-value>([^<]*)</td>', html, re.S)
    assert match, label
    return match.group(1).strip()


def test_dashboard_shows_the_same_figures_as_the_data_return(quarter, staff):
    html = _get(staff["governance"], "governance:dashboard").content.decode()
    rows = json.loads(figures_json(quarter))
    cases = sum(r["cases"] for r in rows)
    repeats = sum(r["repeats"] for r in rows)
    children = sum(r["children"] for r in rows)
    assert (cases, repeats, children) == (9, 3, 7)  # counted by hand from EXPECTED
    assert _figure(html, "Cases heard") == str(cases)
    assert _figure(html, "Children in the households") == str(children)
    # Three repeats is fewer than 5: suppressed on the dashboard, and so is its rate.
    assert _figure(html, "Repeat cases") == "fewer than 5"
    assert _figure(html, "Repeat rate") == "fewer than 5"
    assert _figure(html, "Meetings held") == str(len(rows))
    police = sum(r["referrals_by_agency_kind"].get("police", 0) for r in rows)
    assert _figure(html, "Share of cases not referred by the police") == f"{round(100 * (cases - police) / cases, 1):g}%"


def test_referrals_a_year_per_idva_are_not_available_for_imported_history(quarter, staff):
    # The imported quarter's referrals were heard before OpenMarac: none was referred to
    # the Idva service here, so a rate of 0 would be wrong.
    html = _get(staff["governance"], "governance:dashboard").content.decode()
    assert _figure(html, "Referrals a year per Idva") == "Not available"


def figures_json(quarter):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("data_return", marac="northshire", start=QUARTER[0], end=QUARTER[1], fmt="json", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_dashboard_totals_are_the_sum_of_the_return(quarter, marac):
    period = figures.Period(*quarter)
    rows = figures.data_return(marac=marac, period=period)
    now = figures.period_figures(marac=marac, period=period)
    assert now.totals.cases == sum(r["cases"] for r in EXPECTED)
    assert now.totals.repeats == sum(r["repeats"] for r in EXPECTED)
    assert now.totals.victims_racially_minoritised == sum(r["victims_racially_minoritised"] for r in EXPECTED)
    assert now.meetings_held == len(rows) == 3
    # Days from referral to hearing, by hand: 12, 11, 9, 22, 17, 14, 10, 19, 14.
    assert now.hearing_days_median == 14
    assert now.hearing_within_target == 9


@pytest.mark.parametrize(
    "start, end",
    [
        (date(2025, 1, 1), date(2025, 3, 31)),  # the quarter
        (date(2024, 10, 1), date(2025, 3, 31)),  # with the quarter before, which has Q-D1
        (date(2025, 2, 11), date(2025, 4, 8)),  # from one meeting day to another
        (date(2020, 1, 1), date(2020, 3, 31)),  # nothing heard
    ],
)
def test_dashboard_totals_are_the_sums_of_the_return_rows(quarter, marac, start, end):
    """The dashboard reads the return's counts by period rather than by meeting date:
    they must be the sums of the return's rows, and its meetings held their number."""
    period = figures.Period(start, end)
    rows = figures.data_return(marac=marac, period=period)
    for shown in (figures.period_figures(marac=marac, period=period), figures.dashboard(marac=marac, period=period).now):
        assert shown.meetings_held == len(rows)
        if not rows:
            assert shown.totals is None
            continue
        assert shown.totals.cases == sum(r.cases for r in rows)
        assert (shown.totals.repeats, shown.totals.children) == (sum(r.repeats for r in rows), sum(r.children for r in rows))
        assert shown.totals.referrals_by_agency_kind == {k: sum(r.referrals_by_agency_kind[k] for r in rows) for k in figures.ALL_RETURN_KINDS}
        assert {k: getattr(shown.totals, k) for k in figures.DIVERSITY_KEYS} == {k: sum(getattr(r, k) for r in rows) for k in figures.DIVERSITY_KEYS}


def test_previous_period_is_the_quarter_before(quarter, staff):
    period = figures.Period(*quarter)
    assert period.previous() == figures.Period(date(2024, 10, 1), date(2024, 12, 31))


@pytest.mark.parametrize("n, shown", [(0, "0"), (1, "fewer than 5"), (4, "fewer than 5"), (5, "5"), (1234, "1,234"), (None, "Not available")])
def test_small_numbers_are_suppressed(n, shown):
    assert display.count_text(n) == shown


def test_a_share_of_a_small_count_is_suppressed():
    assert display.percent_text(50.0, 2) == "fewer than 5"
    assert display.percent_text(50.0, 5) == "50%"


def test_chart_draws_no_bar_for_a_suppressed_count():
    breakdown = figures.Breakdown(key="k", title="T", columns=["Cases"], rows=[("Police", [10], True), ("Housing", [3], False), ("Health", [0], False)])
    table = display.table(breakdown)
    assert [bar.width for bar in table.bars] == [display.BAR_SPACE, 0, 0]
    assert [bar.text for bar in table.bars] == ["10", "fewer than 5", "0"]


def test_chart_markup_escapes_labels_and_draws_only_the_bars_shown():
    breakdown = figures.Breakdown(key="k", title="T", columns=["Cases"], rows=[("Police <b>&</b>", [10], True), ("Housing", [3], False)])
    svg = str(display.table(breakdown).chart)
    assert "Police &lt;b&gt;&amp;&lt;/b&gt;" in svg and "<b>" not in svg
    # One bar (the core agency's colour, full length); the suppressed count has its text only.
    assert svg.count("<rect ") == 1 and f'width="{display.BAR_SPACE}" height="22" fill="{display.CORE_FILL}"' in svg
    assert svg.count(">fewer than 5</text>") == 1


def test_dashboard_query_count_does_not_grow_with_rows(quarter, staff, tmp_path, marac):
    client = sign_in(Client(), staff["governance"])
    url = reverse("governance:dashboard", args=["northshire"])
    with CaptureQueriesContext(connection) as before:
        assert client.get(url, PERIOD).status_code == 200
    from django.core.management import call_command

    from .conftest import HEADER

    path = tmp_path / "more.csv"
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(HEADER)
        for i in range(15):
            writer.writerow([f"M-{i}", "2025-03-01", f"2025-03-{10 + i}", "probation", f"Extra{i}", "Victim", "1990-01-01", "Female", "no", "no", "no", "Some", "One", "1990-01-01", "", "16", "no"])
    call_command("import_referrals", str(path), marac="northshire", by=staff["coordinator"].email, stdout=io.StringIO())
    with CaptureQueriesContext(connection) as after:
        assert client.get(url, PERIOD).status_code == 200
    assert len(after) == len(before)


def test_coordinator_downloads_csv_and_xlsx_and_each_is_audited(quarter, staff):
    coordinator = staff["coordinator"]
    csv_response = _get(coordinator, "governance:data-return-download", fmt="csv")
    assert csv_response["Content-Disposition"].startswith('attachment; filename="marac-data-return-northshire-2025-01-01-to-2025-03-31.csv"')
    rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert [int(v) for v in rows[1][1:4]] == [EXPECTED[0]["cases"], EXPECTED[0]["repeats"], EXPECTED[0]["children"]]
    xlsx_response = _get(coordinator, "governance:data-return-download", fmt="xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_response.content)).active
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == [r["cases"] for r in EXPECTED]
    events = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORTED, actor=coordinator, record_type="governance.data_return")
    assert events.count() == 2


def test_data_return_page_lists_every_meeting_date_with_its_total(quarter, staff):
    html = _get(staff["coordinator"], "governance:data-return").content.decode()
    assert "3 meeting dates in this period" in html
    for label in ("14 Jan 2025", "11 Feb 2025", "11 Mar 2025"):
        assert label in html


def test_data_return_page_for_an_empty_period_says_so(staff):
    html = _get(staff["coordinator"], "governance:data-return", data={"start": "2020-01-01", "end": "2020-03-31"}).content.decode()
    assert "the return is empty" in html
    assert "Download the data return" not in html


def test_period_the_wrong_way_round_is_a_clear_error_that_keeps_the_input(staff):
    response = _get(staff["coordinator"], "governance:data-return", data={"start": "2025-04-01", "end": "2025-03-31"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "The last day must be the same as or after the first day" in html
    # The boxes show the dates asked for: 1 April and 31 March 2025.
    assert 'name="start_day" type="text" inputmode="numeric" value="1"' in html
    assert 'name="end_day" type="text" inputmode="numeric" value="31"' in html


def test_unknown_format_is_not_found(staff):
    assert _get(staff["coordinator"], "governance:data-return-download", fmt="pdf").status_code == 404


def test_download_with_a_bad_period_is_not_found(staff):
    response = _get(staff["coordinator"], "governance:data-return-download", data={"start": "x", "end": "y"}, fmt="csv")
    assert response.status_code == 404


def test_csv_cells_cannot_run_as_formulas(staff, marac):
    from openmarac.governance import writers

    # Only numbers and dates reach the return, but the writer protects every cell.
    content = writers.as_csv([]).decode("utf-8-sig")
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in next(csv.reader(io.StringIO(content))))


def test_a_share_of_fewer_than_5_cases_is_suppressed():
    assert display.percent_text(0.0, 0, 2) == "fewer than 5"
    assert display.percent_text(0.0, 0, 5) == "0%"


def test_home_pages_link_to_the_figures_and_the_return(staff):
    governance = sign_in(Client(), staff["governance"]).get("/").content.decode()
    assert reverse("governance:dashboard", args=["northshire"]) in governance
    assert reverse("governance:data-return", args=["northshire"]) not in governance
    coordinator = sign_in(Client(), staff["coordinator"]).get("/").content.decode()
    assert reverse("governance:data-return", args=["northshire"]) in coordinator


def test_outcome_indicators_on_hand_made_histories(quarter, marac):
    from openmarac.referrals.models import Referral

    by_ref = {r.source_key: r for r in Referral.objects.filter(source_key__startswith="Q-")}
    # Q-D2 (a repeat referred 25 March 2025) comes back for Q-A1's victim, heard 14 January.
    Referral.objects.filter(pk=by_ref["Q-D2"].pk).update(case=by_ref["Q-A1"].case)
    # Q-D1, Q-B1 and Q-B3 (all repeats) are one victim's: by Q-B3's referral on 28 January
    # she had 3 repeat referrals in 12 months, the Marac's alert threshold.
    Referral.objects.filter(pk__in=[by_ref["Q-B1"].pk, by_ref["Q-B3"].pk]).update(case=by_ref["Q-D1"].case)
    outcomes = figures.outcomes(marac=marac, period=figures.Period(*quarter), today=date(2026, 6, 1))
    assert outcomes.heard == 9
    assert outcomes.re_referred_within_window == 1
    assert outcomes.window_complete == 9  # every hearing of the quarter is 12 months past
    assert outcomes.re_referred_of_complete == 1
    assert outcomes.alert_cases == 1
    assert outcomes.referral_to_hearing_median == 14
    early = figures.outcomes(marac=marac, period=figures.Period(*quarter), today=date(2026, 1, 31))
    # By 31 January 2026 only the January hearings have had their 12 months.
    assert early.window_complete == 3


def test_every_figure_links_to_a_definition_that_exists(quarter, staff):
    html = _get(staff["governance"], "governance:dashboard").content.decode()
    definitions_url = reverse("governance:definitions", args=["northshire"])
    anchors = set(re.findall(rf'href="{re.escape(definitions_url)}#([a-z_0-9]+)"', html))
    assert len(anchors) >= 15
    assert anchors <= set(figures.DEFINITIONS)
    page = _get(staff["governance"], "governance:definitions").content.decode()
    for anchor in anchors:
        assert f'id="{anchor}"' in page


def test_agencies_work_is_not_suppressed_but_counts_about_cases_are():
    attendance = figures.Breakdown(key="attendance", title="A", columns=["Present", "Share"], rows=[("Police", [3, 75.0], True)], percent_columns=((1, 0),), about_people=False)
    cases = figures.Breakdown(key="sources", title="S", columns=["Cases", "Share"], rows=[("Police", [3, 75.0], False)], percent_columns=((1, 0),))
    assert display.table(attendance).rows[0][1] == ["3", "75%"]
    assert display.table(attendance).bars[0].width == display.BAR_SPACE
    assert display.table(cases).rows[0][1] == ["fewer than 5", "fewer than 5"]
    assert display.table(cases).bars[0].width == 0


def test_the_period_hint_does_not_ask_for_a_date_format_the_boxes_do_not_use(quarter, staff):
    # The walk-through: "Dates are written as YYYY-MM-DD" above day, month and year boxes.
    for user, name in ((staff["governance"], "governance:dashboard"), (staff["coordinator"], "governance:data-return")):
        html = _get(user, name).content.decode()
        assert "A quarter unless you choose otherwise." in html and "YYYY-MM-DD" not in html
