from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "openmarac.accounts"

    def ready(self):
        from . import checks, signals  # noqa: F401
