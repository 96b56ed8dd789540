"""Without Redis the shared cache is a table in the database: `migrate` makes it, and
the readiness check finds out when it is missing."""

from django.core.cache import cache
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

DATABASE_CACHE = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "openmarac_cache"}}


def test_migrate_makes_the_cache_table_and_the_cache_works(db):
    with override_settings(CACHES=DATABASE_CACHE):
        assert "openmarac_cache" not in connection.introspection.table_names()
        emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
        assert "openmarac_cache" in connection.introspection.table_names()
        cache.set("openmarac:test", {"kept": 1})
        assert cache.get("openmarac:test") == {"kept": 1}
        assert Client().get(reverse("core:readyz")).json()["checks"]["cache"] == "ok"


def test_readyz_is_unavailable_when_the_cache_table_is_missing(db):
    with override_settings(CACHES=DATABASE_CACHE):
        response = Client().get(reverse("core:readyz"))
    assert response.status_code == 503 and response.json()["checks"]["cache"] == "failed"
