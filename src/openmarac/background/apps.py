from django.apps import AppConfig


class BackgroundConfig(AppConfig):
    name = "openmarac.background"
    verbose_name = "Background work"

    def ready(self):
        from . import retry  # noqa: F401  (connects the retry handler to task_finished)
