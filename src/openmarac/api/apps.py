from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "openmarac.api"
    label = "api"
    verbose_name = "REST API"
