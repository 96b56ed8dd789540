"""The coordinator finds the SafeLives data return for a quarter of imported history,
downloads it as CSV and XLSX (opened here with openpyxl); a governance user reads the
dashboard and the definitions. Every page passes axe-core."""

import csv
import io
from datetime import date

import openpyxl
import pytest
from django.core.management import call_command

from openmarac.synthetic.accounts import DEMO_PASSWORD, demo_deployment

from ..governance.conftest import EXPECTED, write_quarter


@pytest.fixture
def history(transactional_db, tmp_path):
    marac, _ = demo_deployment()
    path = write_quarter(tmp_path / "history.csv")
    call_command("import_referrals", str(path), marac=marac.slug, by="coordinator@demo.openmarac.invalid", stdout=io.StringIO())
    return marac


def _period(page):
    page.fill_date("#id_start", date(2025, 1, 1))
    page.fill_date("#id_end", date(2025, 3, 31))
    page.click_and_check("button:has-text('Show this period')")


def test_coordinator_downloads_the_return_and_governance_reads_the_dashboard(new_page, history, tmp_path):
    coordinator = new_page()
    coordinator.sign_in("coordinator@demo.openmarac.invalid", DEMO_PASSWORD)
    coordinator.click_and_check("a:has-text('SafeLives data return')")
    # The period the wrong way round: a clear message, and the dates typed are kept.
    coordinator.fill_date("#id_start", date(2025, 4, 1))
    coordinator.fill_date("#id_end", date(2025, 3, 31))
    coordinator.click_and_check("button:has-text('Show this period')")
    assert "The last day must be the same as or after the first day" in coordinator.inner_text(".govuk-error-summary")
    assert [coordinator.input_value(f"#id_start_{part}") for part in ("day", "month", "year")] == ["1", "4", "2025"]
    _period(coordinator)
    assert "3 meeting dates in this period" in coordinator.inner_text("main")
    coordinator.axe(screenshot="data-return")

    with coordinator.expect_download() as download_info:
        coordinator.click("a:has-text('Download the data return as CSV')")
    csv_path = tmp_path / "return.csv"
    download_info.value.save_as(csv_path)
    with open(csv_path, encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(file))
    assert [row[0] for row in rows[1:]] == [r["meeting_date"] for r in EXPECTED]
    assert [int(row[1]) for row in rows[1:]] == [r["cases"] for r in EXPECTED]

    with coordinator.expect_download() as download_info:
        coordinator.click("a:has-text('Download the data return as Excel (XLSX)')")
    xlsx_path = tmp_path / "return.xlsx"
    download_info.value.save_as(xlsx_path)
    sheet = openpyxl.load_workbook(xlsx_path).active
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [row[1] for row in values] == [r["cases"] for r in EXPECTED]
    assert [row[2] for row in values] == [r["repeats"] for r in EXPECTED]

    governance = new_page()
    governance.sign_in("governance@demo.openmarac.invalid", DEMO_PASSWORD)
    governance.click_and_check("a:has-text('Figures: how the Marac is working')")
    _period(governance)
    main = governance.inner_text("main")
    assert "Principle 1: Identification" in main and "Principle 10: Governance" in main
    assert "Outcome indicators" in main
    assert governance.locator("svg[role='img']").count() >= 3
    cases = governance.locator("tr[data-figure='Cases heard'] td[data-value]").inner_text()
    assert cases == str(sum(r["cases"] for r in EXPECTED))
    governance.axe(screenshot="governance-dashboard")
    governance.click_and_check("tr[data-figure='Repeat rate'] a", screenshot="governance-definitions")
    assert "Definitions of the figures" in governance.inner_text("h1")
    # Nothing else: the data return is not the governance user's.
    response = governance.goto(f"/maracs/{history.slug}/data-return/")
    assert response.status == 404
