"""The dashboard's figures are worked out at most every OPENMARAC_FIGURES_KEEP_SECONDS
for a Marac and a period, and the page says when; the data return is always fresh."""

import csv
import json
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from ..conftest import sign_in
from .conftest import HEADER, QUARTER
from .test_views import _figure, figures_json

PERIOD = {"start": QUARTER[0], "end": QUARTER[1]}


@pytest.fixture
def kept():
    cache.clear()
    with override_settings(OPENMARAC_FIGURES_KEEP_SECONDS=300):
        yield
    cache.clear()


def _dashboard(user, period=PERIOD):
    return sign_in(Client(), user).get(reverse("governance:dashboard", args=["northshire"]), period).content.decode()


def _hear_one_more_case(staff, marac, tmp_path):
    path = tmp_path / "one-more.csv"
    with open(path, "w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(HEADER)
        writer.writerow(["Q-E1", "2025-02-26", "2025-03-11", "police", "Rosa", "Lind", "1991-01-01", "Female", "no", "no", "no",
                         "Carl", "Lind", "1990-01-01", "", "16", "no"])
    call_command("import_referrals", str(path), marac=marac.slug, by=staff["coordinator"].email, stdout=open("/dev/null", "w"))


def test_the_figures_are_kept_for_a_while_and_the_page_says_when_they_were_worked_out(kept, quarter, staff, marac, tmp_path):
    html = _dashboard(staff["governance"])
    assert _figure(html, "Cases heard") == "9"
    worked_out = re.search(r"Worked out at (\d\d:\d\d) on ([^.]+)\.", html)
    assert worked_out and worked_out.group(1) == f"{timezone.localtime():%H:%M}"
    assert "worked out again at most every 5 minutes, so a change made since then may not show yet" in html

    _hear_one_more_case(staff, marac, tmp_path)
    # Kept: the same figures to everyone who may see them, the coordinator too.
    assert _figure(_dashboard(staff["governance"]), "Cases heard") == "9"
    assert _figure(_dashboard(staff["coordinator"]), "Cases heard") == "9"
    # The data return is never kept.
    assert sum(row["cases"] for row in json.loads(figures_json(quarter))) == 10
    # Another period is worked out on its own.
    assert _figure(_dashboard(staff["governance"], {"start": QUARTER[0], "end": "2025-03-30"}), "Cases heard") == "10"

    with freeze_time(timezone.now() + timedelta(minutes=6), tick=True):
        assert _figure(_dashboard(staff["governance"]), "Cases heard") == "10"


def test_with_keeping_off_every_request_works_the_figures_out(quarter, staff, marac, tmp_path):
    """The test settings keep nothing (OPENMARAC_FIGURES_KEEP_SECONDS = 0)."""
    html = _dashboard(staff["governance"])
    assert _figure(html, "Cases heard") == "9"
    assert "Worked out at" in html and "worked out again" not in html
    _hear_one_more_case(staff, marac, tmp_path)
    assert _figure(_dashboard(staff["governance"]), "Cases heard") == "10"
