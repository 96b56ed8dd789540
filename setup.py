"""The wheel carries the front-end files the pages need, copied from node_modules and
build/ (run `npm ci && npm run build` first): GOV.UK Frontend's script and assets,
htmx, and openmarac.css. settings/base.py serves them from `openmarac/static_dist`
when the package is installed (a source checkout serves node_modules and build/)."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
GOVUK = ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"
# (source, destination under static_dist)
FRONT_END = [
    (GOVUK / "govuk-frontend.min.js", "govuk-frontend/govuk-frontend.min.js"),
    (GOVUK / "govuk-frontend.min.js.map", "govuk-frontend/govuk-frontend.min.js.map"),
    (GOVUK / "assets", "govuk-frontend/assets"),
    (ROOT / "node_modules" / "htmx.org" / "dist" / "htmx.min.js", "htmx/htmx.min.js"),
    (ROOT / "build" / "static" / "openmarac" / "openmarac.css", "openmarac/openmarac.css"),
]


class BuildPyWithFrontEnd(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # `pip install -e .` (make setup): the source tree serves node_modules and build/
        target = Path(self.build_lib) / "openmarac" / "static_dist"
        for source, destination in FRONT_END:
            if not source.exists():
                raise SystemExit(f"{source} is missing: run `npm ci && npm run build` before building the package.")
            (target / destination).parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, target / destination, dirs_exist_ok=True)
            else:
                shutil.copy2(source, target / destination)


setup(cmdclass={"build_py": BuildPyWithFrontEnd})
