from django.apps import AppConfig
from django.core.management import call_command
from django.db.models.signals import post_migrate


def _make_cache_table(using, **kwargs):
    # The shared cache of a deployment without Redis is a table (config/settings/base.py);
    # `migrate` makes it, so no set-up step can forget it. Does nothing when it exists
    # or when the cache is elsewhere. Sent once per app with models (this app has
    # none), so it runs a few times per `migrate`: each time a look at the table names.
    call_command("createcachetable", database=using, verbosity=0)


class CoreConfig(AppConfig):
    name = "openmarac.core"

    def ready(self):
        # Registers the `any_of` lookup before any query is built.
        from . import lookups  # noqa: F401

        post_migrate.connect(_make_cache_table, dispatch_uid="openmarac.core.cache_table")
