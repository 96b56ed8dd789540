from django.urls import path

from . import views

app_name = "risk"

urlpatterns = [
    path("cases/<uuid:public_id>/risk-checklists/new/", views.reassess, name="reassess"),
]
