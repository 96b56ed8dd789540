from django.urls import path

from . import views

app_name = "background"

urlpatterns = [
    path("system/failed-tasks/", views.failures, name="failures"),
]
