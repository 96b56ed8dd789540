from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "openmarac.accounts"

    def ready(self):
        from . import signals  # noqa: F401
