"""Every API endpoint: its URL, a valid request, and who may make it.

tests/test_permissions.py reads API_ENDPOINTS so that no URL under /api/v1/ goes
undeclared (the session tables do not apply: the API takes credentials, not sessions)."""

from dataclasses import dataclass, field

from django.utils import timezone

from .conftest import referral_body


@dataclass
class Endpoint:
    method: str
    kwargs: object  # world -> URL kwargs
    allowed: set  # live credentials that get `status`; the other live ones get 404
    status: int = 200
    body: object = None  # world -> JSON body, for POSTs
    audit: str = ""  # the audit action an allowed request records
    notes: str = field(default="")


ALL_LIVE = {"housing", "probation", "other_marac"}

API_ENDPOINTS = {
    "api-v1:referrals": Endpoint("post", lambda w: {}, ALL_LIVE, 201, body=lambda w: referral_body(), audit="created"),
    "api-v1:cases": Endpoint("get", lambda w: {}, ALL_LIVE, audit="viewed"),
    # Housing referred the unlisted case; probation takes part in the Marac but not in that case.
    "api-v1:case": Endpoint("get", lambda w: {"public_id": w["unlisted"].case.public_id}, {"housing"}, audit="viewed"),
    "api-v1:meetings": Endpoint("get", lambda w: {}, ALL_LIVE, audit="viewed"),
    # A published meeting: every agency of the Marac sees it (and only its own cases on it).
    "api-v1:meeting": Endpoint("get", lambda w: {"public_id": w["meeting"].public_id}, {"housing", "probation"}, audit="viewed"),
    "api-v1:research": Endpoint(
        "post", lambda w: {"public_id": w["meeting"].public_id}, {"housing", "probation"},
        body=lambda w: {"referral_id": str(w["referral"].public_id), "submit": True, "no_trace": True}, audit="changed",
    ),
    "api-v1:actions": Endpoint("get", lambda w: {}, ALL_LIVE, audit="viewed"),
    "api-v1:action": Endpoint("get", lambda w: {"pk": w["action"].pk}, {"housing"}, audit="viewed"),
    "api-v1:action-updates": Endpoint(
        "post", lambda w: {"pk": w["action"].pk}, {"housing"},
        body=lambda w: {"version": w["action"].version, "status": "completed", "completed_on": timezone.localdate().isoformat(), "note": "Offered a refuge place"},
        audit="changed",
    ),
    "api-v1:flags": Endpoint("get", lambda w: {}, ALL_LIVE, audit="viewed"),
}
# Open to anyone: the schema holds no data.
API_PUBLIC = {"api-v1:schema", "api-v1:no-such-endpoint"}
