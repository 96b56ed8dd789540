"""Every API error is JSON: {"errors": [{"field": ..., "message": ...}]}, never a stack
trace. `field` is the request field at fault, or null for the request as a whole."""

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from openmarac.audit import services as audit

logger = logging.getLogger("openmarac.api")

NOT_FOUND = "Not found, or not yours to see"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The record changed since you read it"
    default_code = "conflict"


# DRF's keys for an error about the request as a whole.
NON_FIELD_KEYS = ("non_field_errors", "__all__", "detail")


def errors(items):
    return {"errors": [{"field": field, "message": str(message)} for field, message in items]}


def flatten(detail, field=None):
    """DRF's nested error detail as (field, message) pairs; nested fields are dotted
    ("victim.given_name", "children.0.date_of_birth")."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = None if key in NON_FIELD_KEYS else (f"{field}.{key}" if field else str(key))
            yield from flatten(value, name if name is not None else field)
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, (dict, list)) and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                yield from flatten(value, f"{field}.{index}" if field else str(index))
            else:
                yield from flatten(value, field)
    else:
        yield field, str(detail)


def handler(exc, context):
    request = context.get("request")
    if isinstance(exc, DjangoValidationError):
        pairs = (
            [(None if k == "__all__" else k, m) for k, messages in exc.message_dict.items() for m in messages]
            if hasattr(exc, "error_dict")
            else [(None, m) for m in exc.messages]
        )
        return Response(errors(pairs), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, (PermissionDenied, exceptions.PermissionDenied, Http404, exceptions.NotFound)):
        # A refusal looks like a record that does not exist, and is audited as one.
        if request is not None and getattr(request, "auth", None) is not None:
            audit.record(action=audit.Action.DENIED, actor=request.user, request=request, record_type="api", record_id=request.path[:64])
        return Response(errors([(None, NOT_FOUND)]), status=status.HTTP_404_NOT_FOUND)
    response = exception_handler(exc, context)
    if response is None:
        logger.exception("API request failed", exc_info=exc)
        return Response(errors([(None, "Something went wrong on our side; nothing was saved")]), status=500)
    response.data = errors(flatten(response.data))
    return response
