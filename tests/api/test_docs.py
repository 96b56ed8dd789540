"""The referral in docs/api.md is real: posted as the guide shows, it is recorded."""

import json
import re

from django.conf import settings
from django.urls import reverse

from .conftest import api_client


def _documented_referral():
    text = (settings.PROJECT_DIR / "docs" / "api.md").read_text()
    return json.loads(re.search(r"<<'JSON'\n(.*?)\nJSON\n", text, re.S).group(1))


def test_the_documented_referral_is_accepted(world, db):
    response = api_client(world, "housing").post(reverse("api-v1:referrals"), _documented_referral(), key="6b0f3f0e-2d4c-4c8e-9a51-0c1f8e7a9d21")
    assert response.status_code == 201, response.content
    assert response.json()["checklist_score"] == 4 and response.json()["meets_professional_judgement"]


def test_every_endpoint_is_in_the_guide(world, db):
    from .table import API_ENDPOINTS

    text = (settings.PROJECT_DIR / "docs" / "api.md").read_text()
    documented = set(re.findall(r"\| (GET|POST) \| `(/api/v1/[^`]*)`", text))
    assert len(documented) == len(API_ENDPOINTS)
