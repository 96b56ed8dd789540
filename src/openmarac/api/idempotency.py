"""`Idempotency-Key` on POSTs: the same key and body gives the stored answer again and
creates nothing twice; the same key with another body is a 409.

The key row is inserted in the same transaction as the write it guards. A second
request with the same key waits on the unique constraint (PostgreSQL) or the write
lock (SQLite) until the first commits, then finds the stored answer; if the first
fails, its row goes with it and the second runs afresh."""

import hashlib
import json
import re
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.response import Response

from .exceptions import errors
from .models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# Visible ASCII, no spaces: what survives every HTTP stack unchanged.
KEY_PATTERN = re.compile(r"^[!-~]{1,255}$")


def _request_hash(request):
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _replay(stored, request_hash):
    if stored.request_hash != request_hash:
        return Response(
            errors([("Idempotency-Key", "This key was used with a different request: use a new key for a new request")]), status=409
        )
    response = Response(stored.response_body, status=stored.response_status)
    response["Idempotent-Replayed"] = "true"
    return response


def _json(data):
    from rest_framework.renderers import JSONRenderer

    return json.loads(JSONRenderer().render(data) or b"null")


def idempotent(request, view, handler):
    """Run `handler()` (which returns a Response) at most once per key and body."""
    key = request.headers.get(HEADER)
    if key is None:
        return handler()
    if not KEY_PATTERN.match(key):
        return Response(errors([(HEADER, f"Give a key of 1 to {MAX_KEY_LENGTH} visible ASCII characters, no spaces (a UUID suits)")]), status=400)
    credential = request.auth
    request_hash = _request_hash(request)
    expired_before = timezone.now() - timedelta(hours=settings.OPENMARAC_API_IDEMPOTENCY_HOURS)
    with transaction.atomic():
        stored = IdempotencyKey.objects.select_for_update().filter(credential=credential, key=key).first()
        if stored is not None and stored.created_at >= expired_before:
            return _replay(stored, request_hash)
        if stored is not None:
            stored.delete()
        try:
            with transaction.atomic():
                claim = IdempotencyKey.objects.create(credential=credential, key=key, request_hash=request_hash, response_status=0)
        except IntegrityError:
            # Another request with this key committed between our read and our insert.
            return _replay(IdempotencyKey.objects.get(credential=credential, key=key), request_hash)
        try:
            response = handler()
        except Exception as exc:  # answered by the exception handler, and stored like any answer
            response = view.handle_exception(exc)
        if response.status_code >= 500:
            transaction.set_rollback(True)
            return response
        claim.response_status = response.status_code
        claim.response_body = _json(response.data)
        claim.save(update_fields=["response_status", "response_body"])
    return response
