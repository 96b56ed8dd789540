from django.urls import path

from . import views

app_name = "governance"

urlpatterns = [
    path("maracs/<slug:slug>/figures/", views.dashboard, name="dashboard"),
    path("maracs/<slug:slug>/figures/definitions/", views.definitions, name="definitions"),
    path("maracs/<slug:slug>/data-return/", views.data_return, name="data-return"),
    path("maracs/<slug:slug>/data-return/download.<str:fmt>", views.data_return_download, name="data-return-download"),
]
