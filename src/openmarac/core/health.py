"""Health and readiness for the load balancer and the service manager. Public, and
they say nothing about data: only whether each part answers."""

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@never_cache
@require_safe
def healthz(request):
    """The process is alive and answers: no database, so a slow database does not get
    a healthy process restarted."""
    return JsonResponse({"status": "ok"})


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _migrations():
    executor = MigrationExecutor(connection)
    return "pending" if executor.migration_plan(executor.loader.graph.leaf_nodes()) else "ok"


def _cache():
    cache.set("openmarac:readyz", "1", timeout=10)
    return "ok" if cache.get("openmarac:readyz") == "1" else "failed"


def _queue():
    import django_rq

    django_rq.get_connection().ping()
    return "ok"


@never_cache
@require_safe
def readyz(request):
    """Ready to serve: the database answers and is fully migrated, the shared cache
    answers (Redis, or its table in the database), and so does Redis's task queue when
    the deployment uses it. 503 otherwise."""
    checks = {"database": _database, "migrations": _migrations, "cache": _cache}
    if settings.OPENMARAC_TASK_BACKEND == "rq":
        checks["queue"] = _queue
    results = {}
    for name, check in checks.items():
        try:
            results[name] = check()
        except Exception:  # noqa: BLE001  (any failure means "not ready"; the name says which part)
            results[name] = "failed"
        if name == "database" and results[name] != "ok":
            results["migrations"] = "unknown"
            break
    ready = all(value == "ok" for value in results.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": results}, status=200 if ready else 503)
