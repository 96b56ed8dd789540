"""/healthz and /readyz: public, status only, and readiness fails when a part is down."""

import json
import logging
import sys
from unittest import mock

from django.test import Client
from django.urls import reverse

from openmarac.core import health
from openmarac.core.logging import JsonFormatter

REDIS = "redis://127.0.0.1:6379/9"


def test_healthz_answers_without_touching_the_database():
    response = Client().get(reverse("core:healthz"))
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_readyz_checks_the_database_and_the_migrations(db):
    response = Client().get(reverse("core:readyz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok", "cache": "ok"}}


def test_readyz_is_unavailable_when_the_database_is_not(db):
    with mock.patch.object(health, "_database", side_effect=ConnectionError("host db.internal refused")):
        response = Client().get(reverse("core:readyz"))
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "failed", "migrations": "unknown"}}
    assert b"db.internal" not in response.content


def test_readyz_is_unavailable_with_migrations_not_applied(db):
    with mock.patch.object(health, "_migrations", return_value="pending"):
        response = Client().get(reverse("core:readyz"))
    assert response.status_code == 503 and response.json()["checks"]["migrations"] == "pending"


def test_readyz_checks_redis_when_the_deployment_uses_it(db, settings):
    settings.REDIS_URL = REDIS
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS}}
    settings.OPENMARAC_TASK_BACKEND = "rq"
    settings.RQ_QUEUES = {"default": {"URL": REDIS}}
    response = Client().get(reverse("core:readyz"))
    assert response.json()["checks"] == {"database": "ok", "migrations": "ok", "cache": "ok", "queue": "ok"}
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}
    response = Client().get(reverse("core:readyz"))
    assert response.status_code == 503 and response.json()["checks"]["cache"] == "failed"


def test_json_logs_keep_the_exception_class_and_place_but_never_its_message():
    try:
        raise ValueError("Key (email)=(jane@example.org) already exists")
    except ValueError:
        record = logging.LogRecord("openmarac.background", logging.ERROR, __file__, 1, "task failed", (), sys.exc_info())
    record.task = "openmarac.notifications.tasks.send_email"
    record.email = "jane@example.org"  # not a field the formatter keeps
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["message"] == "task failed" and entry["level"] == "ERROR"
    assert entry["task"] == "openmarac.notifications.tasks.send_email"
    assert entry["exception"] == "builtins.ValueError" and entry["stack"]
    assert "jane@example.org" not in line
