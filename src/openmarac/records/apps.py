from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "openmarac.records"
    verbose_name = "Records: subject access, rectification and retention"
