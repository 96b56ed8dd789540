from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "openmarac.core"

    def ready(self):
        # Registers the `any_of` lookup before any query is built.
        from . import lookups  # noqa: F401
