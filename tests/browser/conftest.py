"""Browser tests: Playwright (from PyPI) driving Debian's Chromium, with an axe-core
check of every page visited."""

import base64
import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django_otp.oath import TOTP
from playwright.sync_api import sync_playwright

from openmarac.accounts import mfa
from openmarac.accounts.models import User

CHROMIUM = os.environ.get("OPENMARAC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Screenshots go to var/screenshots; OPENMARAC_UPDATE_SCREENSHOTS=1 refreshes docs/.
SCREENSHOT_DIR = (
    settings.PROJECT_DIR / "docs" / "screenshots"
    if os.environ.get("OPENMARAC_UPDATE_SCREENSHOTS")
    else settings.VAR_DIR / "screenshots"
)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser(django_db_setup):
    # Playwright's sync API runs an event loop in this thread while the browser is open;
    # the ORM calls the tests make between browser steps are ordinary synchronous calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def new_page(browser, live_server):
    contexts = []

    def make():
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1200, "height": 900})
        contexts.append(context)
        return Journey(context.new_page())

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


_axe = Axe()


class Journey:
    """A page plus the checks every visited page must pass."""

    def __init__(self, page):
        self.page = page
        # What the browser reported as errors (a script, the content security policy).
        self.console_errors = []
        page.on("console", lambda message: message.type == "error" and self.console_errors.append(message.text))

    def __getattr__(self, name):
        return getattr(self.page, name)

    def axe(self, screenshot=None):
        """axe-core on the page as it is now: no violations allowed."""
        self.page.wait_for_load_state("load")
        results = _axe.run(self.page)
        violations = results.response["violations"]
        assert not violations, f"axe-core violations on {self.page.url}:\n" + results.generate_report()
        if screenshot:
            SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(Path(SCREENSHOT_DIR) / f"{screenshot}.png"), full_page=True)
        return self

    def visit(self, path, screenshot=None):
        self.page.goto(path)
        return self.axe(screenshot)

    def fill_date(self, selector, value):
        """Type a date into a GOV.UK date input (day, month and year boxes); None clears it."""
        for part, text in zip(("day", "month", "year"), (value.day, value.month, value.year) if value else ("", "", "")):
            self.page.fill(f"{selector}_{part}", str(text))

    def click_and_check(self, selector, screenshot=None):
        self.page.click(selector)
        return self.axe(screenshot)

    def sign_in(self, email, password, screenshot_prefix=None):
        """Password, then the TOTP code (computed from the user's device, as the phone would)."""
        self.visit("/sign-in/", screenshot=screenshot_prefix and f"{screenshot_prefix}-sign-in")
        self.page.fill("#id_username", email)
        self.page.fill("#id_password", password)
        self.click_and_check("button:has-text('Continue')", screenshot=screenshot_prefix and f"{screenshot_prefix}-code")
        device = User.objects.get(email=email).totpdevice_set.get(confirmed=True)
        self.page.fill("#id_code", mfa.current_code(device))
        return self.click_and_check("button:has-text('Sign in')")


def code_from_typed_secret(secret):
    """What an authenticator app shows for a key typed in by hand."""
    key = base64.b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    return f"{TOTP(key).token():06d}"


@pytest.fixture
def working_demo(transactional_db):
    """The demo Marac as `make run` shows it: its accounts, current referrals and
    meetings (one held, with minutes and actions in every state)."""
    from openmarac.synthetic.accounts import demo_deployment
    from openmarac.synthetic.meetings import demo_meetings
    from openmarac.synthetic.referrals import demo_referrals

    marac, _ = demo_deployment()
    demo_referrals(marac=marac)
    demo_meetings(marac=marac)
    return marac
